/**
 * The opt-in client-side cache (issue 13, docs/caching.md) against real servers: CLIENT
 * TRACKING in default mode over RESP3, entries dropped by the server's invalidation pushes and
 * by this client's own writes, the in-flight race (an invalidation that arrives in the same
 * chunk as, or ahead of, the reply of a read of the same key), flushes on reconnect and on a
 * cluster failover, the LRU and TTL bounds, returnBuffers and keyPrefix, and two clients under
 * load where no read may go back in time. Runs on the server of this pass (redis or valkey).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { CommandRefusedError, createClient, createCluster, InvalidOptionError, keySlot, type Client, type Cluster } from '../../src/index.js';
import { clusterSeeds, standaloneTarget } from '../harness/context.js';
import { startProxy, type Proxy } from '../harness/proxy.js';
import { waitUntil, within } from '../harness/wait.js';
import { clientList, layoutOf, pollUntil, roleOf } from '../harness/cluster-ops.js';
import { defaultFlavour, redisCli, startCluster, type ClusterHandle } from '../harness/servers.js';

const k = (name: string): string => `cache:${randomUUID()}:${name}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const proxies: Proxy[] = [];
const clients: Array<Client | Cluster> = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(proxies.map((p) => p.close()));
});

function track<C extends Client | Cluster>(c: C): C {
  clients.push(c);
  c.on('error', () => undefined);
  return c;
}

async function cachedClient(options: Parameters<typeof createClient>[0] & object = {}): Promise<Client> {
  const c = track(createClient({ ...standaloneTarget(), clientCache: { maxEntries: 1000 }, ...options }));
  return c.connect();
}

async function plainClient(): Promise<Client> {
  return track(createClient({ ...standaloneTarget() })).connect();
}

/** Resolves once the reader has received an invalidation push naming `key`. */
function invalidationOf(reader: Client, key: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (push: unknown[]): void => {
      const keys = push[1];
      if (String(push[0]) === 'invalidate' && Array.isArray(keys) && keys.some((x) => String(x) === key)) {
        reader.off('push', on);
        resolve();
      }
    };
    reader.on('push', on);
  });
}

