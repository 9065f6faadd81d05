/**
 * The cluster client against the shared 3+3 cluster: cross-node pipelines (order, values,
 * parallelism through delay proxies), split multi-key commands, transactions that must share a
 * slot, replica reads, discovery errors and the hot-slot helper. Nothing here changes the
 * cluster's layout or roles; those tests live in cluster-topology.test.ts on private clusters.
 * Keys carry a random prefix: other files use the same cluster in parallel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  ClusterError,
  createCluster,
  CrossSlotError,
  ExecAbortError,
  keySlot,
  ReplyError,
  type Cluster,
} from '../../src/index.js';
import { clusterTarget } from '../harness/context.js';
import { clientList, commandCalls, layoutOf, pollUntil, type LayoutView } from '../harness/cluster-ops.js';
import { startProxy, type Proxy } from '../harness/proxy.js';
import { getFreePort, probe, redisCli } from '../harness/servers.js';

const run = randomUUID().slice(0, 8);
const k = (name: string): string => `cluster-test:${run}:${name}`;

/** mulberry32: a seeded PRNG, so a failing mix can be replayed from the seed in the message. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `perNode` keys named `${prefix}:<n>` for every primary, found by the server's own slot layout. */
function keysOnEachNode(prefix: string, layout: LayoutView, perNode: number): Map<number, string[]> {
  const out = new Map<number, string[]>(layout.primaries.map((p) => [p.port, []]));
  for (let i = 0; i < 100_000 && [...out.values()].some((list) => list.length < perNode); i++) {
    const key = `${prefix}:${i}`;
    const list = out.get(layout.ownerPort(keySlot(key)))!;
    if (list.length < perNode) list.push(key);
  }
  return out;
}

function seedsOf(): Array<{ host: string; port: number }> {
  const { primaries } = clusterTarget();
  return [{ host: primaries[0]!.host, port: primaries[0]!.port }];
}

