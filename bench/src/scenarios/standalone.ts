/**
 * Scenarios 1-4, one standalone server: awaited SETs one at a time, 100 commands in flight,
 * explicit pipelines of 1,000 SETs (with redis-benchmark as the server's ceiling), and
 * 100 KB values. Every client sees the same keys, values and counts.
 */
import { execFile } from 'node:child_process';
import type { Cmd, Target } from '../adapters/types.js';
import { na, ok, type Cell, type Row, type ScenarioResult } from '../report.js';
import { errorText, now } from '../stats.js';
import { logCell, repeat, row, runCell, type RunContext, type Scenario } from './common.js';

const SMALL_VALUE = 'v'.repeat(32);
const KEYS = Array.from({ length: 1000 }, (_, i) => `bench:k:${i}`);

async function target(ctx: RunContext): Promise<Target> {
  const server = await ctx.servers.standalone();
  return { kind: 'standalone', host: server.host, port: server.port };
}

async function eachClient(
  ctx: RunContext,
  boundMs: number,
  unit: string,
  measure: Parameters<typeof runCell>[4],
): Promise<Row[]> {
  const t = await target(ctx);
  const rows: Row[] = [];
  for (const spec of ctx.clients) {
    const cell = await runCell(ctx, spec, t, boundMs, measure);
    logCell(ctx, spec.name, cell, unit);
    rows.push(row(spec, cell));
  }
  return rows;
}

export const serialSet: Scenario = {
  id: 1,
  title: 'one SET at a time, awaited (latency-bound)',
  async run(ctx) {
    const p = ctx.quick ? { ops: 2000, repeats: 2 } : { ops: 20_000, repeats: 5 };
    const rows = await eachClient(ctx, ctx.quick ? 20_000 : 60_000, 'ops/s', async (a, deadline) => {
      const { rate, samples } = await repeat(p.repeats, p.ops, deadline, async (samples) => {
        const n = samples === undefined ? p.ops / 10 : p.ops;
        for (let i = 0; i < n; i++) {
          const t0 = now();
          await a.set(KEYS[i % KEYS.length] as string, SMALL_VALUE);
          samples?.push(now() - t0);
          if ((i & 1023) === 0) deadline.check();
        }
      });
      return ok(rate, samples.percentile(50) * 1000, samples.percentile(99) * 1000);
    });
    return [
      {
        id: '1',
        title: this.title,
        columns: [`ops/s (median of ${p.repeats})`, 'p50 µs', 'p99 µs'],
        better: 'higher',
        rows,
        notes: [`${p.ops} SETs of ${SMALL_VALUE.length}-byte values per repeat, each awaited before the next`],
        params: p,
      },
    ];
  },
};

export const inFlight: Scenario = {
  id: 2,
  title: '100 commands in flight on one client (GET/SET alternating)',
  async run(ctx) {
    const p = ctx.quick ? { ops: 20_000, repeats: 2, inFlight: 100 } : { ops: 200_000, repeats: 3, inFlight: 100 };
    const rows = await eachClient(ctx, ctx.quick ? 30_000 : 90_000, 'ops/s', async (a, deadline) => {
      const { rate, samples } = await repeat(p.repeats, p.ops, deadline, async (samples) => {
        const total = samples === undefined ? p.ops / 10 : p.ops;
        let next = 0;
        const worker = async (): Promise<void> => {
          for (;;) {
            const i = next++;
            if (i >= total) return;
            const key = KEYS[i % KEYS.length] as string;
            const t0 = now();
            await ((i & 1) === 0 ? a.set(key, SMALL_VALUE) : a.get(key));
            samples?.push(now() - t0);
            if ((i & 4095) === 0) deadline.check();
          }
        };
        await Promise.all(Array.from({ length: p.inFlight }, worker));
      });
      return ok(rate, samples.percentile(50) * 1000, samples.percentile(99) * 1000);
    });
    return [
      {
        id: '2',
        title: this.title,
        columns: [`ops/s (median of ${p.repeats})`, 'p50 µs', 'p99 µs'],
        better: 'higher',
        rows,
        notes: [`${p.ops} commands per repeat from ${p.inFlight} concurrent loops, each awaiting its reply`],
        params: p,
      },
    ];
  },
};