describe('client-side cache on one server', () => {
  it('serves repeated reads from the cache, and a write by another client invalidates them', async () => {
    const reader = await cachedClient();
    const writer = await plainClient();
    const key = k('basic');
    await writer.set(key, 'v1');
    expect(await reader.get(key)).toBe('v1');
    expect(await reader.get(key)).toBe('v1');
    expect(await reader.get(key)).toBe('v1');
    expect(reader.cacheStats()).toMatchObject({ hits: 2, misses: 1, entries: 1 });
    const pushed = invalidationOf(reader, key);
    await writer.set(key, 'v2');
    await within(pushed, 2000, 'the invalidation push for the key');
    expect(reader.cacheStats()).toMatchObject({ invalidations: 1, entries: 0 });
    expect(await reader.get(key)).toBe('v2');
    expect(reader.cacheStats().misses).toBe(2);
  });

  it('tracking is on for the connection (CLIENT TRACKINGINFO) and the option is refused under RESP2', async () => {
    const reader = await cachedClient();
    const info = (await reader.call('CLIENT', 'TRACKINGINFO')) as Record<string, unknown>;
    expect(JSON.stringify(info.flags)).toContain('on');
    expect(() => createClient({ ...standaloneTarget(), protocol: 2, clientCache: {} })).toThrow(InvalidOptionError);
    expect(() => createClient({ ...standaloneTarget(), clientCache: { maxEntries: -1 } })).toThrow(InvalidOptionError);
    // Switching tracking off behind the cache's back is refused, and the client keeps serving.
    await expect(reader.call('CLIENT', 'TRACKING', 'OFF')).rejects.toBeInstanceOf(CommandRefusedError);
    await expect(reader.pipeline().call('CLIENT', 'TRACKING', 'OFF').exec()).rejects.toBeInstanceOf(CommandRefusedError);
    expect(await reader.ping()).toBe('PONG');
  });

  it("this client's own writes invalidate at once: a read right after the write's reply sees it", async () => {
    const c = await cachedClient();
    const key = k('own');
    const hash = k('own-hash');
    await c.set(key, 'a');
    await c.hset(hash, { f: '1' });
    expect(await c.get(key)).toBe('a');
    expect(await c.hget(hash, 'f')).toBe('1');
    for (let i = 0; i < 50; i++) {
      await c.set(key, `v${i}`);
      expect(await c.get(key)).toBe(`v${i}`);
    }
    await c.hincrby(hash, 'f', 5);
    expect(await c.hget(hash, 'f')).toBe('6');
    // Writes inside a pipeline and a MULTI block invalidate too.
    expect(await c.get(key)).toBe('v49');
    await c.pipeline().set(key, 'piped').exec();
    expect(await c.get(key)).toBe('piped');
    await c.multi().set(key, 'multi').exec();
    expect(await c.get(key)).toBe('multi');
    await c.del(key);
    expect(await c.get(key)).toBeNull();
  });

  it('in-flight race, own write: a GET sent before a SET of the same key is answered but never cached', async () => {
    const c = await cachedClient();
    for (let i = 0; i < 30; i++) {
      const key = k(`race-own-${i}`);
      await c.set(key, 'old');
      const [read] = await Promise.all([c.get(key), c.set(key, 'new')]);
      expect(read).toBe('old');
      // 'old' came back after the SET was sent: it must not be served again.
      expect(await c.get(key)).toBe('new');
    }
  });

  it('in-flight race, another client: an invalidation in the same chunk as the GET reply keeps the reply out of the cache', async () => {
    const proxy = await startProxy({ target: standaloneTarget() });
    proxies.push(proxy);
    const name = `cache-reader-${randomUUID().slice(0, 8)}`;
    const reader = await cachedClient({ port: proxy.port, clientName: name });
    const writer = await plainClient();
    const target = standaloneTarget();
    for (let round = 0; round < 3; round++) {
      const key = k(`race-${round}`);
      await writer.set(key, 'old');
      // The reader's GET reaches the server and runs (the server now tracks the key for it)...
      const last = async (): Promise<string | undefined> => (await clientList(target.port)).find((c) => c['name'] === name)?.['cmd'];
      expect(await reader.ping()).toBe('PONG');
      expect(await last()).toBe('ping');
      proxy.setDelay(100);
      const read = reader.get(key);
      await pollUntil('the reader GET to run on the server', 3000, async () => (await last()) === 'get', 5);
      // ...its reply is held in the proxy while another client writes the key: the
      // invalidation push queues right behind the reply, and both reach the reader together.
      proxy.pause();
      await writer.set(key, 'new');
      await sleep(150);
      proxy.setDelay(0);
      proxy.resume();
      expect(await read).toBe('old');
      // The invalidation was delivered with the reply: 'old' must never be served again.
      expect(await reader.get(key)).toBe('new');
      expect(await reader.get(key)).toBe('new');
    }
  });

  it('a reconnect (CLIENT KILL) flushes the whole cache; a write made while it was down is seen', async () => {
    const reader = await cachedClient({ reconnect: { initialDelay: 20, maxDelay: 50, jitter: 0 } });
    const writer = await plainClient();
    const a = k('kill-a');
    const b = k('kill-b');
    await writer.mset({ [a]: 'a1', [b]: 'b1' });
    expect(await reader.get(a)).toBe('a1');
    expect(await reader.get(b)).toBe('b1');
    expect(reader.cacheStats().entries).toBe(2);
    const id = (await reader.call('CLIENT', 'ID')) as number;
    const flushes = reader.cacheStats().flushes;
    await writer.call('CLIENT', 'KILL', 'ID', String(id));
    // No invalidation can reach the killed connection; the write below is never pushed to it.
    await writer.set(a, 'a2');
    await waitUntil('the cache to be flushed on the lost connection', () => reader.cacheStats().flushes > flushes, 3000);
    expect(reader.cacheStats().entries).toBe(0);
    expect(await reader.get(a)).toBe('a2');
    expect(await reader.get(b)).toBe('b1');
    // Tracking is on again on the new connection: a later write is pushed and applied.
    const pushed = invalidationOf(reader, a);
    await writer.set(a, 'a3');
    await within(pushed, 2000, 'the invalidation after the reconnect');
    expect(await reader.get(a)).toBe('a3');
  });

  it('a null invalidation (what FLUSHALL sends) flushes the whole cache', async () => {
    // FLUSHALL would empty the shared server under other tests, so the push it causes (an
    // invalidation with a null key list) is injected by the proxy, byte for byte.
    const proxy = await startProxy({ target: standaloneTarget() });
    proxies.push(proxy);
    const reader = await cachedClient({ port: proxy.port });
    const key = k('null');
    await reader.set(key, 'v');
    expect(await reader.get(key)).toBe('v');
    expect(reader.cacheStats().entries).toBe(1);
    // `>2 $10 invalidate _` exactly as a RESP3 server writes it.
    proxy.inject(Buffer.from('>2\r\n$10\r\ninvalidate\r\n_\r\n'));
    await waitUntil('the null invalidation to flush the cache', () => reader.cacheStats().entries === 0, 2000);
    expect(reader.cacheStats().flushes).toBeGreaterThan(0);
    expect(await reader.get(key)).toBe('v');
  });

  it('ttlMs bounds the age of an entry', async () => {
    const c = await cachedClient({ clientCache: { ttlMs: 150 } });
    const key = k('ttl');
    await c.set(key, 'v');
    await c.get(key);
    await c.get(key);
    expect(c.cacheStats()).toMatchObject({ hits: 1, misses: 1 });
    await sleep(250);
    await c.get(key);
    expect(c.cacheStats()).toMatchObject({ hits: 1, misses: 2, evictions: 1 });
  });

  it('maxEntries bounds the size, least recently used first', async () => {
    const c = await cachedClient({ clientCache: { maxEntries: 3 } });
    const keys = [0, 1, 2, 3, 4].map((i) => k(`lru-${i}`));
    await c.mset(Object.fromEntries(keys.map((x, i) => [x, String(i)])));
    for (const x of keys.slice(0, 3)) await c.get(x);
    await c.get(keys[0]!); // 0 is now the most recent; 1 is the oldest
    await c.get(keys[3]!);
    await c.get(keys[4]!);
    expect(c.cacheStats()).toMatchObject({ entries: 3, evictions: 2 });
    const hits = c.cacheStats().hits;
    expect(await c.get(keys[0]!)).toBe('0');
    expect(c.cacheStats().hits).toBe(hits + 1);
    expect(await c.get(keys[1]!)).toBe('1');
    expect(c.cacheStats().hits).toBe(hits + 1);
  });

  it('a Buffer read and a string read of the same key are separate entries, and a caller cannot change a cached value', async () => {
    const c = await cachedClient();
    const key = k('buf');
    await c.set(key, 'hello');
    expect(await c.get(key)).toBe('hello');
    const b1 = (await c.callBuffer('GET', key)) as Buffer;
    expect(Buffer.isBuffer(b1)).toBe(true);
    b1[0] = 0x4a; // the caller scribbles on its copy
    const b2 = (await c.callBuffer('GET', key)) as Buffer;
    expect(b2.toString()).toBe('hello');
    expect(await c.get(key)).toBe('hello');
    const s = c.cacheStats();
    expect(s.entries).toBe(2);
    expect(s.hits).toBe(2);
    const list = k('list');
    await c.rpush(list, 'a', 'b');
    const l1 = await c.lrange(list, 0, -1);
    l1.push('scribbled');
    expect(await c.lrange(list, 0, -1)).toEqual(['a', 'b']);
    const h = k('hash');
    await c.hset(h, { x: '1', y: '2' });
    const all1 = await c.hgetall(h);
    expect(await c.hgetall(h)).toEqual(all1);
    expect(await c.mget(key, list)).toEqual(['hello', null]);
    expect(await c.mget(key, list)).toEqual(['hello', null]);
    expect(await c.smembers(k('empty-set'))).toEqual([]);
  });

  it('keyPrefix: entries are named by the real key, so invalidations by another client land', async () => {
    const prefix = `${k('pre')}:`;
    const c = await cachedClient({ keyPrefix: prefix });
    const writer = await plainClient();
    await writer.set(`${prefix}x`, '1');
    await writer.set('x-unprefixed-cache-test', 'other');
    expect(await c.get('x')).toBe('1');
    expect(await c.get('x')).toBe('1');
    const pushed = invalidationOf(c, `${prefix}x`);
    await writer.set(`${prefix}x`, '2');
    await within(pushed, 2000, 'the invalidation of the prefixed key');
    expect(await c.get('x')).toBe('2');
  });

  it('two clients under load: no read returns a value older than one already seen, or older than a write whose invalidation was delivered', async () => {
    const reader = await cachedClient({ clientCache: { maxEntries: 10_000 } });
    const writer = await plainClient();
    const keys = Array.from({ length: 40 }, (_, i) => k(`load-${i}`));
    await writer.mset(Object.fromEntries(keys.map((x) => [x, '0'])));
    let seq = 0;
    const acked = new Map<string, number>(keys.map((x) => [x, 0]));
    /** Per key, the newest write whose invalidation is known delivered to the reader. */
    const certified = new Map<string, number>(keys.map((x) => [x, 0]));
    /** Per key, the newest value a finished read returned. */
    const seen = new Map<string, number>(keys.map((x) => [x, 0]));
    const violations: string[] = [];
    let stop = false;
    const deadline = Date.now() + 3000;
    const writerLoop = async (): Promise<void> => {
      for (let n = 0; !stop && n < 200_000; n++) {
        const key = keys[(n * 7) % keys.length]!;
        const v = ++seq; // assigned when sent; one connection keeps the server's order
        await writer.set(key, String(v));
        if (v > acked.get(key)!) acked.set(key, v);
        if (n % 4 === 3) await sleep(0);
      }
    };
    // A round trip on the reader's own connection, begun after some writes were acknowledged,
    // comes back after every invalidation those writes caused: the server wrote the pushes
    // before it read the PING. From then on the reader must see those writes.
    const barrierLoop = async (): Promise<void> => {
      for (let n = 0; !stop && n < 200_000; n++) {
        const snapshot = new Map(acked);
        await reader.ping();
        for (const [key, v] of snapshot) if (v > certified.get(key)!) certified.set(key, v);
      }
    };
    const readerLoop = async (r: number): Promise<void> => {
      for (let n = 0; !stop && n < 1_000_000; n++) {
        const key = keys[(n * 13 + r * 5) % keys.length]!;
        const floor = Math.max(certified.get(key)!, seen.get(key)!);
        const got = Number(await reader.get(key));
        if (got < floor) violations.push(`${key}: read ${got} after ${floor} was seen or certified`);
        if (got > seen.get(key)!) seen.set(key, got);
        // Hits resolve without I/O: let the writer and the sockets run.
        if (n % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const loops = [writerLoop(), writerLoop(), barrierLoop(), ...[0, 1, 2, 3].map(readerLoop)];
    while (Date.now() < deadline && violations.length === 0) await sleep(50);
    stop = true;
    await within(Promise.all(loops), 10_000, 'the load loops to stop');
    const stats = reader.cacheStats();
    expect(violations.slice(0, 5)).toEqual([]);
    // The check had something to check: many writes, invalidations, hits and misses.
    expect(seq).toBeGreaterThan(500);
    expect(stats.invalidations).toBeGreaterThan(100);
    expect(stats.hits).toBeGreaterThan(100);
    expect(stats.misses).toBeGreaterThan(100);
    // And at the end, once the last writes are certified, every key reads its last value.
    await reader.ping();
    for (const key of keys) expect(Number(await reader.get(key))).toBe(acked.get(key));
  }, 30_000);
});

describe('client-side cache on the shared cluster', () => {
  it('each node connection caches and tracks its own keys; stats are summed; writes from anywhere invalidate', async () => {
    const cluster = track(createCluster({ nodes: clusterSeeds(), clientCache: { maxEntries: 1000 } }));
    await cluster.connect();
    const writer = track(createCluster({ nodes: clusterSeeds() }));
    await writer.connect();
    // Keys spread over every primary.
    const keys = Array.from({ length: 30 }, (_, i) => k(`cl-${i}`));
    const owners = new Set(keys.map((x) => cluster.nodeFor(x)?.port));
    expect(owners.size).toBeGreaterThan(1);
    for (const x of keys) await writer.set(x, 'a');
    for (const x of keys) expect(await cluster.get(x)).toBe('a');
    for (const x of keys) expect(await cluster.get(x)).toBe('a');
    expect(cluster.cacheStats(), JSON.stringify(cluster.cacheStats())).toMatchObject({ hits: 30, misses: 30, entries: 30 });
    for (const x of keys) await writer.set(x, 'b');
    await waitUntil('every invalidation to arrive', () => cluster.cacheStats().entries === 0, 3000);
    expect(cluster.cacheStats().invalidations).toBe(30);
    for (const x of keys) expect(await cluster.get(x)).toBe('b');
    // Own writes: read right after.
    for (const x of keys.slice(0, 5)) {
      await cluster.set(x, 'c');
      expect(await cluster.get(x)).toBe('c');
    }
    expect(() => createCluster({ nodes: clusterSeeds(), protocol: 2, clientCache: {} })).toThrow(InvalidOptionError);
  });
});

describe.each([defaultFlavour()])('client-side cache through a CLUSTER FAILOVER (%s, private cluster)', (flavour) => {
  let servers: ClusterHandle;
  afterAll(async () => {
    await servers?.stop();
  });

  it('flushes the cache of the nodes whose role changed, and reads the promoted primary afterwards', async () => {
    servers = await startCluster({ flavour, nodeTimeoutMs: 1000 });
    const cluster = track(createCluster({ nodes: servers.seeds.map((s) => ({ host: s.host, port: s.port })), clientCache: {} }));
    await cluster.connect();
    const key = '{cache-fo}:k';
    const oldPrimary = await servers.slotOwner(keySlot(key));
    const replica = (await layoutOf(oldPrimary.port)).replicasOf(oldPrimary.port)[0]!;
    await cluster.set(key, 'before');
    expect(await cluster.get(key)).toBe('before');
    expect(await cluster.get(key)).toBe('before');
    expect(cluster.cacheStats()).toMatchObject({ hits: 1, entries: 1 });
    const flushes = cluster.cacheStats().flushes;
    expect(await redisCli(replica.port, 'CLUSTER', 'FAILOVER')).toBe('OK');
    await pollUntil('the replica to become primary', 15_000, async () => (await roleOf(replica.port)) === 'master');
    await pollUntil('the client to see the promoted primary', 10_000, async () => {
      await cluster.refresh();
      return cluster.slotMap.primaryOf(keySlot(key))?.port === replica.port;
    }, 200);
    // The old primary's connection had the key cached: its cache went with the role change.
    expect(cluster.cacheStats().flushes).toBeGreaterThan(flushes);
    expect(cluster.cacheStats().entries).toBe(0);
    await cluster.set(key, 'after');
    expect(await cluster.get(key)).toBe('after');
    expect(await cluster.get(key)).toBe('after');
    // A write by another client on the new primary invalidates the entry cached there.
    const writer = track(createCluster({ nodes: [{ host: '127.0.0.1', port: replica.port }] }));
    await writer.connect();
    await writer.set(key, 'from-writer');
    await waitUntil('the invalidation from the new primary', () => cluster.cacheStats().entries === 0, 3000);
    expect(await cluster.get(key)).toBe('from-writer');
  }, 60_000);
});