describe('cluster pipeline across nodes', () => {
  let cluster: Cluster;
  let layout: LayoutView;
  beforeAll(async () => {
    // maxBatch far below each node's share, so per-node slicing runs too.
    cluster = createCluster({ nodes: seedsOf(), maxBatch: 500 });
    await cluster.connect();
    layout = await layoutOf(clusterTarget().primaries[0]!.port);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('runs 10,000 mixed commands on random keys over all nodes, every result in its place', async () => {
    const seed = Date.now() % 1_000_000;
    const random = prng(seed);
    const strings = Array.from({ length: 600 }, (_, i) => k(`p10k:s:${i}`));
    const counters = Array.from({ length: 200 }, (_, i) => k(`p10k:c:${i}`));
    const hashes = Array.from({ length: 200 }, (_, i) => k(`p10k:h:${i}`));
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

    const model = { strings: new Map<string, string>(), counters: new Map<string, number>(), hashes: new Map<string, Map<string, string>>() };
    type Expected = { kind: 'value'; value: unknown } | { kind: 'error'; code: string };
    const expected: Expected[] = [];
    const value = (v: unknown): Expected => ({ kind: 'value', value: v });
    const touched = new Set<number>();
    const p = cluster.pipeline();
    for (let i = 0; i < 10_000; i++) {
      const r = random();
      if (r < 0.25) {
        const key = pick(strings);
        const v = `v${i}`;
        p.set(key, v);
        model.strings.set(key, v);
        expected.push(value('OK'));
        touched.add(keySlot(key));
      } else if (r < 0.5) {
        const key = pick(strings);
        p.get(key);
        expected.push(value(model.strings.get(key) ?? null));
        touched.add(keySlot(key));
      } else if (r < 0.65) {
        const key = pick(counters);
        const n = (model.counters.get(key) ?? 0) + 1;
        p.incr(key);
        model.counters.set(key, n);
        expected.push(value(n));
        touched.add(keySlot(key));
      } else if (r < 0.8) {
        const key = pick(hashes);
        const field = `f${Math.floor(random() * 5)}`;
        const h = model.hashes.get(key) ?? new Map<string, string>();
        model.hashes.set(key, h);
        p.hset(key, field, `h${i}`);
        expected.push(value(h.has(field) ? 0 : 1));
        h.set(field, `h${i}`);
      } else if (r < 0.9) {
        const key = pick(hashes);
        const field = `f${Math.floor(random() * 5)}`;
        p.hget(key, field);
        expected.push(value(model.hashes.get(key)?.get(field) ?? null));
      } else if (r < 0.95) {
        const key = pick(strings);
        p.del(key);
        expected.push(value(model.strings.delete(key) ? 1 : 0));
      } else if (r < 0.97) {
        // An error reply in place: LPOP on a string (or null when the key is gone).
        const key = pick(strings);
        p.lpop(key);
        expected.push(model.strings.has(key) ? { kind: 'error', code: 'WRONGTYPE' } : value(null));
      } else {
        // Keyless: routed by its request policy (any node).
        p.echo(`e${i}`);
        expected.push(value(`e${i}`));
      }
    }
    const ports = new Set([...touched].map((slot) => layout.ownerPort(slot)));
    expect(ports.size).toBe(3);

    const results: unknown[] = await p.exec();
    expect(results).toHaveLength(10_000);
    const mismatches: string[] = [];
    results.forEach((got, i) => {
      const want = expected[i]!;
      if (want.kind === 'error') {
        if (!(got instanceof ReplyError) || got.code !== want.code) mismatches.push(`#${i}: want ${want.code}, got ${String(got)}`);
      } else if (got !== want.value) {
        mismatches.push(`#${i}: want ${JSON.stringify(want.value)}, got ${got instanceof Error ? got.message : JSON.stringify(got)}`);
      }
    });
    expect(mismatches.slice(0, 10), `seed ${seed}: ${mismatches.length} mismatches`).toEqual([]);

    // The final state, read back one command at a time.
    const gets = await Promise.all(strings.map((key) => cluster.get(key)));
    strings.forEach((key, i) => expect(gets[i], key).toBe(model.strings.get(key) ?? null));
    const counts = await Promise.all(counters.map((key) => cluster.get(key)));
    counters.forEach((key, i) => expect(counts[i], key).toBe(model.counters.has(key) ? String(model.counters.get(key)) : null));
    const hashValues = await Promise.all(hashes.map((key) => cluster.hgetall(key)));
    hashes.forEach((key, i) => expect(hashValues[i], key).toEqual(Object.fromEntries(model.hashes.get(key) ?? [])));
  });

  it('accepts the array form, keeps error replies in place, and resolves [] when empty', async () => {
    const a = k('arr:a');
    const b = k('arr:b');
    expect(keySlot(a)).not.toBe(keySlot(b));
    const results: unknown[] = await cluster
      .pipeline([
        ['set', a, '1'],
        ['set', b, 'x'],
        ['incr', a],
        ['incr', b],
        ['get', a],
      ])
      .exec();
    expect(results.slice(0, 3)).toEqual(['OK', 'OK', 2]);
    expect(results[3]).toBeInstanceOf(ReplyError);
    expect(results[4]).toBe('2');
    expect(await cluster.pipeline().exec()).toEqual([]);
  });

  it('refuses connection-state and per-node commands with a pointer, and the next command works', async () => {
    await expect(cluster.call('SCAN', '0')).rejects.toThrow(/scanIterator/);
    await expect(cluster.call('MULTI')).rejects.toThrow(/use multi\(\)/);
    await expect(cluster.call('ASKING')).rejects.toThrow(/sends it itself/);
    const key = k('after-refusals');
    expect(await cluster.set(key, 'v')).toBe('OK');
    expect(await cluster.get(key)).toBe('v');
  });
});

describe('cluster pipeline runs its sub-pipelines in parallel', () => {
  const proxies: Proxy[] = [];
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.close();
    await Promise.all(proxies.map((p) => p.close()));
  });

  it('a pipeline over 3 nodes behind 20 ms proxies takes about one round trip, not three', async () => {
    const { primaries } = clusterTarget();
    const layout = await layoutOf(primaries[0]!.port);
    const natMap: Record<string, { host: string; port: number }> = {};
    for (const primary of primaries) {
      const proxy = await startProxy({ target: primary, delayMs: 20 });
      proxies.push(proxy);
      natMap[`127.0.0.1:${primary.port}`] = { host: proxy.host, port: proxy.port };
    }
    cluster = createCluster({ nodes: [{ host: proxies[0]!.host, port: proxies[0]!.port }], natMap, refreshInterval: 0 });
    await cluster.connect();
    // The client knows the primaries by their proxies' addresses.
    for (const [i, primary] of primaries.entries()) {
      const ownedSlot = layout.entry(primary.port).slots[0]!.start;
      expect(cluster.slotMap.primaryOf(ownedSlot)?.port).toBe(proxies[i]!.port);
    }

    const perNode = keysOnEachNode(k('par'), layout, 10);
    const all = [...perNode.values()].flat();
    const onePort = primaries[0]!.port;
    const single = perNode.get(onePort)!;
    const crossNode = () => {
      const p = cluster!.pipeline();
      for (const key of all) p.set(key, key).get(key);
      return p;
    };
    const oneNode = () => {
      const p = cluster!.pipeline();
      for (const key of single) p.set(key, key).get(key);
      return p;
    };
    // Warm-up: connections to the nodes are opened lazily.
    expect(await crossNode().exec()).toEqual(all.flatMap((key) => ['OK', key]));
    expect(proxies.every((p) => p.accepted > 0)).toBe(true);

    const timed = async (build: () => { exec(): Promise<unknown[]> }): Promise<number> => {
      let best = Infinity;
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await build().exec();
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    const oneNodeMs = await timed(oneNode);
    const crossNodeMs = await timed(crossNode);
    // One node's round trip through its proxy is at least 2 × 20 ms: the delay is real.
    expect(oneNodeMs).toBeGreaterThanOrEqual(38);
    // Serial sub-pipelines would take 3 × 40 ms = 120 ms; parallel ones about 40-60 ms.
    expect(crossNodeMs, `cross-node ${crossNodeMs.toFixed(1)} ms, one node ${oneNodeMs.toFixed(1)} ms`).toBeLessThan(100);
    console.info(`[cluster] pipeline over 3 nodes behind 20 ms proxies: ${crossNodeMs.toFixed(1)} ms (one node: ${oneNodeMs.toFixed(1)} ms)`);
  });
});

describe('cluster multi-key commands split over slots', () => {
  let cluster: Cluster;
  let layout: LayoutView;
  beforeAll(async () => {
    cluster = createCluster({ nodes: seedsOf() });
    await cluster.connect();
    layout = await layoutOf(clusterTarget().primaries[0]!.port);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('mset / mget / exists / del over 1,000 keys on all nodes', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => k(`multi:${i}`));
    expect(new Set(keys.map((key) => layout.ownerPort(keySlot(key)))).size).toBe(3);
    const pairs = Object.fromEntries(keys.map((key, i) => [key, `value-${i}`]));
    expect(await cluster.mset(pairs)).toBe('OK');

    // Values in key order, missing keys as null in their place.
    const missing = k('multi:missing');
    const asked = [...keys.slice(0, 500), missing, ...keys.slice(500)];
    const values = await cluster.mget(asked);
    expect(values).toEqual([...keys.slice(0, 500).map((key) => pairs[key]), null, ...keys.slice(500).map((key) => pairs[key])]);
    // Spot check each node directly, not through the client.
    for (const key of [keys[0]!, keys[333]!, keys[999]!]) {
      expect(await redisCli(layout.ownerPort(keySlot(key)), 'GET', key)).toBe(pairs[key]);
    }

    // Sums: EXISTS counts a key named twice twice.
    expect(await cluster.exists(keys)).toBe(1000);
    expect(await cluster.exists([...keys, keys[7]!, missing])).toBe(1001);
    expect(await cluster.del([...keys.slice(0, 400), missing])).toBe(400);
    expect(await cluster.exists(keys)).toBe(600);
    expect(await cluster.del(keys)).toBe(600);
    expect(await cluster.exists(keys)).toBe(0);
    expect(await cluster.mget(keys.slice(0, 3))).toEqual([null, null, null]);
  });

  it('accepts the argument shapes of ioredis: variadic and array, pairs and object', async () => {
    const a = k('shape:a');
    const b = k('shape:b');
    const c = k('shape:c');
    expect(await cluster.mset(a, '1', b, '2')).toBe('OK');
    expect(await cluster.mset({ [c]: '3' })).toBe('OK');
    expect(await cluster.mget(a, b, c)).toEqual(['1', '2', '3']);
    expect(await cluster.mget([c, b, a])).toEqual(['3', '2', '1']);
    expect(await cluster.exists(a, b)).toBe(2);
    expect(await cluster.del(a, b, c)).toBe(3);
  });

  it('keeps a same-slot call one command', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => k(`{same}:${i}`));
    const owner = layout.ownerPort(keySlot(keys[0]!));
    const before = await commandCalls(owner, 'mget');
    await cluster.mset(Object.fromEntries(keys.map((key) => [key, key])));
    expect(await cluster.mget(keys)).toEqual(keys);
    // Other files may run MGET on this node too, but never fewer calls than ours.
    expect(await commandCalls(owner, 'mget')).toBeGreaterThanOrEqual(before + 1);
    // The whole MSET reached the server as one command: all keys exist there together.
    expect(await redisCli(owner, 'EXISTS', ...keys)).toBe('50');
    expect(await cluster.del(keys)).toBe(50);
  });
});

