/**
 * Scenario 8: memory while one pipeline of 1,000,000 SETs runs, each client in a child
 * process of its own (memory-child.ts), so one client's heap and RSS never count for
 * another. Children inherit this process's CPU pinning.
 */
import { fileURLToPath } from 'node:url';
import { slotlineUnsliced } from '../adapters/slotline.js';
import type { ClientSpec } from '../adapters/types.js';
import type { MemoryReport } from '../memory-child.js';
import { ok, type Cell, type Row, type ScenarioResult } from '../report.js';
import { runJsonChild, type RunContext, type Scenario } from './common.js';

const CHILD = fileURLToPath(new URL('../memory-child.ts', import.meta.url));

function runChild(ctx: RunContext, name: string, host: string, port: number, count: number, boundMs: number): Promise<Cell> {
  return runJsonChild<MemoryReport>(ctx, CHILD, [name, host, String(port), String(count)], boundMs, (r) =>
    ok(r.peakRssMB, r.peakRssMB - r.rssBeforeMB, r.peakHeapMB - r.heapBeforeMB, r.peakExternalGrowthMB, r.seconds),
  );
}

const COLUMNS = ['peak RSS MB', 'RSS growth MB', 'heap growth MB', 'external growth MB', 'seconds'];
const GROWTH_NOTE =
  'growth = peak while the pipeline runs minus the figure just before it (after the command list was built and a GC); peak RSS is the kernel high-water mark (maxRSS) of the child';
/** The pipeline length of the sliced-vs-unsliced table (issue 4 asks for this one). */
const SLICE_COUNT = 100_000;

async function rowsFor(ctx: RunContext, specs: readonly ClientSpec[], count: number, boundMs: number): Promise<Row[]> {
  const server = await ctx.servers.standalone();
  const rows: Row[] = [];
  for (const spec of specs) {
    const cell = await runChild(ctx, spec.name, server.host, server.port, count, boundMs);
    ctx.log(`  ${spec.name} (${count}): ${cell.kind === 'ok' ? `peak RSS ${Math.round(cell.values[0] ?? 0)} MB` : cell.reason}`);
    rows.push({ client: spec.name, role: spec === slotlineUnsliced ? 'subject-variant' : spec.role, cell });
  }
  return rows;
}

export const memory: Scenario = {
  id: 8,
  title: 'memory: one pipeline of 1,000,000 SETs (child process per client)',
  async run(ctx) {
    const p = ctx.quick ? { count: 100_000 } : { count: 1_000_000 };
    const boundMs = ctx.quick ? 60_000 : 180_000;
    const withSlotline = ctx.clients.some((c) => c.name === 'slotline');
    const specs = withSlotline ? [...ctx.clients.slice(0, 1), slotlineUnsliced, ...ctx.clients.slice(1)] : ctx.clients;
    const results: ScenarioResult[] = [
      {
        id: '8',
        title: `memory: one pipeline of ${p.count.toLocaleString('en-US')} SETs (child process per client)`,
        columns: COLUMNS,
        better: 'lower',
        rows: await rowsFor(ctx, specs, p.count, boundMs),
        notes: [
          GROWTH_NOTE,
          'heap is sampled every 5 ms and around the call; GLIDE keeps its batch in Rust, which only RSS shows',
          'slotline writes a pipeline in slices of maxBatch (default 1,000), two slices in flight; "unsliced" sets maxBatch to 1e9',
        ],
        params: p,
      },
    ];
    if (withSlotline && p.count !== SLICE_COUNT) {
      results.push({
        id: '8b',
        title: `memory: slotline, one pipeline of ${SLICE_COUNT.toLocaleString('en-US')} SETs, sliced at maxBatch 1,000 vs unsliced`,
        columns: COLUMNS,
        better: 'lower',
        rows: await rowsFor(ctx, [ctx.clients.find((c) => c.name === 'slotline') as ClientSpec, slotlineUnsliced], SLICE_COUNT, boundMs),
        notes: [GROWTH_NOTE],
        params: { count: SLICE_COUNT },
      });
    }
    return results;
  },
};
