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
import { tracingChannel } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import type { Adapter, ClientSpec, Cmd, Endpoint, Target } from '../adapters/types.js';
import { raw } from '../adapters/raw.js';
import { ok, type Row, type ScenarioResult } from '../report.js';
import { errorText, median, now, percentile, Samples, type Deadline } from '../stats.js';
import type { ClusterHandle } from '../../../test/harness/servers.js';
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

/** One lane's moments, as slotline's `slotline:batch` tracing context carries them (BatchTiming). */
interface LaneTiming {
  planned: number;
  firstByteWritten?: number;
  lastByteWritten?: number;
  firstReply?: number;
  lastReply?: number;
}

/** Where one traced batch's time went, in ms, from the caller's call to its result. */
interface Breakdown {
  /** call → the batch split by node (planning). */
  plan: number;
  /** split → the last lane's first write (encoding, the tick's end). */
  toWrite: number;
  /** first write → last lane's last reply (the wire, servers and proxies). */
  wire: number;
  /** last reply → the caller has the merged result. */
  merge: number;
  /** last lane's first reply minus first lane's (how far apart the nodes answer). */
  spread: number;
}

const STAGES: readonly (keyof Breakdown)[] = ['plan', 'toWrite', 'wire', 'merge', 'spread'];

function breakdownOf(t0: number, t1: number, lanes: readonly LaneTiming[]): Breakdown | undefined {
  const first = lanes.map((l) => l.firstByteWritten);
  const lastReply = lanes.map((l) => l.lastReply);
  const firstReply = lanes.map((l) => l.firstReply);
  if (lanes.length === 0 || [...first, ...lastReply, ...firstReply].some((x) => x === undefined)) return undefined;
  const planned = Math.min(...lanes.map((l) => l.planned));
  const written = first as number[];
  const replied = lastReply as number[];
  return {
    plan: planned - t0,
    toWrite: Math.max(...written) - planned,
    wire: Math.max(...replied) - Math.min(...written),
    merge: t1 - Math.max(...replied),
    spread: Math.max(...(firstReply as number[])) - Math.min(...(firstReply as number[])),
  };
}

/**
 * slotline's batches once more, with a subscriber on `slotline:batch` (the tracing channel any
 * user can subscribe to): each lane's BatchTiming, folded into medians per stage. A separate
 * pass, since tracing costs a little; the timed rows above run without a subscriber.
 */
async function traceLanes(adapter: Adapter, batches: readonly Cmd[][], deadline: Deadline): Promise<{ stages: Breakdown; wall: number[] }> {
  // The start event carries the context the connection then fills in.
  const start = tracingChannel<unknown, { timing?: LaneTiming }>('slotline:batch').start;
  let lanes: LaneTiming[] = [];
  const onStart = (message: unknown): void => {
    const timing = (message as { timing?: LaneTiming }).timing;
    if (timing !== undefined) lanes.push(timing);
  };
  start.subscribe(onStart);
  const per: Breakdown[] = [];
  const wall: number[] = [];
  try {
    for (const batch of batches) {
      lanes = [];
      const t0 = now();
      await adapter.batch(batch);
      const t1 = now();
      wall.push(t1 - t0);
      const b = breakdownOf(t0, t1, lanes);
      if (b !== undefined) per.push(b);
      deadline.check();
    }
  } finally {
    start.unsubscribe(onStart);
  }
  if (per.length === 0) throw new Error('no lane timings: is this build older than BatchTiming?');
  const stages = Object.fromEntries(STAGES.map((k) => [k, median(per.map((b) => b[k]))])) as unknown as Breakdown;
  return { stages, wall };
}

const WARM_BATCHES = 30;

interface DelayedParams {
  size: number;
  /** Timed batches per client after warm-up; p50 and p99 are over these. */
  batches: number;
  delayMs: number;
  pings: number;
}