describe('cluster transactions must share a slot', () => {
  let cluster: Cluster;
  let layout: LayoutView;
  beforeAll(async () => {
    cluster = createCluster({ nodes: seedsOf(), clientName: `slotline-tx-${run}` });
    await cluster.connect();
    layout = await layoutOf(clusterTarget().primaries[0]!.port);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('multi() over two slots rejects with CrossSlotError naming both keys, and sends nothing', async () => {
    const a = k('tx:a');
    const b = k('tx:b');
    expect(keySlot(a)).not.toBe(keySlot(b));
    const error = await cluster
      .multi()
      .set(a, '1')
      .set(b, '2')
      .exec()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrossSlotError);
    const crossSlot = error as CrossSlotError;
    expect([...crossSlot.keys].sort()).toEqual([a, b].sort());
    const slotOf = new Map([[a, keySlot(a)], [b, keySlot(b)]]);
    expect(crossSlot.slots).toEqual(crossSlot.keys.map((key) => slotOf.get(key)));
    expect(crossSlot.message).toContain(a);
    expect(crossSlot.message).toContain(b);
    expect(crossSlot.message).toContain(String(keySlot(a)));
    expect(crossSlot.message).toContain(String(keySlot(b)));
    // Nothing reached any node: neither key exists, on its owner, read out of band, and no
    // connection of this client has run MULTI, SET or EXEC anywhere.
    expect(await redisCli(layout.ownerPort(keySlot(a)), 'EXISTS', a)).toBe('0');
    expect(await redisCli(layout.ownerPort(keySlot(b)), 'EXISTS', b)).toBe('0');
    for (const { port } of clusterTarget().seeds) {
      const mine = (await clientList(port)).filter((c) => c['name'] === `slotline-tx-${run}`);
      expect(mine.filter((c) => ['multi', 'set', 'exec'].includes(c['cmd'] ?? '')), `node ${port}`).toEqual([]);
    }
  });

  it('multi() with {tag} keys runs as one MULTI/EXEC on the owner', async () => {
    const a = k('{tx-tag}:a');
    const b = k('{tx-tag}:b');
    const owner = layout.ownerPort(keySlot(a));
    expect(await cluster.multi().set(a, '1').incr(a).set(b, 'x').get(b).exec()).toEqual(['OK', 2, 'OK', 'x']);
    expect(await redisCli(owner, 'MGET', a, b)).toBe('2\nx');
    // Atomic: a queue-time error (wrong arity) discards the whole transaction, the SET included.
    const c = k('{tx-tag}:c');
    const error = await cluster
      .multi()
      .set(c, 'must-not-exist')
      .call('SET', k('{tx-tag}:d'))
      .exec()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecAbortError);
    expect((error as ExecAbortError).errors.map((e) => e.index)).toEqual([1]);
    expect(await redisCli(owner, 'EXISTS', c)).toBe('0');
  });

  it('watch() refuses keys in two slots and commits same-slot increments exactly once each', async () => {
    const a = k('watch:a');
    const b = k('watch:b');
    const error = await cluster.watch([a, b], async (tx) => tx.multi().set(a, '1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrossSlotError);
    expect(await cluster.exists(a, b)).toBe(0);

    const counter = k('{watch}:counter');
    const log = k('{watch}:log');
    await cluster.set(counter, '0');
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 10; i++) {
        const res = await cluster.watch(
          [counter, log],
          async (tx) => {
            const v = Number(await tx.get(counter));
            return tx.multi().set(counter, String(v + 1)).rpush(log, String(v + 1));
          },
          { maxAttempts: 200 },
        );
        expect(res).not.toBeNull();
      }
    };
    await Promise.all(Array.from({ length: 5 }, worker));
    expect(await cluster.get(counter)).toBe('50');
    expect(await cluster.lrange(log, 0, -1)).toEqual(Array.from({ length: 50 }, (_, i) => String(i + 1)));
  });
});

