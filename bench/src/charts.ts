/**
 * The suite's results as one picture (issue 15, "Pictures"): horizontal grouped bars, one group
 * per scenario, one bar per row, every client (anchors included) drawn against slotline's
 * figure on the scenario's first column. Plain SVG text, no dependency, no I/O: results in,
 * markup out. Imports only report.ts (the result shape and its number format).
 *
 * What a bar means, so that a longer bar is always better:
 *   better: 'higher' (ops/s, MB/s)   bar = client / slotline
 *   better: 'lower'  (ms, MB of RSS) bar = slotline / client
 * so slotline's own bar is 1 and a bar past the dashed 1× line beats slotline. When slotline
 * has no figure in a group, the group's best row is the reference instead and its title says so.
 */
import { fmt, type Row, type ScenarioResult } from './report.js';

const W = 900;
const LABEL_RIGHT = 262; // client names end here (text-anchor end)
const BAR_X = 268;
const BAR_W = 420; // bars span BAR_X .. BAR_X + BAR_W; value labels go to their right
/** Longer client names are cut (the whole name is the label's tooltip). */
const LABEL_CHARS = 38;
const ROW_H = 18;
const BAR_H = 13;
const TITLE_H = 24;
const GROUP_GAP = 12;
/** Bars longer than this many times the reference are clipped (and say so); at least 1.5. */
const MAX_AXIS = 4;

/** One colour per client family, so a client keeps its colour in every group. */
const FAMILIES: readonly { prefix: string; colour: string }[] = [
  { prefix: 'slotline', colour: '#1f6feb' },
  { prefix: 'ioredis', colour: '#cf222e' },
  { prefix: 'node-redis', colour: '#1a7f37' },
  { prefix: 'valkey-glide', colour: '#8250df' },
  { prefix: 'raw socket', colour: '#57606a' },
  { prefix: 'redis-benchmark', colour: '#9a6700' },
];
const UNKNOWN_COLOURS = ['#bf3989', '#0a7ea4', '#6e40c9', '#953800'];

interface Family {
  name: string;
  colour: string;
}

const SWATCH = (x: number, y: number, fill: string, extra = ''): string =>
  `<rect x="${x}" y="${y + 1}" width="13" height="12" fill="${fill}"${extra}/>`;

