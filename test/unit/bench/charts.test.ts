/**
 * The benchmark charts of docs/ (bench/src/charts.ts, bench/src/scale/data.ts): what a bar
 * means, n/a as text, colours kept across groups, clipping, escaping, and the scale data
 * file's check. Pure functions on made-up results; no server, no bench run.
 */
import { describe, expect, it } from 'vitest';
import { renderRatiosChart } from '../../../bench/src/charts.js';
import type { Row, ScenarioResult } from '../../../bench/src/report.js';
import { parseScaleData, renderScaleSvg, type Row as ScaleRow } from '../../../bench/src/scale/data.js';

/** Every tag closes in order and no text holds a raw `<` or a bare `&`: well-formed enough to be XML. */
function expectWellFormed(svg: string): void {
  const stack: string[] = [];
  const parts = svg.split(/(<[^>]*>)/);
  for (const part of parts) {
    if (!part.startsWith('<')) {
      expect(part).not.toMatch(/<|&(?!amp;|lt;|gt;|quot;)/);
      continue;
    }
    if (part.endsWith('/>')) continue;
    const name = /^<\/?([a-zA-Z]+)/.exec(part)?.[1];
    expect(name, part).toBeDefined();
    if (part.startsWith('</')) expect(stack.pop(), part).toBe(name);
    else stack.push(name as string);
  }
  expect(stack).toEqual([]);
  expect(svg.startsWith('<svg ')).toBe(true);
}

function row(client: string, role: Row['role'], value: number | string): Row {
  return { client, role, cell: typeof value === 'number' ? { kind: 'ok', values: [value, 1, 2] } : { kind: 'na', reason: value } };
}

function scenario(id: string, better: ScenarioResult['better'], rows: Row[]): ScenarioResult {
  return { id, title: `scenario ${id}`, columns: ['ops/s (median of 5)', 'p50 µs', 'p99 µs'], better, rows, notes: [], params: {} };
}

const bars = (svg: string): string[] => svg.match(/<rect class="bar"[^>]*>/g) ?? [];
const widthOf = (bar: string): number => Number(/width="([\d.]+)"/.exec(bar)?.[1]);
const fillOf = (bar: string): string | undefined => /fill="(#[0-9a-f]+)"/.exec(bar)?.[1];

describe('renderRatiosChart', () => {
  it('draws a bar per figure and "n/a" text (never a bar) per n/a cell, under the header', () => {
    const svg = renderRatiosChart(
      [
        scenario('1', 'higher', [
          row('slotline', 'subject', 100),
          row('ioredis', 'other', 150),
          row('node-redis', 'other', 'MOVED 123 127.0.0.1:7000'),
          row('raw socket (baseline)', 'baseline', 200),
        ]),
      ],
      'Measured 2026-12-02 (full run).\nNode v20 on a test',
    );
    expectWellFormed(svg);
    expect(bars(svg)).toHaveLength(3);
    expect(svg.match(/class="na"/g)).toHaveLength(1);
    expect(svg).toContain('MOVED 123 127.0.0.1:7000'); // the reason, as the n/a's tooltip
    expect(svg).toContain('Measured 2026-12-02 (full run).');
    expect(svg).toContain('font-family="sans-serif"');
    expect(svg).toContain('fill="#fff"');
    expect(Number(/width="(\d+)"/.exec(svg)?.[1])).toBeLessThanOrEqual(900);
    const [mine, theirs, anchor] = bars(svg).map(widthOf);
    expect(theirs! / mine!).toBeCloseTo(1.5, 2);
    expect(anchor! / mine!).toBeCloseTo(2, 2);
    expect(svg).toContain('1.50×');
    // The anchor is drawn side by side with the clients, hatched on top of its colour.
    expect(svg).toContain('fill="url(#anchor)"');
  });

  it('turns "lower is better" around, so a longer bar is still the better client', () => {
    const svg = renderRatiosChart(
      [scenario('8', 'lower', [row('slotline', 'subject', 200), row('valkey-glide', 'other', 100), row('ioredis', 'other', 400)])],
      'h',
    );
    const [mine, glide, ioredis] = bars(svg).map(widthOf);
    expect(glide! / mine!).toBeCloseTo(2, 2);
    expect(ioredis! / mine!).toBeCloseTo(0.5, 2);
    expect(svg).toContain('2.00×');
    expect(svg).toContain('0.50×');
    expect(svg).toContain('lower is better');
  });

  it('keeps each client family in one colour across groups; a second mode of it is lighter', () => {
    const svg = renderRatiosChart(
      [
        scenario('1', 'higher', [row('slotline', 'subject', 1), row('ioredis', 'other', 2), row('ioredis (autopipelining)', 'other', 2)]),
        scenario('2', 'higher', [row('ioredis', 'other', 1), row('slotline', 'subject', 1)]),
      ],
      'h',
    );
    const all = bars(svg);
    expect(all).toHaveLength(5);
    expect(fillOf(all[1]!)).toBe(fillOf(all[3]!)); // ioredis, both groups
    expect(fillOf(all[0]!)).toBe(fillOf(all[4]!)); // slotline, both groups
    expect(fillOf(all[0]!)).not.toBe(fillOf(all[1]!));
    expect(fillOf(all[2]!)).toBe(fillOf(all[1]!));
    expect(all[2]).toContain('fill-opacity="0.5"');
    expect(all[1]).not.toContain('fill-opacity');
  });

  it('clips a bar past 4× at the axis end and prints its true ratio', () => {
    const svg = renderRatiosChart([scenario('3', 'higher', [row('slotline', 'subject', 1), row('redis-benchmark -P 1000', 'baseline', 10)])], 'h');
    const [mine, anchor] = bars(svg).map(widthOf);
    expect(anchor! / mine!).toBeCloseTo(4, 2);
    expect(svg).toContain('10.0× (clipped)');
  });

  it('compares with the best row, and says so, when slotline has no figure', () => {
    const svg = renderRatiosChart(
      [scenario('5', 'higher', [row('slotline', 'subject', 'build failed'), row('ioredis', 'other', 50), row('node-redis', 'other', 100)])],
      'h',
    );
    expect(bars(svg)).toHaveLength(2);
    expect(svg).toContain('vs node-redis (slotline n/a)');
    expect(svg).toContain('0.50×');
  });

  it('escapes names and reasons, and shows a failed scenario as n/a with its note', () => {
    const failed: ScenarioResult = { ...scenario('6', 'higher', []), notes: ['scenario failed: <boom> & "more"'] };
    const svg = renderRatiosChart(
      [scenario('7', 'higher', [row('slotline', 'subject', 1), row('odd <client> & "co"', 'other', 'a < b & c')]), failed],
      'header with <angle> & ampersand',
    );
    expectWellFormed(svg);
    expect(svg).toContain('odd &lt;client&gt; &amp; &quot;co&quot;');
    expect(svg).toContain('scenario failed: &lt;boom&gt;');
    expect(svg.match(/class="na"/g)).toHaveLength(2);
  });
});

