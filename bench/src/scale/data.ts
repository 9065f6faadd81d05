/**
 * The scale figures kept as a committed data file, docs/data/scale.json, so the scale curves
 * (docs/scale.svg) can be drawn again without the minutes-long scale run: the scale harness
 * writes the file with `--write-docs`, and the main suite's `--write-docs` redraws the chart
 * from it. Owns the row shape, the file's shape and its check; imports only types from the
 * measurements and the SVG renderer.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FanOutResult, MemoryResult, MovedResult, ReadyResult, RefreshResult, RouteResult, StormResult } from './measure.js';
import { renderChart } from './svg.js';

export interface Row {
  label: string;
  kind: 'fake' | 'real';
  nodes: number;
  ready: ReadyResult;
  refresh: RefreshResult;
  moved: MovedResult;
  route: RouteResult;
  memory: MemoryResult;
  fanOut: FanOutResult;
}

export interface ScaleData {
  /** The day the rows were measured (YYYY-MM-DD). */
  measured: string;
  /** Machine, server and pinning, as the Scale table's header shows them. */
  header: string;
  rows: Row[];
  storm: StormResult | undefined;
}

export const SCALE_DATA = fileURLToPath(new URL('../../../docs/data/scale.json', import.meta.url));
export const SCALE_SVG = fileURLToPath(new URL('../../../docs/scale.svg', import.meta.url));

/** Every number a row must carry, per part: the check below and nothing else reads this. */
const ROW_NUMBERS: { [K in keyof Omit<Row, 'label' | 'kind' | 'nodes'>]: readonly (keyof Row[K])[] } = {
  ready: ['readyMs', 'dialledToReady', 'openAfterReady', 'dialledAfterOneGet'],
  refresh: ['refreshCpuMs', 'refreshWallMs', 'connectedRefreshCpuMs', 'parseCpuMs'],
  moved: ['applyMs'],
  route: ['keyedNs', 'keylessNs', 'getCpuUs', 'getOneNodeCpuUs'],
  memory: ['mapOnlyBytes', 'connectedBytes'],
  fanOut: ['mgetMs', 'batchMs', 'nodesTouched', 'mgetWritesPerNode', 'batchWritesPerNode'],
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The reason `row` is not a Row, or undefined when it is one. */
function rowProblem(row: unknown): string | undefined {
  if (!isRecord(row)) return 'not an object';
  if (typeof row.label !== 'string') return 'no label';
  if (row.kind !== 'fake' && row.kind !== 'real') return `kind ${JSON.stringify(row.kind)} is neither fake nor real`;
  if (typeof row.nodes !== 'number' || !(row.nodes > 0)) return 'nodes is not a positive number';
  for (const [part, keys] of Object.entries(ROW_NUMBERS)) {
    const value = row[part];
    if (!isRecord(value)) return `no ${part}`;
    for (const key of keys as readonly string[]) {
      if (typeof value[key] !== 'number' || !Number.isFinite(value[key])) return `${part}.${key} is not a number`;
    }
  }
  return undefined;
}

/** Reads the data file's text; throws an Error that says what is wrong with it. */
export function parseScaleData(text: string): ScaleData {
  const data: unknown = JSON.parse(text);
  if (!isRecord(data)) throw new Error('not a JSON object');
  if (typeof data.measured !== 'string' || typeof data.header !== 'string') throw new Error('no measured date or header');
  if (!Array.isArray(data.rows)) throw new Error('no rows array');
  data.rows.forEach((row: unknown, i) => {
    const problem = rowProblem(row);
    if (problem !== undefined) throw new Error(`rows[${i}]: ${problem}`);
  });
  if (data.storm !== undefined && !isRecord(data.storm)) throw new Error('storm is not an object');
  return { measured: data.measured, header: data.header, rows: data.rows as Row[], storm: data.storm as StormResult | undefined };
}

/** The scale curves of `data`: the simulated cluster's rows (the real ones stop at 30 nodes). */
export function renderScaleSvg(data: ScaleData): string {
  return renderChart(
    data.rows.filter((r) => r.kind === 'fake'),
    data.measured,
  );
}

/** The scale run's output for the docs: the data file and the chart drawn from it. */
export function writeScaleFiles(data: ScaleData): void {
  mkdirSync(dirname(SCALE_DATA), { recursive: true });
  writeFileSync(SCALE_DATA, `${JSON.stringify(data, null, 2)}\n`);
  writeFileSync(SCALE_SVG, renderScaleSvg(data));
}

/** Draws docs/scale.svg again from docs/data/scale.json; says what it did (never throws). */
export function redrawScaleChart(): string {
  let text: string;
  try {
    text = readFileSync(SCALE_DATA, 'utf8');
  } catch {
    return `scale chart not redrawn: no ${SCALE_DATA} yet (\`npm --prefix bench run scale -- --write-docs\` writes it)`;
  }
  try {
    const data = parseScaleData(text);
    if (!data.rows.some((r) => r.kind === 'fake')) return `scale chart not redrawn: ${SCALE_DATA} has no simulated-cluster rows`;
    writeFileSync(SCALE_SVG, renderScaleSvg(data));
    return `scale chart redrawn: ${SCALE_SVG} (from ${SCALE_DATA}, measured ${data.measured})`;
  } catch (error) {
    return `scale chart not redrawn: ${SCALE_DATA}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
