/**
 * Scenario 9, client-side caching: a read-heavy workload (90% GET of 1,000 hot keys, 10% SET
 * of those keys, 100 commands in flight, one client) on one server, run by slotline without
 * and with `clientCache`, and by node-redis without and with its `clientSideCache` (RESP3).
 * Reports throughput, latency and the cache's hit rate as each client counts it. The SETs come
 * from the same client, so each one invalidates its key (locally and by the server's push),
 * and the next GET of that key misses: the hit rate cannot reach 100%.
 */
import { BasicClientSideCache, createClient } from 'redis';
import { na, ok, type Cell, type Row, type ScenarioResult } from '../report.js';
import { loadSlotline } from '../adapters/slotline.js';
import { collectGarbage, Deadline, errorText, median, now, Samples } from '../stats.js';
import { prng, type RunContext, type Scenario } from './common.js';

const HOT_KEYS = Array.from({ length: 1000 }, (_, i) => `bench:hot:${i}`);
const VALUE = 'v'.repeat(32);
const CLOSE_BOUND_MS = 5000;

interface Cacher {
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  /** Hits / (hits + misses) since open; NaN without a cache. */
  hitRate(): number;
  close(): Promise<void>;
}

interface Subject {
  name: string;
  role: 'subject' | 'other';
  open(host: string, port: number): Promise<Cacher>;
}

interface SlotlineCacheClient {
  connect(): Promise<unknown>;
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  cacheStats?: () => { hits: number; misses: number };
  close(): Promise<void>;
}

function slotlineSubject(cached: boolean): Subject {
  return {
    name: cached ? 'slotline + clientCache' : 'slotline',
    role: 'subject',
    async open(host, port) {
      const mod = (await loadSlotline()) as { createClient?: (o: object) => SlotlineCacheClient };
      if (typeof mod.createClient !== 'function') throw new Error('dist has no createClient export');
      const client = mod.createClient({ host, port, ...(cached ? { clientCache: { maxEntries: 10_000 } } : {}) });
      await client.connect();
      if (cached && typeof client.cacheStats !== 'function') throw new Error('this build has no cacheStats(): no clientCache');
      return {
        get: (k) => client.get(k),
        set: (k, v) => client.set(k, v),
        hitRate: () => {
          const s = client.cacheStats?.();
          return s === undefined || !cached ? Number.NaN : s.hits / Math.max(1, s.hits + s.misses);
        },
        close: () => client.close(),
      };
    },
  };
}

function nodeRedisSubject(cached: boolean): Subject {
  return {
    name: cached ? 'node-redis + clientSideCache' : 'node-redis',
    role: 'other',
    async open(host, port) {
      const cache = cached ? new BasicClientSideCache({ maxEntries: 10_000, ttl: 0, evictPolicy: 'LRU', recordStats: true }) : undefined;
      const client = createClient({
        socket: { host, port, reconnectStrategy: false },
        RESP: 3,
        ...(cache === undefined ? {} : { clientSideCache: cache }),
      });
      client.on('error', () => {});
      await client.connect();
      return {
        get: (k) => client.get(k),
        set: (k, v) => client.set(k, v),
        hitRate: () => (cache === undefined ? Number.NaN : cache.stats().hitRate()),
        close: () => client.close(),
      };
    },
  };
}

const SUBJECTS: readonly Subject[] = [slotlineSubject(false), slotlineSubject(true), nodeRedisSubject(false), nodeRedisSubject(true)];

/** The op list, the same for every client: true = SET (10%), false = GET; and the key of each. */
function workload(ops: number, seed: number): { writes: Uint8Array; keys: Uint16Array } {
  const rand = prng(seed);
  const writes = new Uint8Array(ops);
  const keys = new Uint16Array(ops);
  for (let i = 0; i < ops; i++) {
    writes[i] = rand() < 0.1 ? 1 : 0;
    keys[i] = Math.floor(rand() * HOT_KEYS.length);
  }
  return { writes, keys };
}

type Params = { ops: number; repeats: number; inFlight: number };

