/**
 * The soak run itself, in a child process of its own (started by test/integration/soak.test.ts
 * with --expose-gc, so the heap is this client's alone and can be collected on demand). Every
 * command kind against a cluster, with random faults, for SOAK_MS; prints one JSON line of
 * figures on stdout. Reads the cluster's addresses from SOAK_SEEDS (JSON [{host, port}]).
 *
 *   workers (serial loops, each owns its keys)     faults (one every ~FAULT_EVERY ms)
 *   get/set with a unique value                    cut every connection of one node (proxy)
 *   pipeline SET/GET/INCR/ECHO                     CLIENT KILL TYPE normal on one node
 *   multi INCR/SET/GET                             CLUSTER FAILOVER of one shard (every 4th)
 *   script (defineScript INCRBY)
 *   blocking: RPUSH then BLPOP of that element
 *   watch: GET then MULTI SET (optimistic)
 *
 * Invariants counted (the test asserts them): wrong replies (any value not its own), untyped
 * failures, calls over the bound, INCR accounting (acknowledged ≤ final ≤ acknowledged + lost
 * after being written). Measured: heap after GC at the start and the end of the load, timers and
 * listeners at both points, event-loop delay p50/p99/max (perf_hooks.monitorEventLoopDelay).
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ClusterError, ConnectionError, createCluster, defineScript, PipelineError, TimeoutError, type Cluster } from '../../src/index.js';
import { startProxy, type Proxy } from '../harness/proxy.js';
import { redisCli } from '../harness/servers.js';

interface Seed {
  host: string;
  port: number;
}

const SOAK_MS = Number(process.env['SOAK_MS'] ?? 10_000);
const FAULT_EVERY = Number(process.env['SOAK_FAULT_EVERY'] ?? 1000);
const WORKERS = 8;
const BOUND_MS = 12_000;
const seeds = JSON.parse(process.env['SOAK_SEEDS'] ?? '[]') as Seed[];
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('soak-child needs --expose-gc');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const incrBy = defineScript({ lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])", keys: 1 });

interface Tally {
  calls: number;
  wrong: string[];
  untyped: string[];
  typed: number;
  slowest: number;
  acked: number;
  maybe: number;
}

/** A typed failure the soak tolerates: the connection or the cluster said why. */
function typed(error: unknown): boolean {
  return error instanceof ConnectionError || error instanceof TimeoutError || error instanceof ClusterError || error instanceof PipelineError;
}

/** Whether a failed increment may have run: written, or a cluster error that followed a written one. */
function mayHaveRun(error: unknown): boolean {
  if (error instanceof ConnectionError || error instanceof TimeoutError) return error.written;
  if (error instanceof PipelineError) return error.written > 0;
  if (error instanceof ClusterError) return true; // conservative: its cause may be a written loss
  return false;
}