function scaleRow(kind: ScaleRow['kind'], nodes: number, refreshCpuMs: number): ScaleRow {
  return {
    label: kind === 'fake' ? 'fake' : `redis ${nodes}+${nodes}`,
    kind,
    nodes,
    ready: { readyMs: 4, dialledToReady: 1, openAfterReady: 0, dialledAfterOneGet: 2 },
    refresh: { refreshCpuMs, refreshWallMs: 3, connectedRefreshCpuMs: 1, parseCpuMs: 0.5 },
    moved: { applyMs: 0.4 },
    route: { keyedNs: 300, keylessNs: 10, getCpuUs: 6, getOneNodeCpuUs: 3 },
    memory: { mapOnlyBytes: 40_000, connectedBytes: 60_000 },
    fanOut: { mgetMs: 8, batchMs: 5, nodesTouched: 3, mgetWritesPerNode: 1, batchWritesPerNode: 1 },
  };
}

describe('the scale data file', () => {
  const data = {
    measured: '2026-12-02',
    header: 'Node v20',
    rows: [scaleRow('fake', 3, 1.8), scaleRow('fake', 1000, 6.2), scaleRow('real', 30, 2)],
    storm: undefined,
  };

  it('reads back what the scale run writes, and draws the simulated rows with the date', () => {
    const back = parseScaleData(JSON.stringify(data, null, 2));
    expect(back).toEqual(data);
    const svg = renderScaleSvg(back);
    expectWellFormed(svg);
    // Four panels, one point per simulated-cluster row (the real cluster is not on the curves).
    expect(svg.match(/<circle /g)).toHaveLength(8);
    expect(svg).toContain('measured 2026-12-02;');
    expect(svg).toContain('>6.2<');
  });

  it('refuses a file that lacks a figure, saying which', () => {
    const broken = structuredClone(data);
    delete (broken.rows[1]!.route as Partial<ScaleRow['route']>).keyedNs;
    expect(() => parseScaleData(JSON.stringify(broken))).toThrow('rows[1]: route.keyedNs is not a number');
    expect(() => parseScaleData(JSON.stringify({ ...data, rows: 'no' }))).toThrow('no rows array');
    expect(() => parseScaleData('{"rows": []}')).toThrow('no measured date or header');
    expect(() => parseScaleData(JSON.stringify({ ...data, rows: [{ ...scaleRow('fake', 3, 1), kind: 'other' }] }))).toThrow('kind "other"');
  });
});