/** One client's run of the op sequence on its own copy of the hot keys (`prefix`). */
function runner(c: Cacher, prefix: string, p: Params): (samples: Samples | undefined, total: number, deadline: Deadline) => Promise<void> {
  const { writes, keys } = workload(p.ops, 9);
  const names = HOT_KEYS.map((k) => `${prefix}${k}`);
  let seq = 0;
  return async (samples, total, deadline) => {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const key = names[keys[i] as number] as string;
        const t0 = now();
        await (writes[i] === 1 ? c.set(key, `${VALUE}${seq++}`) : c.get(key));
        samples?.push(now() - t0);
        if ((i & 4095) === 0) {
          deadline.check();
          // Hits settle without I/O: give the event loop a turn now and then, as a server would.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    };
    await Promise.all(Array.from({ length: p.inFlight }, worker));
  };
}

interface Lane {
  subject: Subject;
  prefix: string;
  /** Keys whose value read through this client differs from the server's, once the run is over. */
  stale?: number;
  client?: Cacher;
  run?: ReturnType<typeof runner>;
  samples: Samples;
  rates: number[];
  /** GETs this client issued in the measured repeats, and how many of them reached the server. */
  gets: number;
  serverGets: number;
  failure?: string;
}

/**
 * One table: every subject on the same op sequence at `p.inFlight` commands in flight. All
 * clients are open at once, each on its own keys (no client sees another's invalidations), and
 * the repeats take turns (A B C D, A B C D, ...), so a change in the machine's load spreads
 * over every row instead of landing on one.
 */
async function table(ctx: RunContext, id: string, title: string, p: Params): Promise<ScenarioResult> {
  const server = await ctx.servers.standalone();
  // Only the clients asked for (--clients) run: slotline rows with 'slotline', node-redis rows with 'node-redis'.
  const wanted = new Set(ctx.clients.map((c) => c.name));
  const lanes: Lane[] = SUBJECTS.filter((s) => wanted.has(s.name.split(' ')[0] as string)).map((subject, i) => ({ subject, prefix: `bench:c${i}:`, samples: new Samples(p.ops), rates: [], gets: 0, serverGets: 0 }));
  const readsPerRepeat = workload(p.ops, 9).writes.reduce((n, w) => n + (w === 0 ? 1 : 0), 0);
  // The server's own count of GETs: one lane runs at a time, so the difference across a run is
  // that lane's misses, whatever the client's cache says about itself.
  const probe = createClient({ socket: { host: server.host, port: server.port, reconnectStrategy: false } });
  probe.on('error', () => {});
  await probe.connect();
  const serverGets = async (): Promise<number> => Number(/^cmdstat_get:calls=(\d+)/m.exec(await probe.info('commandstats'))?.[1] ?? 0);
  const deadline = new Deadline(ctx.quick ? 60_000 : 180_000);
  try {
    for (const lane of lanes) {
      try {
        const c = await deadline.race(lane.subject.open(server.host, server.port));
        lane.client = c;
        for (const key of HOT_KEYS) await c.set(`${lane.prefix}${key}`, VALUE);
        lane.run = runner(c, lane.prefix, p);
        await deadline.race(lane.run(undefined, p.ops / 10, deadline)); // warm-up
      } catch (error) {
        lane.failure = errorText(error);
      }
    }
    for (let r = 0; r < p.repeats; r++) {
      for (const lane of lanes) {
        if (lane.run === undefined || lane.failure !== undefined) continue;
        collectGarbage();
        try {
          const before = await serverGets();
          const t0 = now();
          await deadline.race(lane.run(lane.samples, p.ops, deadline));
          lane.rates.push(p.ops / ((now() - t0) / 1000));
          lane.serverGets += (await serverGets()) - before;
          lane.gets += readsPerRepeat;
        } catch (error) {
          lane.failure = errorText(error);
        }
      }
    }
    // Every client's view against the server's, through a client without a cache, after a pause
    // long enough for any invalidation to arrive: a cache serving stale values shows up here.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const checker = await slotlineSubject(false).open(server.host, server.port).catch(() => nodeRedisSubject(false).open(server.host, server.port));
    try {
      for (const lane of lanes) {
        if (lane.client === undefined || lane.failure !== undefined) continue;
        let stale = 0;
        for (const key of HOT_KEYS) {
          const name = `${lane.prefix}${key}`;
          if ((await lane.client.get(name)) !== (await checker.get(name))) stale++;
        }
        lane.stale = stale;
      }
    } finally {
      await checker.close();
    }
  } finally {
    await probe.close().catch(() => undefined);
    await Promise.all(lanes.map((l) => (l.client === undefined ? undefined : new Deadline(CLOSE_BOUND_MS).race(l.client.close()).catch(() => undefined))));
  }
  const rows: Row[] = lanes.map((lane) => {
    const cell: Cell =
      lane.failure !== undefined || lane.client === undefined
        ? na(lane.failure ?? 'not opened')
        : ok(
            median(lane.rates),
            lane.samples.percentile(50) * 1000,
            lane.samples.percentile(99) * 1000,
            lane.gets === 0 ? Number.NaN : (1 - lane.serverGets / lane.gets) * 100,
            lane.client.hitRate() * 100,
            lane.stale ?? Number.NaN,
          );
    ctx.log(`  ${lane.subject.name}: ${cell.kind === 'ok' ? `${Math.round(cell.values[0] ?? 0)} ops/s, hit rate ${(cell.values[3] ?? Number.NaN).toFixed(1)}% (client says ${(cell.values[4] ?? Number.NaN).toFixed(1)}%), stale keys after ${cell.values[5]}` : `n/a (${cell.reason})`}`);
    return { client: lane.subject.name, role: lane.subject.role, cell };
  });
  return {
    id,
    title,
    columns: [`ops/s (median of ${p.repeats})`, 'p50 µs', 'p99 µs', 'hit rate % (server)', 'hit rate % (client)', `stale of ${HOT_KEYS.length} after`],
    better: 'higher',
    rows,
    notes: [
      `${p.ops} commands per repeat per client, ${p.inFlight} in flight; each command is a GET (90%) or a SET (10%) of one of ${HOT_KEYS.length} keys (each client its own copy), same sequence for every client; repeats take turns across the clients`,
      "hit rate (server): 1 - the server's GET count over the run / the GETs issued; (client): as the client counts it (slotline cacheStats(), node-redis cache.stats().hitRate()), - without a cache",
      `stale after: once the repeats are over and 200 ms have passed, how many of the ${HOT_KEYS.length} keys read through the client differ from the server's value`,
    ],
    params: p,
  };
}

export const caching: Scenario = {
  id: 10,
  title: 'client-side caching: 90% GET / 10% SET on 1,000 hot keys',
  async run(ctx: RunContext): Promise<ScenarioResult[]> {
    const many = ctx.quick ? { ops: 50_000, repeats: 2, inFlight: 100 } : { ops: 100_000, repeats: 5, inFlight: 100 };
    const one = ctx.quick ? { ops: 5_000, repeats: 2, inFlight: 1 } : { ops: 10_000, repeats: 5, inFlight: 1 };
    return [
      await table(ctx, '10', `${this.title}, 100 in flight (throughput-bound)`, many),
      await table(ctx, '10b', `${this.title}, one at a time, awaited (latency-bound)`, one),
    ];
  },
};
