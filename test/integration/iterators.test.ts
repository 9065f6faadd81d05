/**
 * Issue 14 item 4 (iterators) on real servers: scanIterator, hscanIterator, sscanIterator and
 * zscanIterator on the standalone client and the cluster, with MATCH / COUNT / TYPE, keyPrefix
 * (SCAN's pattern narrowed to the prefix, the prefix's glob characters taken literally; field and
 * member patterns untouched), refused options, and leaving a loop early. Collections hold 300
 * entries, past the listpack limits, so every walk takes several pages. Every key is under a
 * fresh random name and deleted afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ArgumentTypeError, createClient, createCluster, type Client, type Cluster } from '../../src/index.js';
import { clusterSeeds, standaloneTarget } from '../harness/context.js';

const N = 300;
const fields = Array.from({ length: N }, (_, i) => `f${i}`);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    // SCAN may repeat an element, never invent one: bounded well above what the test stored.
    if (out.length > 10 * N) throw new Error('iterator did not end');
  }
  return out;
}

/** The same checks for either client: `api` is the client under test, `plain` one without a prefix. */
function iteratorSuite(name: string, make: (keyPrefix?: string) => Client | Cluster): void {
  describe(name, () => {
    const base = `it:${randomUUID()}:`;
    let api: Client | Cluster;
    let plain: Client | Cluster;
    let prefixed: Client | Cluster;
    // A prefix with glob characters: `?` and `[x]` must match only themselves.
    const prefix = `pfx?[x]:${randomUUID()}:`;
    const lookalike = `pfxZx:${prefix.slice('pfx?[x]:'.length)}`;

    beforeAll(async () => {
      api = make();
      plain = api;
      prefixed = make(prefix);
      await Promise.all([api.connect(), prefixed.connect()]);
      const p = plain.pipeline();
      for (let i = 0; i < 250; i++) p.set(`${base}k${i}`, String(i));
      p.hset(`${base}hash`, Object.fromEntries(fields.map((f) => [f, `v-${f}`])));
      p.sadd(`${base}set`, ...fields);
      p.call('ZADD', `${base}zset`, ...fields.flatMap((f, i) => [i + 0.5, f]));
      await p.exec({ raiseOnError: true });
    });
    afterAll(async () => {
      const keys = await collect(plain.scanIterator({ match: `${base}*` }));
      const mine = [...(await collect(plain.scanIterator({ match: 'pfx*' })))].filter((k) => k.includes(prefix.slice(8)));
      for (const k of [...keys, ...mine]) await plain.del(k);
      await Promise.all([api.close(), prefixed.close()]);
    });

    it('scanIterator: every key once per MATCH, in pages of COUNT; TYPE narrows', async () => {
      const keys = await collect(api.scanIterator({ match: `${base}k*`, count: 37 }));
      expect(new Set(keys)).toEqual(new Set(Array.from({ length: 250 }, (_, i) => `${base}k${i}`)));
      expect(await collect(api.scanIterator({ match: `${base}*`, type: 'hash' }))).toEqual([`${base}hash`]);
      expect(await collect(api.scanIterator({ match: `${base}*`, type: 'zset' }))).toEqual([`${base}zset`]);
      expect(await collect(api.scanIterator({ match: `${base}nothing*` }))).toEqual([]);
    });

    it('hscanIterator: { field, value } for every field; MATCH applies to fields', async () => {
      const entries = await collect(api.hscanIterator(`${base}hash`, { count: 50 }));
      expect(entries.length).toBeGreaterThanOrEqual(N);
      expect(new Map(entries.map((e) => [e.field, e.value]))).toEqual(new Map(fields.map((f) => [f, `v-${f}`])));
      const f1 = await collect(api.hscanIterator(`${base}hash`, { match: 'f1?' }));
      expect(f1.map((e) => e.field).sort()).toEqual(['f10', 'f11', 'f12', 'f13', 'f14', 'f15', 'f16', 'f17', 'f18', 'f19']);
    });

    it('sscanIterator and zscanIterator: members, and members with numeric scores', async () => {
      expect(new Set(await collect(api.sscanIterator(`${base}set`)))).toEqual(new Set(fields));
      const scored = await collect(api.zscanIterator(`${base}zset`, { count: 20 }));
      expect(new Map(scored.map((s) => [s.member, s.score]))).toEqual(new Map(fields.map((f, i) => [f, i + 0.5])));
      expect(await collect(api.zscanIterator(`${base}zset`, { match: 'f29?' }))).toEqual(
        expect.arrayContaining([{ member: 'f299', score: 299.5 }]),
      );
      expect(await collect(api.sscanIterator(`${base}missing`))).toEqual([]);
    });

    it('keyPrefix: SCAN sees only the prefix (its ? and [x] literal), collections are read under it', async () => {
      await prefixed.set('a', '1');
      await prefixed.set('b', '2');
      await prefixed.hset('h', { 'x*': 'y' });
      // Would match the prefix if its ? and [x] were glob characters.
      await plain.set(`${lookalike}a`, 'not mine');
      const seen = await collect(prefixed.scanIterator());
      expect(new Set(seen)).toEqual(new Set([`${prefix}a`, `${prefix}b`, `${prefix}h`]));
      expect(await collect(prefixed.scanIterator({ match: 'a*' }))).toEqual([`${prefix}a`]);
      expect(await collect(prefixed.hscanIterator('h', { match: 'x*' }))).toEqual([{ field: 'x*', value: 'y' }]);
      await plain.del(`${lookalike}a`);
    });

    it('refuses unknown or malformed options with ArgumentTypeError before sending; the client keeps serving', async () => {
      const bad: Array<() => AsyncGenerator<unknown>> = [
        () => api.scanIterator({ mtach: 'x' } as never),
        () => api.scanIterator({ count: 0 }),
        () => api.scanIterator({ count: 1.5 }),
        () => api.scanIterator({ match: 5 } as never),
        () => api.scanIterator('MATCH' as never),
        () => api.hscanIterator(`${base}hash`, { type: 'hash' } as never),
        () => api.zscanIterator(`${base}zset`, { COUNT: 10 } as never),
      ];
      for (const make of bad) {
        const error = await make().next().then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(ArgumentTypeError);
      }
      expect(await api.get(`${base}k1`)).toBe('1');
    });

    it('a loop left early ends the walk; the client keeps serving', async () => {
      let n = 0;
      for await (const key of api.scanIterator({ match: `${base}k*`, count: 10 })) {
        expect(key.startsWith(`${base}k`)).toBe(true);
        if (++n === 5) break;
      }
      expect(n).toBe(5);
      expect(await api.get(`${base}k2`)).toBe('2');
    });
  });
}

iteratorSuite('iterators (standalone)', (keyPrefix) => {
  const { host, port } = standaloneTarget();
  return createClient({ host, port, ...(keyPrefix === undefined ? {} : { keyPrefix }) });
});

iteratorSuite('iterators (cluster)', (keyPrefix) => createCluster({ nodes: clusterSeeds(), ...(keyPrefix === undefined ? {} : { keyPrefix }) }));

describe('cluster SCAN walks every primary', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = createCluster({ nodes: clusterSeeds() });
    await cluster.connect();
  });
  afterAll(async () => cluster?.close());

  it('finds keys of every shard', async () => {
    const base = `spread:${randomUUID()}:`;
    const keys = Array.from({ length: 60 }, (_, i) => `${base}${i}`);
    await cluster.mset(Object.fromEntries(keys.map((k) => [k, 'v'])));
    const owners = new Set(keys.map((k) => cluster.nodeFor(k)?.port));
    expect(owners.size).toBeGreaterThan(1);
    expect(new Set(await collect(cluster.scanIterator({ match: `${base}*` })))).toEqual(new Set(keys));
    await cluster.del(...keys);
  });
});