/** A row's family: the known prefix its name starts with, else its first word. */
function familyOf(client: string, unknown: Map<string, string>): Family {
  const known = FAMILIES.find((f) => client.startsWith(f.prefix));
  if (known !== undefined) return { name: known.prefix, colour: known.colour };
  const name = client.split(' ')[0] ?? client;
  let colour = unknown.get(name);
  if (colour === undefined) {
    colour = UNKNOWN_COLOURS[unknown.size % UNKNOWN_COLOURS.length] as string;
    unknown.set(name, colour);
  }
  return { name, colour };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function firstValue(row: Row): number | undefined {
  return row.cell.kind === 'ok' ? row.cell.values[0] : undefined;
}

/** How many times better than `reference` a value is (see the table at the top). */
function ratio(value: number, reference: number, better: ScenarioResult['better']): number {
  return better === 'higher' ? value / reference : reference / value;
}

interface Reference {
  value: number;
  /** Undefined when slotline's own row is the reference. */
  fallback: string | undefined;
}

/** slotline's figure, or (when it has none) the best ok row's, or nothing to compare with. */
function referenceOf(result: ScenarioResult): Reference | undefined {
  const subject = result.rows.find((r) => r.role === 'subject');
  const own = subject === undefined ? undefined : firstValue(subject);
  if (own !== undefined && Number.isFinite(own) && own > 0) return { value: own, fallback: undefined };
  let best: { row: Row; value: number } | undefined;
  for (const row of result.rows) {
    const v = firstValue(row);
    if (v === undefined || !Number.isFinite(v) || v <= 0) continue;
    if (best === undefined || (result.better === 'higher' ? v > best.value : v < best.value)) best = { row, value: v };
  }
  return best === undefined ? undefined : { value: best.value, fallback: best.row.client };
}

/** The first column's unit without its "(median of 5)". */
function unitOf(result: ScenarioResult): string {
  return (result.columns[0] ?? '').replace(/\s*\(.*\)\s*$/, '');
}

/** The axis end: the largest bar rounded up to a half, within [1.5, MAX_AXIS]. */
function axisMax(results: readonly ScenarioResult[]): number {
  let max = 1;
  for (const result of results) {
    const ref = referenceOf(result);
    if (ref === undefined) continue;
    for (const row of result.rows) {
      const v = firstValue(row);
      if (v === undefined || v <= 0) continue;
      const r = ratio(v, ref.value, result.better);
      if (Number.isFinite(r)) max = Math.max(max, r);
    }
  }
  return Math.min(MAX_AXIS, Math.max(1.5, Math.ceil(max * 2) / 2));
}

/** Splits a long header line at spaces so it fits the width. */
function wrap(line: string, chars: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > chars) {
      out.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

function ratioText(r: number): string {
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

interface GroupState {
  ref: Reference | undefined;
  max: number;
  unknown: Map<string, string>;
  /** Families already drawn in this group: a family's later rows are its variants. */
  seen: Set<string>;
}

function renderRow(row: Row, result: ScenarioResult, group: GroupState, y: number): string[] {
  const { ref, max } = group;
  const family = familyOf(row.client, group.unknown);
  const variant = row.role === 'subject-variant' || group.seen.has(family.name);
  group.seen.add(family.name);
  const name = row.client.length > LABEL_CHARS ? `${row.client.slice(0, LABEL_CHARS - 1)}…` : row.client;
  const out = [`<text x="${LABEL_RIGHT}" y="${y + 11}" text-anchor="end">${esc(name)}<title>${esc(row.client)}</title></text>`];
  const value = firstValue(row);
  if (row.cell.kind === 'na' || value === undefined) {
    const reason = row.cell.kind === 'na' ? row.cell.reason : 'no figure';
    out.push(`<text class="na" x="${BAR_X + 4}" y="${y + 11}" fill="#6e7781" font-style="italic">n/a<title>${esc(reason)}</title></text>`);
    return out;
  }
  const unit = unitOf(result);
  const r = ref === undefined || value <= 0 ? Number.NaN : ratio(value, ref.value, result.better);
  if (!Number.isFinite(r)) {
    out.push(`<text x="${BAR_X + 4}" y="${y + 11}" fill="#6e7781">${esc(`${fmt(value)} ${unit} (no ratio)`)}</text>`);
    return out;
  }
  const clipped = r > max;
  const len = Math.max(1, (Math.min(r, max) / max) * BAR_W);
  // A variant (a second mode of the same client: concurrent, autopipelining, unsliced) is
  // lighter; an anchor is hatched.
  out.push(
    `<rect class="bar" x="${BAR_X}" y="${y + (ROW_H - BAR_H) / 2}" width="${len.toFixed(1)}" height="${BAR_H}" fill="${family.colour}"${variant ? ' fill-opacity="0.5"' : ''}/>`,
  );
  if (row.role === 'baseline') {
    out.push(`<rect x="${BAR_X}" y="${y + (ROW_H - BAR_H) / 2}" width="${len.toFixed(1)}" height="${BAR_H}" fill="url(#anchor)"/>`);
  }
  if (clipped) {
    const x = BAR_X + len - 10;
    out.push(`<path d="M${x} ${y + 2} l4 ${ROW_H - 4} M${x + 4} ${y + 2} l4 ${ROW_H - 4}" stroke="#fff" stroke-width="2"/>`);
  }
  const label = `${ratioText(r)}${clipped ? ' (clipped)' : ''}`;
  // A white halo keeps the label readable where it crosses a grid line.
  out.push(`<text x="${(BAR_X + len + 4).toFixed(1)}" y="${y + 11}" stroke="#fff" stroke-width="3" paint-order="stroke">${esc(label)} <tspan fill="#57606a">${esc(`${fmt(value)} ${unit}`)}</tspan></text>`);
  return out;
}

/** One swatch per family (hatched when its rows are anchors), then what light and hatched mean. */
function legend(families: readonly (Family & { anchor: boolean })[], y: number): string[] {
  const out: string[] = [];
  let x = 12;
  const item = (swatches: string[], text: string): void => {
    out.push(...swatches, `<text x="${x + 18}" y="${y + 11}">${esc(text)}</text>`);
    x += 26 + text.length * 6.6;
  };
  const hatch = (at: number): string => SWATCH(at, y, 'url(#anchor)');
  for (const f of families) item([SWATCH(x, y, f.colour), ...(f.anchor ? [hatch(x)] : [])], f.name);
  item([SWATCH(x, y, '#57606a', ' fill-opacity="0.5"')], 'lighter: another mode');
  item([SWATCH(x, y, '#57606a'), hatch(x)], 'hatched: anchor');
  return out;
}

/** The axis ticks: every half (or whole, on a wide axis), with their x. */
function ticks(max: number): { t: number; x: string; one: boolean }[] {
  const step = max > 2 ? 1 : 0.5;
  const out: { t: number; x: string; one: boolean }[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) out.push({ t, x: (BAR_X + (t / max) * BAR_W).toFixed(1), one: Math.abs(t - 1) < 1e-9 });
  return out;
}

/** One scenario from `y` down: its title, its grid (behind), its rows; returns the next y. */
function renderGroup(result: ScenarioResult, max: number, unknown: Map<string, string>, y: number, grid: string[], body: string[]): number {
  const ref = referenceOf(result);
  const hint = `${unitOf(result)}, ${result.better} is better${ref?.fallback === undefined ? '' : `; vs ${ref.fallback} (slotline n/a)`}`;
  body.push(
    `<text x="12" y="${y + 16}" font-weight="bold" font-size="13">${esc(`${result.id}. ${result.title}`)} <tspan font-weight="normal" fill="#57606a">(${esc(hint)})</tspan></text>`,
  );
  const top = y + TITLE_H;
  let at = top;
  if (result.rows.length === 0) {
    const why = result.notes[0] ?? 'no rows';
    body.push(`<text class="na" x="${BAR_X + 4}" y="${at + 11}" fill="#6e7781" font-style="italic">n/a<title>${esc(why)}</title></text>`);
    at += ROW_H;
  }
  const group: GroupState = { ref, max, unknown, seen: new Set() };
  for (const row of result.rows) {
    body.push(...renderRow(row, result, group, at));
    at += ROW_H;
  }
  for (const { x, one } of ticks(max)) {
    grid.push(`<line x1="${x}" y1="${top - 2}" x2="${x}" y2="${at + 2}" stroke="${one ? '#1f6feb' : '#d0d7de'}"${one ? ' stroke-dasharray="5 3"' : ''}/>`);
  }
  return at + GROUP_GAP;
}

/**
 * The ratios chart of a run: `header` (the run's date and machine, one line per \n) on top,
 * then a legend, then one group of bars per scenario in the order given.
 */
export function renderRatiosChart(results: ScenarioResult[], header: string): string {
  const max = axisMax(results);
  const unknown = new Map<string, string>();
  const families = new Map<string, Family & { anchor: boolean }>();
  for (const result of results) {
    for (const row of result.rows) {
      const f = familyOf(row.client, unknown);
      families.set(f.name, { ...f, anchor: row.role === 'baseline' || families.get(f.name)?.anchor === true });
    }
  }
  const top: string[] = [`<text x="12" y="18" font-weight="bold" font-size="14">slotline against the other clients and the anchors, per scenario</text>`];
  let y = 22;
  for (const line of header.split('\n').flatMap((l) => wrap(l, 140))) {
    top.push(`<text x="12" y="${y + 11}" fill="#444c56" font-size="11">${esc(line)}</text>`);
    y += 15;
  }
  top.push(...legend([...families.values()], y + 4));
  y += 26;
  const explain = `Bar = how many times better than slotline on each scenario's first column (client ÷ slotline where higher is better, slotline ÷ client where lower is better): longer is better, past the dashed line beats slotline.`;
  for (const line of wrap(explain, 140)) {
    top.push(`<text x="12" y="${y + 11}" fill="#444c56">${esc(line)}</text>`);
    y += 15;
  }
  y += 20;
  const axisTop = y;
  const grid: string[] = [];
  const body: string[] = [];
  for (const result of results) y = renderGroup(result, max, unknown, y, grid, body);
  const axisBottom = y - GROUP_GAP;
  for (const { t, x, one } of ticks(max)) {
    top.push(
      `<text x="${x}" y="${axisTop - 6}" text-anchor="middle" fill="#57606a">${t}×${one ? ' slotline' : ''}</text>`,
      `<text x="${x}" y="${axisBottom + 14}" text-anchor="middle" fill="#57606a">${t}×</text>`,
    );
  }
  const height = axisBottom + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`,
    '<defs><pattern id="anchor" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern></defs>',
    '<rect width="100%" height="100%" fill="#fff"/>',
    ...top,
    ...grid,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
