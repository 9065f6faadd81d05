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

async function measure(c: Cacher, p: { ops: number; repeats: number; inFlight: number }, deadline: Deadline): Promise<Cell> {
  const { writes, keys } = workload(p.ops, 9);
  let seq = 0;
  const once = async (samples: Samples | undefined, total: number): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const key = HOT_KEYS[keys[i] as number] as string;
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
  await once(undefined, p.ops / 10);
  const samples = new Samples(p.ops);
  const rates: number[] = [];
  for (let r = 0; r < p.repeats; r++) {
    deadline.check();
    const t0 = now();
    await once(samples, p.ops);
    rates.push(p.ops / ((now() - t0) / 1000));
  }
  return ok(median(rates), samples.percentile(50) * 1000, samples.percentile(99) * 1000, c.hitRate() * 100);
}

/** One table: every subject on the same op sequence at `p.inFlight` commands in flight. */
async function table(ctx: RunContext, id: string, title: string, p: { ops: number; repeats: number; inFlight: number }): Promise<ScenarioResult> {
  const server = await ctx.servers.standalone();
  const rows: Row[] = [];
  // Only the clients asked for (--clients) run: slotline rows with 'slotline', node-redis rows with 'node-redis'.
  const wanted = new Set(ctx.clients.map((c) => c.name));
  for (const subject of SUBJECTS) {
    if (!wanted.has(subject.name.split(' ')[0] as string)) continue;
    collectGarbage();
    const deadline = new Deadline(ctx.quick ? 30_000 : 90_000);
    let c: Cacher | undefined;
    let cell: Cell;
    try {
      c = await deadline.race(subject.open(server.host, server.port));
      // The same starting values for everyone.
      for (const key of HOT_KEYS) await c.set(key, VALUE);
      cell = await deadline.race(measure(c, p, deadline));
    } catch (error) {
      cell = na(errorText(error));
    } finally {
      if (c !== undefined) await new Deadline(CLOSE_BOUND_MS).race(c.close()).catch(() => undefined);
    }
    ctx.log(`  ${subject.name}: ${cell.kind === 'ok' ? `${Math.round(cell.values[0] ?? 0)} ops/s, hit rate ${(cell.values[3] ?? Number.NaN).toFixed(1)}%` : `n/a (${cell.reason})`}`);
    rows.push({ client: subject.name, role: subject.role, cell });
  }
  return {
    id,
    title,
    columns: [`ops/s (median of ${p.repeats})`, 'p50 µs', 'p99 µs', 'hit rate %'],
    better: 'higher',
    rows,
    notes: [
      `${p.ops} commands per repeat on one client, ${p.inFlight} in flight; each command is a GET (90%) or a SET (10%) of one of ${HOT_KEYS.length} keys, same sequence for every client`,
      'hit rate as each client counts it (slotline cacheStats(), node-redis cache.stats().hitRate()); - without a cache',
    ],
    params: p,
  };
}

export const caching: Scenario = {
  id: 9,
  title: 'client-side caching: 90% GET / 10% SET on 1,000 hot keys',
  async run(ctx: RunContext): Promise<ScenarioResult[]> {
    const many = ctx.quick ? { ops: 50_000, repeats: 2, inFlight: 100 } : { ops: 200_000, repeats: 3, inFlight: 100 };
    const one = ctx.quick ? { ops: 5_000, repeats: 2, inFlight: 1 } : { ops: 20_000, repeats: 3, inFlight: 1 };
    return [
      await table(ctx, '9', `${this.title}, 100 in flight (throughput-bound)`, many),
      await table(ctx, '9b', `${this.title}, one at a time, awaited (latency-bound)`, one),
    ];
  },
};
