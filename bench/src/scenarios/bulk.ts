/**
 * Scenario 9: slotline's bulk() against its own pipeline() (issue 15 §4). N SETs of 32 bytes
 * through bulk() at 1M and 10M (3M with --quick replaced by 100k/300k), and the same 1M through
 * one pipeline, each in a child process of its own (bulk-child.ts), so RSS figures do not mix.
 * Goals: peak RSS under 150 MB and flat from 1M to 10M; throughput at least the pipeline's.
 * slotline only: no other client has a streaming form to compare with.
 */
import { fileURLToPath } from 'node:url';
import type { BulkReport } from '../bulk-child.js';
import { ok, type Cell, type Row } from '../report.js';
import { runJsonChild, type RunContext, type Scenario } from './common.js';

const CHILD = fileURLToPath(new URL('../bulk-child.ts', import.meta.url));

function runChild(ctx: RunContext, mode: 'bulk' | 'pipeline', host: string, port: number, count: number, boundMs: number): Promise<Cell> {
  return runJsonChild<BulkReport>(ctx, CHILD, [mode, host, String(port), String(count)], boundMs, (r) =>
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
    const runs: Array<[string, 'bulk' | 'pipeline', number]> = [
      [`bulk() ${counts.small.toLocaleString('en-US')}`, 'bulk', counts.small],
      [`bulk() ${counts.large.toLocaleString('en-US')}`, 'bulk', counts.large],
      [`pipeline() ${counts.small.toLocaleString('en-US')}`, 'pipeline', counts.small],
    ];
    const rows: Row[] = [];
    for (const [label, mode, count] of runs) {
      const cell = await runChild(ctx, mode, server.host, server.port, count, boundMs);
      ctx.log(`  ${label}: ${cell.kind === 'ok' ? `peak RSS ${Math.round(cell.values[0] ?? 0)} MB, ${Math.round(cell.values[3] ?? 0)} ops/s` : cell.reason}`);
      rows.push({ client: `slotline ${label}`, role: mode === 'bulk' ? 'subject' : 'subject-variant', cell });
    }
    return [
      {
        id: '9',
        title: `bulk(): ${counts.small.toLocaleString('en-US')} and ${counts.large.toLocaleString('en-US')} SETs vs one pipeline of ${counts.small.toLocaleString('en-US')}`,
        columns: ['peak RSS MB', 'RSS growth MB', 'peak heap MB', 'ops/s', 'seconds'],
        better: 'lower',
        rows,
        notes: [
          'peak RSS is the kernel high-water mark (maxRSS) of the child, which runs under tsx (about 30 MB of it); growth = peak minus the figure before the run',
          'bulk() reads a generator lazily with the default window (4,000) and maxPending (16,000), onReply counting errors; the pipeline is given its tuples built beforehand, as it needs them',
        ],
        params: counts,
      },
    ];
  },
};