async function worker(c: Cluster, n: number, until: () => boolean): Promise<Tally & { counter: string }> {
  const t: Tally = { calls: 0, wrong: [], untyped: [], typed: 0, slowest: 0, acked: 0, maybe: 0 };
  const tag = `{soak-${n}-${randomUUID()}}`;
  const counter = `${tag}:count`;
  /** An increment of the counter by one: check the reply is the next number, or count the loss. */
  const counted = (reply: unknown): void => {
    if (typeof reply !== 'number') return;
    if (reply <= t.acked) t.wrong.push(`counter ${reply} after ${t.acked}`);
    t.acked = reply;
  };
  for (let i = 0; !until(); i++) {
    const key = `${tag}:k${i % 8}`;
    const value = `${n}-${i}-${randomUUID()}`;
    const started = performance.now();
    const kind = i % 6;
    try {
      switch (kind) {
        case 0: {
          if ((await c.set(key, value)) !== 'OK') t.wrong.push('SET');
          const got = await c.get(key);
          if (got !== value) t.wrong.push(`GET ${String(got)}`);
          counted(await c.incr(counter));
          break;
        }
        case 1: {
          const r = await c.pipeline().set(key, value).get(key).incr(counter).echo(value).exec();
          for (const e of r) if (e instanceof Error) throw e;
          if (r[0] !== 'OK' || r[1] !== value || r[3] !== value) t.wrong.push(`pipeline ${String(r)}`);
          counted(r[2]);
          break;
        }
        case 2: {
          const r = await c.multi().incr(counter).set(key, value).get(key).exec();
          if (r[1] !== 'OK' || r[2] !== value) t.wrong.push(`multi ${String(r)}`);
          counted(r[0]);
          break;
        }
        case 3:
          counted(await c.runScript(incrBy, [counter], ['1']));
          break;
        case 4: {
          // A list of its own each time: a failed round cannot leave an element for the next one,
          // and RPUSH answering more than 1 would mean a push applied twice.
          const list = `${tag}:list:${i}`;
          const length = await c.rpush(list, value);
          if (length !== 1) t.wrong.push(`RPUSH ${i} answered ${length}`);
          const popped = await c.blpop(list, 2);
          if (popped === null || popped.element !== value) t.wrong.push(`BLPOP ${JSON.stringify(popped)}`);
          break;
        }
        default: {
          const r = await c.watch(key, async (tx) => {
            await tx.get(key);
            return tx.multi().set(key, value).incr(counter);
          });
          if (r !== null) {
            if (r[0] !== 'OK') t.wrong.push(`watch ${String(r)}`);
            counted(r[1]);
          }
        }
      }
    } catch (error) {
      if (!typed(error)) t.untyped.push(`${kind}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      else t.typed++;
      // Only kinds that increment count a loss; a failed increment of kind 0 may have run.
      if (kind !== 4 && mayHaveRun(error)) t.maybe++;
      await sleep(5);
    }
    t.calls++;
    t.slowest = Math.max(t.slowest, performance.now() - started);
  }
  return { ...t, counter };
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const proxies = new Map<number, Proxy>();
  const natMap: Record<string, Seed> = {};
  for (const seed of seeds) {
    const proxy = await startProxy({ target: seed });
    proxies.set(seed.port, proxy);
    natMap[`${seed.host}:${seed.port}`] = { host: proxy.host, port: proxy.port };
  }
  const c = createCluster({
    nodes: [...proxies.values()].map((p) => ({ host: p.host, port: p.port })),
    natMap,
    reconnect: { initialDelay: 10, maxDelay: 200 },
    commandTimeout: 5000,
  });
  c.on('error', () => undefined);
  await c.connect();

  const RESOLUTION_MS = 10;
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const faults = { cut: 0, kill: 0, failover: 0 };
  let stop = false;
  const started = Date.now();
  const workers = Array.from({ length: WORKERS }, (_, n) => worker(c, n, () => stop));
  // Warm-up: every path has run and allocated its connections before the first measurement.
  await sleep(Math.min(1500, SOAK_MS / 5));
  const heapStart = await settledHeap();
  const timersStart = timers();
  const listenersStart = c.eventNames().reduce((n, e) => n + c.listenerCount(e), 0);
  histogram.enable();
  const ports = [...proxies.keys()];
  for (let fault = 0; Date.now() - started < SOAK_MS; fault++) {
    await sleep(FAULT_EVERY * (0.5 + Math.random()));
    const port = ports[Math.floor(Math.random() * ports.length)]!;
    try {
      if (fault % 4 === 3) {
        // Every fourth fault: a graceful failover of a random shard (its replica takes over).
        const replicas = [];
        for (const p of ports) if ((await redisCli(p, 'ROLE')).startsWith('slave')) replicas.push(p);
        const replica = replicas[Math.floor(Math.random() * replicas.length)];
        if (replica !== undefined && (await redisCli(replica, 'CLUSTER', 'FAILOVER')) === 'OK') faults.failover++;
      } else if (Math.random() < 0.5) {
        proxies.get(port)!.cutAll();
        faults.cut++;
      } else {
        await redisCli(port, 'CLIENT', 'KILL', 'TYPE', 'normal');
        faults.kill++;
      }
    } catch {
      // A fault that could not be placed (a node busy failing over) is just skipped.
    }
  }
  histogram.disable();
  stop = true;
  const results = await Promise.all(workers);
  await sleep(200);
  const heapEnd = await settledHeap();
  const timersEnd = timers();
  const listenersEnd = c.eventNames().reduce((n, e) => n + c.listenerCount(e), 0);

  const finals = await Promise.all(results.map((w) => c.get(w.counter).then(Number)));
  const accounting = results.map((w, i) => ({ acked: w.acked, maybe: w.maybe, final: finals[i]! }));
  await c.close();
  await Promise.all([...proxies.values()].map((p) => p.close()));
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  console.log(
    JSON.stringify({
      durationMs: Date.now() - started,
      calls: results.reduce((n, w) => n + w.calls, 0),
      typedFailures: results.reduce((n, w) => n + w.typed, 0),
      wrong: results.flatMap((w) => w.wrong).slice(0, 20),
      untyped: results.flatMap((w) => w.untyped).slice(0, 20),
      slowestMs: Math.round(Math.max(...results.map((w) => w.slowest))),
      boundMs: BOUND_MS,
      accounting,
      faults,
      heapStartMB: heapStart / 1e6,
      heapEndMB: heapEnd / 1e6,
      timersStart,
      timersEnd,
      listenersStart,
      listenersEnd,
      // The histogram records the whole timer period; the delay is what exceeds the resolution.
      eventLoop: {
        resolutionMs: RESOLUTION_MS,
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
        p99DelayMs: Math.round((ms(histogram.percentile(99)) - RESOLUTION_MS) * 100) / 100,
      },
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
