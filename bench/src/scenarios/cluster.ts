/**
 * Scenarios 5 and 6, a 3-primary cluster with no replicas. 5: one batch of 1,000 SETs on
 * random keys (all primaries), repeated. 6: the same cluster behind one delay proxy per
 * node (5 ms each way), clients told the proxies through natMap or their address-mapping
 * option; the wall time of one 300-command cross-node batch against one PING's round trip.
 * Each client gets two rows: its explicit batch (what it refuses is recorded as its error),
 * and the same commands issued at once and awaited together ("concurrent").
 *
 * The proxies of 6 run in a child process (proxy-child.ts), pinned with the servers: in the
 * bench process, a JavaScript client's own CPU work would delay the proxies' timers and
 * forwarding on the same event loop, while GLIDE works on Rust threads and leaves it free.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Adapter, ClientSpec, Cmd, Endpoint, Target } from '../adapters/types.js';
import { raw } from '../adapters/raw.js';
import { ok, type Row, type ScenarioResult } from '../report.js';
import { errorText, median, now, Samples, type Deadline } from '../stats.js';
import { logCell, randomSetBatches, row, runCell, type RunContext, type Scenario } from './common.js';

const VALUE = 'v'.repeat(32);
const DISTINCT_BATCHES = 10;

type Variant = { kind: 'batch' } | { kind: 'concurrent' };

const VARIANTS: readonly Variant[] = [{ kind: 'batch' }, { kind: 'concurrent' }];

function label(spec: ClientSpec, variant: Variant): string {
  return variant.kind === 'batch' ? spec.name : `${spec.name} (concurrent)`;
}

function send(adapter: Adapter, variant: Variant, cmds: readonly Cmd[]): Promise<unknown> {
  if (variant.kind === 'batch') return adapter.batch(cmds);
  return Promise.all(cmds.map((c) => (c.kind === 'set' ? adapter.set(c.key, c.value) : adapter.get(c.key))));
}

/** Opens a connection to every node before timing: a batch touching every slot range does. */
async function warm(adapter: Adapter, variant: Variant, cmds: readonly Cmd[]): Promise<void> {
  await send(adapter, { kind: 'concurrent' }, cmds);
  if (variant.kind === 'batch') await send(adapter, variant, cmds);
}

async function perClient(
  ctx: RunContext,
  target: Target,
  boundMs: number,
  unit: string,
  measure: (a: Adapter, v: Variant, d: Deadline) => Promise<ReturnType<typeof ok>>,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const spec of ctx.clients) {
    if (!spec.clusterCapable) continue;
    for (const variant of VARIANTS) {
      const cell = await runCell(ctx, spec, target, boundMs, (a, d) => measure(a, variant, d));
      logCell(ctx, label(spec, variant), cell, unit);
      rows.push(row(spec, cell, label(spec, variant)));
    }
  }
  return rows;
}

export const clusterBatch: Scenario = {
  id: 5,
  title: 'cluster: one batch of 1,000 SETs on random keys across all primaries',
  async run(ctx) {
    const p = ctx.quick ? { size: 1000, batches: 10, repeats: 2 } : { size: 1000, batches: 50, repeats: 3 };
    const cluster = await ctx.servers.cluster();
    const target: Target = { kind: 'cluster', seeds: cluster.seeds };
    const batches = randomSetBatches(DISTINCT_BATCHES, p.size, 5, VALUE);
    const rows = await perClient(ctx, target, ctx.quick ? 30_000 : 90_000, 'SET/s', async (a, variant, deadline) => {
      await warm(a, variant, batches[0] as Cmd[]);
      const samples = new Samples();
      const rates: number[] = [];
      for (let r = 0; r < p.repeats; r++) {
        const t0 = now();
        for (let i = 0; i < p.batches; i++) {
          const b0 = now();
          await send(a, variant, batches[i % batches.length] as Cmd[]);
          samples.push(now() - b0);
          deadline.check();
        }
        rates.push((p.size * p.batches) / ((now() - t0) / 1000));
      }
      return ok(median(rates), samples.percentile(50), samples.percentile(99));
    });
    return [
      {
        id: '5',
        title: this.title,
        columns: [`SET/s (median of ${p.repeats})`, 'p50 ms/batch', 'p99 ms/batch'],
        better: 'higher',
        rows,
        notes: [
          `${p.batches} batches of ${p.size} SETs per repeat, keys random over all slots, cluster of 3 primaries and no replicas`,
          '"(concurrent)" rows issue the same 1,000 commands at once and await them all, instead of an explicit batch',
        ],
        params: p,
      },
    ];
  },
};

const PROXY_CHILD = fileURLToPath(new URL('../proxy-child.ts', import.meta.url));
const PROXY_START_BOUND_MS = 15_000;
const PROXY_STOP_BOUND_MS = 2_000;

interface ProxyChild {
  /** One proxy per target, in the order given. */
  readonly proxies: readonly Endpoint[];
  readonly pid: number;
  /** Ends the child: SIGTERM, then SIGKILL if it is still there after a bound. Never throws. */
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, PROXY_STOP_BOUND_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
    child.kill('SIGTERM');
  });
}