describe('cluster readFrom preferReplica', () => {
  let cluster: Cluster;
  const name = `slotline-rr-${run}`;
  beforeAll(async () => {
    cluster = createCluster({ nodes: seedsOf(), readFrom: 'preferReplica', clientName: name, refreshInterval: 0 });
    await cluster.connect();
    // A replica whose primary never took a write is `loading` in CLUSTER SHARDS and not read
    // from (issue 17): when this file runs first on a fresh cluster, write to every shard (50
    // random slots miss one of 3 shards with odds ~1e-8), then wait for the replicas to be listed.
    for (let i = 0; i < 50; i++) await cluster.set(k(`rr:warm${i}`), 'x');
    await pollUntil('every shard lists an online replica', 10_000, async () => {
      await cluster.refresh();
      return cluster.slotMap.shards().every((s) => s.replicas.length > 0);
    }, 100);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('sends GET to a replica (READONLY) and SET to the primary', async () => {
    const layout = await layoutOf(clusterTarget().primaries[0]!.port);
    const key = k('rr:key');
    const primary = layout.ownerPort(keySlot(key));
    const replica = layout.replicasOf(primary)[0]!.port;

    expect(await cluster.set(key, 'v1')).toBe('OK');
    const movedBefore = cluster.stats.moved;
    // Wait until the replica has the value (replication is asynchronous), read out of band.
    await pollUntil('replica has the value', 5000, async () => {
      const [, value] = await probe(replica, [['READONLY'], ['GET', key]]);
      return value === 'v1';
    });
    const getsBefore = await commandCalls(replica, 'get');
    for (let i = 0; i < 20; i++) expect(await cluster.get(key)).toBe('v1');
    expect(await commandCalls(replica, 'get')).toBeGreaterThanOrEqual(getsBefore + 20);
    const onReplica = (await clientList(replica)).filter((c) => c['name'] === name);
    expect(onReplica.some((c) => c['cmd'] === 'get' && (c['flags'] ?? '').includes('r')), JSON.stringify(onReplica)).toBe(true);

    expect(await cluster.set(key, 'v2')).toBe('OK');
    // Straight to the primary: a write sent to the replica would have come back MOVED.
    expect(cluster.stats.moved).toBe(movedBefore);
    const onPrimary = (await clientList(primary)).filter((c) => c['name'] === name);
    expect(onPrimary.some((c) => c['cmd'] === 'set'), JSON.stringify(onPrimary)).toBe(true);
    expect(onPrimary.some((c) => c['cmd'] === 'get')).toBe(false);
    expect(await redisCli(primary, 'GET', key)).toBe('v2');
  });

  it('sends the parts of a split MGET to replicas too', async () => {
    const layout = await layoutOf(clusterTarget().primaries[0]!.port);
    const keys = Array.from({ length: 60 }, (_, i) => k(`rr:m${i}`));
    await cluster.mset(Object.fromEntries(keys.map((key) => [key, key])));
    const replicas = layout.primaries.map((p) => layout.replicasOf(p.port)[0]!.port);
    const primaries = layout.primaries.map((p) => p.port);
    await pollUntil('replicas have the values', 5000, async () => {
      const got = await Promise.all(keys.map(async (key) => (await probe(layout.replicasOf(layout.ownerPort(keySlot(key)))[0]!.port, [['READONLY'], ['GET', key]]))[1]));
      return got.every((v, i) => v === keys[i]);
    });
    const before = await Promise.all([...replicas, ...primaries].map((port) => commandCalls(port, 'mget')));
    expect(await cluster.mget(keys)).toEqual(keys);
    const after = await Promise.all([...replicas, ...primaries].map((port) => commandCalls(port, 'mget')));
    // Every replica served its part; no primary served any.
    replicas.forEach((_, i) => expect(after[i]!, `replica ${replicas[i]}`).toBeGreaterThan(before[i]!));
    primaries.forEach((_, j) => expect(after[replicas.length + j]!, `primary ${primaries[j]}`).toBe(before[replicas.length + j]!));
  });
});

describe('cluster redirect limit', () => {
  it('gives up after maxRedirections with a ClusterError naming the slot and the nodes it bounced between', async () => {
    const layout = await layoutOf(clusterTarget().primaries[0]!.port);
    const [a, b] = layout.primaries.map((p) => p.port);
    // A wrong address map sends b's traffic to a, and a answers MOVED to b: a loop only the limit ends.
    const natMap = { [`127.0.0.1:${b}`]: { host: '127.0.0.1', port: a! } };
    const cluster = createCluster({ nodes: [{ host: '127.0.0.1', port: a! }], natMap, maxRedirections: 4, retryDelay: 1, refreshInterval: 0 });
    try {
      await cluster.connect();
      let key = '';
      for (let i = 0; key === '' && i < 1000; i++) if (layout.ownerPort(keySlot(`loop:${i}`)) === b) key = `loop:${i}`;
      const error = await cluster.get(key).then(
        () => new Error('get() resolved'),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ClusterError);
      expect(String(error)).toMatch(new RegExp(`GET: slot ${keySlot(key)} was redirected more than 4 times`));
      expect(String(error)).toContain(`127.0.0.1:${a} → 127.0.0.1:${a}`);
      expect(String(error)).toMatch(/MOVED/);
      expect(cluster.stats.moved).toBeGreaterThanOrEqual(4);
      // A key that a owns is unaffected.
      let own = '';
      for (let i = 0; own === '' && i < 1000; i++) if (layout.ownerPort(keySlot(`own:${i}`)) === a) own = `own:${i}`;
      expect(await cluster.get(own)).toBeNull();
    } finally {
      await cluster.close();
    }
  });
});

describe('cluster discovery', () => {
  it('names every seed and "refused" when no seed accepts a connection', async () => {
    const ports = [await getFreePort(), await getFreePort()];
    const cluster = createCluster({ nodes: ports.map((port) => ({ host: '127.0.0.1', port })), connectTimeout: 2000 });
    const started = Date.now();
    const error = await cluster.connect().catch((e: unknown) => e);
    cluster.disconnect();
    expect(error).toBeInstanceOf(ClusterError);
    const message = (error as Error).message;
    for (const port of ports) expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).toMatch(/refused/i);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('discovers all 3 shards and 6 nodes from any one seed, a replica included', async () => {
    const { primaries, replicas } = clusterTarget();
    const cluster = createCluster({ nodes: [replicas[1]!] });
    try {
      await cluster.connect();
      const map = cluster.slotMap;
      expect(map.isComplete()).toBe(true);
      expect(map.primaries().map((n) => n.port).sort()).toEqual(primaries.map((p) => p.port).sort());
      expect(map.nodes().map((n) => n.port).sort()).toEqual([...primaries, ...replicas].map((p) => p.port).sort());
      const layout = await layoutOf(primaries[0]!.port);
      for (const slot of [0, 5460, 5461, 10922, 10923, 16383]) {
        const owner = map.primaryOf(slot);
        expect(owner?.port).toBe(layout.ownerPort(slot));
        expect(owner?.role).toBe('primary');
        expect(owner?.id).toBe(layout.entry(layout.ownerPort(slot)).id);
      }
    } finally {
      await cluster.close();
    }
  });
});

describe('cluster keySpread', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = createCluster({ nodes: seedsOf() });
    await cluster.connect();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('reports a low-cardinality hash tag as one hot slot', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `{tenant-1}:order:${i}`);
    const spread = cluster.keySpread(keys);
    expect(spread.total).toBe(1000);
    expect(spread.slots).toEqual([{ slot: keySlot('tenant-1'), count: 1000, node: expect.any(String) }]);
    expect(spread.nodes).toHaveLength(1);
    expect(spread.nodes[0]!.count).toBe(1000);
    expect(spread.hottestShare).toBe(1);
  });

  it('spreads random keys over the 3 primaries', async () => {
    const layout = await layoutOf(clusterTarget().primaries[0]!.port);
    const keys = Array.from({ length: 1000 }, () => randomUUID());
    const spread = cluster.keySpread(keys);
    expect(spread.total).toBe(1000);
    expect(spread.nodes).toHaveLength(3);
    expect(spread.nodes.reduce((s, n) => s + n.count, 0)).toBe(1000);
    expect(spread.slots.reduce((s, n) => s + n.count, 0)).toBe(1000);
    const primaryNames = clusterTarget().primaries.map((p) => `127.0.0.1:${p.port}`).sort();
    expect(spread.nodes.map((n) => n.node).sort()).toEqual(primaryNames);
    for (const n of spread.nodes) expect(n.count).toBeGreaterThan(200);
    for (const s of spread.slots) expect(s.node).toBe(`127.0.0.1:${layout.ownerPort(s.slot)}`);
    expect(spread.hottestShare).toBeGreaterThan(0);
    expect(spread.hottestShare).toBeLessThan(0.5);
  });
});

describe('cluster events', () => {
  it('emits node added for every node at discovery, ready after connect() and end once on close()', async () => {
    const cluster = createCluster({ nodes: seedsOf(), refreshInterval: 0 });
    const added: string[] = [];
    const order: string[] = [];
    cluster.on('node added', (n) => added.push(`${n.host}:${n.port}`));
    cluster.on('refresh', (_map, diff) => order.push(`refresh+${diff.added.length}-${diff.removed.length}`));
    cluster.on('end', () => order.push('end'));
    const ready = once(cluster, 'ready');
    await cluster.connect();
    await ready;
    const layout = await layoutOf(clusterTarget().primaries[0]!.port);
    expect(added.sort()).toEqual(layout.entries.map((e) => `127.0.0.1:${e.port}`).sort());
    await cluster.refresh();
    await cluster.close();
    cluster.disconnect();
    expect(order).toEqual([`refresh+${layout.entries.length}-0`, 'refresh+0-0', 'end']);
  });
});