/** One delayed-cluster table: every client's batch wall time as p50/p99 and × one PING round trip. */
async function delayedRun(ctx: RunContext, id: string, title: string, cluster: ClusterHandle, p: DelayedParams): Promise<ScenarioResult> {
  const boundMs = ctx.quick ? 40_000 : 60_000;
  // Bounded even if this process hangs: every cell's bound, for every row, plus a margin.
  const lifetimeMs = boundMs * 2 * (ctx.clients.length + 1) + 60_000;
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
    const batches = randomSetBatches(p.batches + 1, p.size, 6, VALUE);
    const timed = batches.slice(0, p.batches);
    const warmBatch = batches[p.batches] as Cmd[];
    // Warm-up batches: run on its own after one, every client's code was still cold (1.6-1.9x
    // RTT); after ten, the first client measured still read ~15% above its own later rows.
    const warmUp = async (a: Adapter, variant: Variant): Promise<void> => {
      for (let w = 0; w < WARM_BATCHES; w++) await warm(a, variant, warmBatch);
    };
    const cellOf = (times: number[]): ReturnType<typeof ok> => {
      const p50 = median(times);
      const p99 = percentile(times, 99);
      return ok(p50, p99, p50 / rtt, p99 / rtt);
    };
    const rows = await perClient(ctx, target, boundMs, 'ms', async (a, variant, deadline) => {
      await warmUp(a, variant);
      const times: number[] = [];
      for (const batch of timed) {
        const t0 = now();
        await send(a, variant, batch);
        times.push(now() - t0);
        deadline.check();
      }
      return cellOf(times);
    });
    const notes = [
      `one PING through a proxy: ${rtt.toFixed(2)} ms (median of ${p.pings}); a batch split by node and sent to all nodes in parallel needs about 1 round trip`,
      `${p.batches} timed batches per client after ${WARM_BATCHES} warm-up ones, ${p.size} SETs on random keys each, ${cluster.nodes.length} primaries, ${p.delayMs} ms added each way by one proxy per node; clients reach the proxies through natMap (slotline, ioredis), nodeAddressMap (node-redis) or addressResolver (GLIDE)`,
      `the proxies run in a child process of their own (proxy process: ${pinnedAt}), so no client's CPU work delays their forwarding`,
    ];
    const subject = ctx.clients.find((c) => c.role === 'subject');
    if (subject !== undefined) {
      let stages: Breakdown | undefined;
      const cell = await runCell(ctx, subject, target, boundMs, async (a, deadline) => {
        await warmUp(a, { kind: 'batch' });
        const traced = await traceLanes(a, timed, deadline);
        stages = traced.stages;
        return cellOf(traced.wall);
      });
      const label = `${subject.name} (traced)`;
      logCell(ctx, label, cell, 'ms');
      rows.push(row(subject, cell, label));
      if (stages !== undefined) {
        const s = stages;
        notes.push(
          `where a traced slotline batch's time goes (medians, ms, from the \`slotline:batch\` channel's BatchTiming): planning ${s.plan.toFixed(2)}, split → last lane's first write ${s.toWrite.toFixed(2)}, first write → last reply ${s.wire.toFixed(2)} (${(s.wire / rtt).toFixed(2)} × RTT; the nodes' first replies ${s.spread.toFixed(2)} apart), last reply → merged result ${s.merge.toFixed(2)}`,
        );
      }
    }
    return {
      id,
      title,
      columns: [`p50 ms (${p.batches} batches)`, 'p99 ms', 'p50 × PING RTT', 'p99 × PING RTT'],
      better: 'lower',
      rows,
      notes,
      params: { ...p, nodes: cluster.nodes.length, pingRoundTripMs: rtt, proxyProcess: pinnedAt },
    };
  } finally {
    await child.stop();
  }
}

export const delayedCluster: Scenario = {
  id: 6,
  title: 'cluster behind a 5 ms delay proxy: one 300-command cross-node batch',
  async run(ctx) {
    const p: DelayedParams = { size: 300, batches: ctx.quick ? 30 : 40, delayMs: 5, pings: ctx.quick ? 5 : 10 };
    const results = [await delayedRun(ctx, '6', `${this.title} over 3 primaries`, await ctx.servers.cluster(), p)];
    // 30 primaries: 10 commands per node, 30 lanes to plan, write and merge.
    try {
      results.push(await delayedRun(ctx, '6b', `${this.title} over 30 primaries`, await ctx.servers.wideCluster(), p));
    } finally {
      await ctx.servers.stopWide();
    }
    return results;
  },
};
