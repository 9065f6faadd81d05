/**
 * The scale curves as plain SVG text (no dependency): four panels, nodes on a log axis,
 * one figure per panel, each with its goal drawn as a dashed line where the issue sets one.
 */
import type { Row } from './data.js';

interface Panel {
  title: string;
  value: (r: Row) => number;
  goal?: number;
}

const PANELS: readonly Panel[] = [
  { title: 'CPU of one topology refresh (ms)', value: (r) => r.refresh.refreshCpuMs, goal: 5 },
  { title: 'routing per GET (ns)', value: (r) => r.route.keyedNs },
  { title: 'memory per connected idle node (KB)', value: (r) => r.memory.connectedBytes / 1024, goal: 50 },
  { title: '1,000 MOVED applied, one update (ms)', value: (r) => r.moved.applyMs },
];

const W = 320;
const H = 200;
const PAD = { l: 48, r: 12, t: 28, b: 34 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function panel(p: Panel, rows: readonly Row[], x0: number, y0: number): string {
  const xs = rows.map((r) => Math.log10(r.nodes));
  const ys = rows.map(p.value);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  const yMax = Math.max(...ys, p.goal ?? 0) * 1.15 || 1;
  const px = (x: number): number => x0 + PAD.l + ((x - xMin) / (xMax - xMin)) * (W - PAD.l - PAD.r);
  const py = (y: number): number => y0 + H - PAD.b - (y / yMax) * (H - PAD.t - PAD.b);
  const out: string[] = [];
  out.push(`<text x="${x0 + W / 2}" y="${y0 + 16}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<line x1="${px(xMin)}" y1="${py(0)}" x2="${px(xMax)}" y2="${py(0)}" stroke="#888"/>`);
  out.push(`<line x1="${px(xMin)}" y1="${py(0)}" x2="${px(xMin)}" y2="${py(yMax)}" stroke="#888"/>`);
  for (const r of rows) out.push(`<text x="${px(Math.log10(r.nodes))}" y="${py(0) + 14}" text-anchor="middle">${r.nodes}</text>`);
  out.push(`<text x="${x0 + W / 2}" y="${y0 + H - 4}" text-anchor="middle" fill="#555">nodes (log scale)</text>`);
  for (const f of [0, 0.5, 1]) out.push(`<text x="${px(xMin) - 4}" y="${py(yMax * f) + 4}" text-anchor="end" fill="#555">${+(yMax * f).toPrecision(2)}</text>`);
  if (p.goal !== undefined) {
    out.push(`<line x1="${px(xMin)}" y1="${py(p.goal)}" x2="${px(xMax)}" y2="${py(p.goal)}" stroke="#c33" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${px(xMax)}" y="${py(p.goal) - 4}" text-anchor="end" fill="#c33">goal ${p.goal}</text>`);
  }
  const pts = rows.map((r) => `${px(Math.log10(r.nodes)).toFixed(1)},${py(p.value(r)).toFixed(1)}`).join(' ');
  out.push(`<polyline points="${pts}" fill="none" stroke="#1f6feb" stroke-width="2"/>`);
  for (const r of rows) {
    const x = px(Math.log10(r.nodes));
    const y = py(p.value(r));
    out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="#1f6feb"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${(y - 6).toFixed(1)}" text-anchor="middle">${+p.value(r).toPrecision(3)}</text>`);
  }
  return out.join('\n');
}

/** The four panels over `rows`; `measured` (a date) goes into the caption when given. */
export function renderChart(rows: readonly Row[], measured?: string): string {
  const sorted = [...rows].sort((a, b) => a.nodes - b.nodes);
  const body = PANELS.map((p, i) => panel(p, sorted, (i % 2) * W, Math.floor(i / 2) * H)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${2 * H + 20}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
${body}
<text x="${W}" y="${2 * H + 14}" text-anchor="middle" fill="#555">slotline, simulated cluster (bench/src/scale)${measured === undefined ? '' : `, measured ${esc(measured)}`}; table in docs/benchmarks.md</text>
</svg>
`;
}