/** The server's own ceiling for the same shape: redis-benchmark with pipelines of 1,000. */
function redisBenchmark(ctx: RunContext, port: number, n: number): Promise<Cell> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-P', '1000', '-c', '1', '-t', 'set', '-n', String(n), '-q'];
  const [file, argv] = ctx.pinned ? ['taskset', ['-c', '0', 'redis-benchmark', ...args]] : ['redis-benchmark', args];
  return new Promise((resolve) => {
    execFile(file, argv as string[], { timeout: 120_000, encoding: 'utf8' }, (error, stdout) => {
      // -q still prints progress with carriage returns; the last SET line is the result.
      const matches = [...stdout.matchAll(/SET: ([\d.]+) requests per second(?:, p50=([\d.]+) msec)?/g)];
      const last = matches.at(-1);
      if (last === undefined) {
        resolve(na(error ? errorText(error) : `unexpected output: ${stdout.slice(-120)}`));
        return;
      }
      resolve(ok(Number(last[1])));
    });
  });
}

export const pipelines: Scenario = {
  id: 3,
  title: 'explicit pipelines of 1,000 SETs',
  async run(ctx) {
    const p = ctx.quick
      ? { size: 1000, pipelines: 20, repeats: 2, redisBenchmarkN: 200_000 }
      : { size: 1000, pipelines: 100, repeats: 3, redisBenchmarkN: 1_000_000 };
    const batch: Cmd[] = Array.from({ length: p.size }, (_, i) => ({
      kind: 'set',
      key: KEYS[i % KEYS.length] as string,
      value: SMALL_VALUE,
    }));
    const rows = await eachClient(ctx, ctx.quick ? 30_000 : 90_000, 'SET/s', async (a, deadline) => {
      const { rate, samples } = await repeat(p.repeats, p.size * p.pipelines, deadline, async (samples) => {
        const n = samples === undefined ? Math.max(2, p.pipelines / 10) : p.pipelines;
        for (let i = 0; i < n; i++) {
          const t0 = now();
          await a.batch(batch);
          samples?.push(now() - t0);
          deadline.check();
        }
      });
      return ok(rate, samples.percentile(50), samples.percentile(99));
    });
    const server = await ctx.servers.standalone();
    const rb = await redisBenchmark(ctx, server.port, p.redisBenchmarkN);
    logCell(ctx, 'redis-benchmark', rb, 'SET/s');
    rows.push({ client: 'redis-benchmark -P 1000 (server ceiling)', role: 'baseline', cell: rb });
    return [
      {
        id: '3',
        title: this.title,
        columns: [`SET/s (median of ${p.repeats})`, 'p50 ms/pipeline', 'p99 ms/pipeline'],
        better: 'higher',
        rows,
        notes: [
          `${p.pipelines} pipelines of ${p.size} SETs (${SMALL_VALUE.length}-byte values) per repeat, one after another`,
          `redis-benchmark -P 1000 -c 1 -t set -n ${p.redisBenchmarkN} -q${ctx.pinned ? ', under taskset -c 0' : ''}`,
        ],
        params: p,
      },
    ];
  },
};

export const bigValues: Scenario = {
  id: 4,
  title: '100 KiB values: pipelines of 100 SET + 100 GET',
  async run(ctx) {
    const p = ctx.quick
      ? { valueBytes: 100 * 1024, perPipeline: 100, pipelines: 4, repeats: 2 }
      : { valueBytes: 100 * 1024, perPipeline: 100, pipelines: 20, repeats: 3 };
    const value = 'x'.repeat(p.valueBytes);
    const batch: Cmd[] = [
      ...Array.from({ length: p.perPipeline }, (_, i): Cmd => ({ kind: 'set', key: `bench:big:${i}`, value })),
      ...Array.from({ length: p.perPipeline }, (_, i): Cmd => ({ kind: 'get', key: `bench:big:${i}` })),
    ];
    // Both directions carry the payload once: values out with SET, back with GET.
    const mbPerPipeline = (2 * p.perPipeline * p.valueBytes) / 1e6;
    const rows = await eachClient(ctx, ctx.quick ? 30_000 : 90_000, 'MB/s', async (a, deadline) => {
      const { rate, samples } = await repeat(p.repeats, mbPerPipeline * p.pipelines, deadline, async (samples) => {
        const n = samples === undefined ? 2 : p.pipelines;
        for (let i = 0; i < n; i++) {
          const t0 = now();
          await a.batch(batch);
          samples?.push(now() - t0);
          deadline.check();
        }
      });
      return ok(rate, samples.percentile(50), samples.percentile(99));
    });
    return [
      {
        id: '4',
        title: this.title,
        columns: [`MB/s (median of ${p.repeats})`, 'p50 ms/pipeline', 'p99 ms/pipeline'],
        better: 'higher',
        rows,
        notes: [
          `${p.pipelines} pipelines per repeat; MB = 10^6 bytes of values moved (SET payload out + GET payload back), ${mbPerPipeline.toFixed(1)} MB per pipeline; values are strings`,
        ],
        params: p,
      },
    ];
  },
};