/**
 * Forks proxy-child.ts with the bench's own Node flags (tsx's loader), one proxy per target,
 * and waits (bounded) for their ports. The child exits by itself when this process goes away
 * (its IPC channel closes) or after `lifetimeMs`.
 */
async function startProxyChild(targets: readonly Endpoint[], delayMs: number, lifetimeMs: number): Promise<ProxyChild> {
  const child = fork(PROXY_CHILD, [String(delayMs), String(lifetimeMs), ...targets.map((t) => `${t.host}:${t.port}`)], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const stop = (): Promise<void> => stopChild(child);
  try {
    const ports = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`proxy child gave no ports within ${PROXY_START_BOUND_MS / 1000} s`)), PROXY_START_BOUND_MS);
      const done = (): void => clearTimeout(timer);
      child.once('message', (message: { ports?: number[]; error?: string }) => {
        done();
        if (message.ports !== undefined && message.ports.length === targets.length) resolve(message.ports);
        else reject(new Error(`proxy child: ${message.error ?? 'bad message'}`));
      });
      child.once('error', (error) => {
        done();
        reject(error);
      });
      child.once('exit', (code, signal) => {
        done();
        reject(new Error(`proxy child exited (${signal ?? code}) before listening`));
      });
    });
    if (child.pid === undefined) throw new Error('proxy child has no pid');
    return { proxies: ports.map((port) => ({ host: '127.0.0.1', port })), pid: child.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Median round trip of a PING through one proxy, over a bare socket. */
async function pingRoundTrip(proxy: Endpoint, count: number): Promise<number> {
  const socket = await raw.open({ kind: 'standalone', host: proxy.host, port: proxy.port });
  try {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = now();
      await socket.ping();
      times.push(now() - t0);
    }
    return median(times);
  } finally {
    await socket.close();
  }
}

export const delayedCluster: Scenario = {
  id: 6,
  title: 'cluster behind a 5 ms delay proxy: one 300-command cross-node batch',
  async run(ctx) {
    const p = ctx.quick
      ? { size: 300, repeats: 3, delayMs: 5, pings: 5 }
      : { size: 300, repeats: 7, delayMs: 5, pings: 10 };
    const cluster = await ctx.servers.cluster();
    const boundMs = ctx.quick ? 30_000 : 60_000;
    // Bounded even if this process hangs: every cell's bound, for every row, plus a margin.
    const lifetimeMs = boundMs * 2 * ctx.clients.length + 60_000;
    const child = await startProxyChild(
      cluster.nodes.map((node) => ({ host: node.host, port: node.port })),
      p.delayMs,
      lifetimeMs,
    );
    try {
      let pinnedAt: string;
      try {
        pinnedAt = ctx.servers.pinWithServers(child.pid);
      } catch (error) {
        pinnedAt = `left on the bench's CPU (taskset failed: ${errorText(error)})`;
      }
      ctx.log(`  proxy process ${child.pid}: ${pinnedAt}`);
      const proxies = child.proxies;
      const natMap: Record<string, Endpoint> = {};
      cluster.nodes.forEach((node, i) => {
        natMap[`${node.host}:${node.port}`] = proxies[i] as Endpoint;
      });
      const target: Target = { kind: 'cluster', seeds: proxies.map((x) => ({ host: x.host, port: x.port })), natMap };
      const rtt = await pingRoundTrip(proxies[0] as Endpoint, p.pings);
      ctx.log(`  PING round trip through the proxy: ${rtt.toFixed(2)} ms`);
      const batches = randomSetBatches(p.repeats + 1, p.size, 6, VALUE);
      const rows = await perClient(ctx, target, boundMs, 'ms', async (a, variant, deadline) => {
        // A few batches more than one: run on its own, one warm-up left every client's code
        // cold and read 1.6-1.9x RTT for all of them; ten cost ~0.2 s per client.
        for (let w = 0; w < 10; w++) await warm(a, variant, batches[p.repeats] as Cmd[]);
        const times: number[] = [];
        for (let r = 0; r < p.repeats; r++) {
          const t0 = now();
          await send(a, variant, batches[r] as Cmd[]);
          times.push(now() - t0);
          deadline.check();
        }
        const wall = median(times);
        return ok(wall, Math.min(...times), wall / rtt);
      });
      return [
        {
          id: '6',
          title: this.title,
          columns: [`ms (median of ${p.repeats})`, 'min ms', '× PING RTT'],
          better: 'lower',
          rows,
          notes: [
            `one PING through a proxy: ${rtt.toFixed(2)} ms (median of ${p.pings}); a batch split by node and sent to all nodes in parallel needs about 1 round trip`,
            `${p.size} SETs on random keys per batch, ${p.delayMs} ms added each way by one proxy per node; clients reach the proxies through natMap (slotline, ioredis), nodeAddressMap (node-redis) or addressResolver (GLIDE)`,
            `the proxies run in a child process of their own (proxy process: ${pinnedAt}), so no client's CPU work delays their forwarding`,
          ],
          params: { ...p, pingRoundTripMs: rtt, proxyProcess: pinnedAt },
        },
      ];
    } finally {
      await child.stop();
    }
  },
};
