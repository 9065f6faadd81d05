/**
 * Scenario 9: slotline's bulk() against its own pipeline() (issue 15 §4). N SETs of 32 bytes
 * through bulk() at 1M and 10M (3M with --quick replaced by 100k/300k), and the same 1M through
 * one pipeline, each in a child process of its own (bulk-child.ts), so RSS figures do not mix;
 * then the same against the 3-primary cluster of scenario 5.
 * Goals: peak RSS under 150 MB and flat from 1M to 10M; throughput at least the pipeline's.
 * slotline only: no other client has a streaming form to compare with.
 */
import { fileURLToPath } from 'node:url';
import type { BulkReport } from '../bulk-child.js';
import { ok, type Cell, type Row } from '../report.js';
import { runJsonChild, type RunContext, type Scenario } from './common.js';

const CHILD = fileURLToPath(new URL('../bulk-child.ts', import.meta.url));

type Target = 'standalone' | 'cluster';

function runChild(ctx: RunContext, mode: 'bulk' | 'pipeline', target: Target, host: string, port: number, count: number, boundMs: number): Promise<Cell> {
  return runJsonChild<BulkReport>(ctx, CHILD, [mode, host, String(port), String(count), '-', target], boundMs, (r) =>
    ok(r.peakRssMB, r.peakRssMB - r.rssBeforeMB, r.peakHeapMB, r.opsPerSecond, r.seconds),
  );
}

export const bulk: Scenario = {
  id: 9,
  title: 'bulk(): 1M and 10M SETs streamed in constant memory, vs one 1M pipeline (child process each)',
  async run(ctx) {
    if (!ctx.clients.some((c) => c.name === 'slotline')) return [];
    const counts = ctx.quick ? { small: 100_000, large: 300_000 } : { small: 1_000_000, large: 10_000_000 };
    const boundMs = ctx.quick ? 60_000 : 180_000;
    const server = await ctx.servers.standalone();
    const seed = (await ctx.servers.cluster()).seeds[0]!;
    const n = (c: number): string => c.toLocaleString('en-US');
    const runs: Array<[string, 'bulk' | 'pipeline', number, Target]> = [
      [`bulk() ${n(counts.small)}`, 'bulk', counts.small, 'standalone'],
      [`bulk() ${n(counts.large)}`, 'bulk', counts.large, 'standalone'],
      [`pipeline() ${n(counts.small)}`, 'pipeline', counts.small, 'standalone'],
      // The cluster's bulk(): a window per node, replies handed back in the source's order.
      [`cluster bulk() ${n(counts.small)}`, 'bulk', counts.small, 'cluster'],
      [`cluster bulk() ${n(counts.large)}`, 'bulk', counts.large, 'cluster'],
      [`cluster pipeline() ${n(counts.small)}`, 'pipeline', counts.small, 'cluster'],
    ];
    const rows: Row[] = [];
    for (const [label, mode, count, target] of runs) {
      const at = target === 'cluster' ? seed : server;
      const cell = await runChild(ctx, mode, target, at.host, at.port, count, boundMs);
      ctx.log(`  ${label}: ${cell.kind === 'ok' ? `peak RSS ${Math.round(cell.values[0] ?? 0)} MB, ${Math.round(cell.values[3] ?? 0)} ops/s` : cell.reason}`);
      rows.push({ client: `slotline ${label}`, role: mode === 'bulk' ? 'subject' : 'subject-variant', cell });
    }
    return [
      {
        id: '9',
        title: `bulk(): ${n(counts.small)} and ${n(counts.large)} SETs vs one pipeline of ${n(counts.small)}, on one server and on a 3-primary cluster`,
        columns: ['peak RSS MB', 'RSS growth MB', 'peak heap MB', 'ops/s', 'seconds'],
        better: 'lower',
        rows,
        notes: [
          'peak RSS is the kernel high-water mark (maxRSS) of the child, which runs under tsx (about 30 MB of it); growth = peak minus the figure before the run',
          'bulk() reads a generator lazily with the default window (4,000) and maxPending (8,000), onReply counting errors; the pipeline is given its tuples built beforehand, as it needs them',
        ],
        params: counts,
      },
    ];
  },
};
