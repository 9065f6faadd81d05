/**
 * The shape of every result and how it is printed: one table per scenario (client, the
 * scenario's columns, ratio vs slotline) and the "slotline / best other" line. The first
 * column is the one ratios compare. Imports nothing from the clients.
 */
import type { ClientSpec } from './adapters/types.js';

export type Role = ClientSpec['role'] | 'subject-variant';

export type Cell = { kind: 'ok'; values: number[] } | { kind: 'na'; reason: string };

export interface Row {
  client: string;
  role: Role;
  cell: Cell;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** Column headers; values[i] of every ok row belongs to columns[i]. */
  columns: string[];
  /** Whether a larger first column is better (ops/s) or worse (ms, MB of memory). */
  better: 'higher' | 'lower';
  rows: Row[];
  notes: string[];
  params: Record<string, number | string>;
  elapsedMs?: number;
}

export function ok(...values: number[]): Cell {
  return { kind: 'ok', values };
}

export function na(reason: string): Cell {
  return { kind: 'na', reason };
}

export function fmt(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function firstValue(row: Row | undefined): number | undefined {
  return row?.cell.kind === 'ok' ? row.cell.values[0] : undefined;
}

/** The first-column value of slotline's main row, if it has one. */
function subjectValue(result: ScenarioResult): number | undefined {
  return firstValue(result.rows.find((r) => r.role === 'subject'));
}

/** The best first-column value among the other clients (never a baseline). */
export function bestOther(result: ScenarioResult): Row | undefined {
  let best: Row | undefined;
  for (const row of result.rows) {
    const v = firstValue(row);
    if (row.role !== 'other' || v === undefined) continue;
    const current = firstValue(best);
    if (current === undefined || (result.better === 'higher' ? v > current : v < current)) best = row;
  }
  return best;
}

/** slotline / best other on the first column, or the reason there is none. */
export function summaryLine(result: ScenarioResult): string {
  const mine = subjectValue(result);
  const best = bestOther(result);
  const theirs = firstValue(best);
  const hint = result.better === 'higher' ? 'higher is better' : 'lower is better';
  if (mine === undefined || theirs === undefined || theirs === 0) {
    return `slotline / best other = n/a (${mine === undefined ? 'no slotline figure' : 'no other client figure'}; ${hint})`;
  }
  return `slotline / best other = ${(mine / theirs).toFixed(2)} (best other: ${best?.client}; ${hint})`;
}

export function renderTable(result: ScenarioResult): string {
  const mine = subjectValue(result);
  const header = ['client', ...result.columns, 'ratio vs slotline'];
  const lines: string[][] = result.rows.map((row) => {
    if (row.cell.kind === 'na') {
      return [row.client, `n/a: ${row.cell.reason}`, ...result.columns.slice(1).map(() => ''), ''];
    }
    const values = row.cell.values;
    const ratio = mine === undefined || mine === 0 ? 'n/a' : ((values[0] as number) / mine).toFixed(2);
    return [row.client, ...result.columns.map((_, i) => fmt(values[i])), ratio];
  });
  // n/a reasons can be long: they take the width of one column and spill over the rest.
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.filter((l) => !(l[1] ?? '').startsWith('n/a') || i !== 1).map((l) => (l[i] ?? '').length)),
  );
  const pad = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.startsWith('n/a') ? c : c.padStart(widths[i] as number)))
      .join(' | ')
      .trimEnd();
  const out = [
    `### ${result.id}. ${result.title}`,
    '',
    pad(header),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...lines.map(pad),
    '',
    summaryLine(result),
  ];
  for (const note of result.notes) out.push(`note: ${note}`);
  return out.join('\n');
}

/** The same table as Markdown, for docs/benchmarks.md. */
export function renderMarkdown(result: ScenarioResult): string {
  const mine = subjectValue(result);
  const out = [
    `#### ${result.id}. ${result.title}`,
    '',
    `| client | ${result.columns.join(' | ')} | ratio vs slotline |`,
    `|---|${result.columns.map(() => '---:').join('|')}|---:|`,
  ];
  for (const row of result.rows) {
    if (row.cell.kind === 'na') {
      out.push(`| ${row.client} | n/a: ${row.cell.reason.replace(/\|/g, '\\|')} |${result.columns.slice(1).map(() => ' |').join('')} |`);
      continue;
    }
    const values = row.cell.values;
    const ratio = mine === undefined || mine === 0 ? 'n/a' : ((values[0] as number) / mine).toFixed(2);
    out.push(`| ${row.client} | ${result.columns.map((_, i) => fmt(values[i])).join(' | ')} | ${ratio} |`);
  }
  out.push('', summaryLine(result));
  for (const note of result.notes) out.push('', `- ${note}`);
  return out.join('\n');
}
