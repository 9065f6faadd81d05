/**
 * The cluster client's whole-keyspace operations on a private 3+3 cluster (they flush it, so
 * not on the shared one): keyless fan-out summed over the primaries, SCAN over every primary,
 * and scripts and functions surviving SCRIPT FLUSH / FUNCTION FLUSH on every node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createCluster, CrossSlotError, defineLibrary, defineScript, keySlot, type Cluster } from '../../src/index.js';
import { layoutOf, pollUntil, type LayoutView } from '../harness/cluster-ops.js';
import { redisCli, startCluster, type ClusterHandle } from '../harness/servers.js';

let servers: ClusterHandle;
let cluster: Cluster;
let layout: LayoutView;

beforeAll(async () => {
  servers = await startCluster();
  cluster = createCluster({ nodes: [servers.seeds[0]!] });
  await cluster.connect();
  layout = await layoutOf(servers.seeds[0]!.port);
});
afterAll(async () => {
  await cluster?.close();
  await servers?.stop();
});

async function primaryPorts(): Promise<number[]> {
  return (await servers.primaries()).map((n) => n.port);
}

/** One key per primary, by the server's slot layout. */
function oneKeyPerNode(prefix: string): string[] {
  const byPort = new Map<number, string>();
  for (let i = 0; byPort.size < layout.primaries.length && i < 10_000; i++) {
    const key = `${prefix}:${i}`;
    const port = layout.ownerPort(keySlot(key));
    if (!byPort.has(port)) byPort.set(port, key);
  }
  expect(byPort.size).toBe(3);
  return [...byPort.values()];
}

describe('keyless fan-out', () => {
  it('DBSIZE is the sum over the primaries: exactly the keys written', async () => {
    await Promise.all((await primaryPorts()).map((port) => redisCli(port, 'FLUSHALL', 'SYNC')));
    expect(await cluster.call('DBSIZE')).toBe(0);
    const keys = Array.from({ length: 777 }, (_, i) => `dbsize:${i}`);
    expect(await cluster.mset(Object.fromEntries(keys.map((key) => [key, '1'])))).toBe('OK');
    // Each primary holds a share; a replica counted too would double the sum.
    const shares = await Promise.all((await primaryPorts()).map(async (port) => Number(await redisCli(port, 'DBSIZE'))));
    expect(shares.every((n) => n > 0)).toBe(true);
    expect(await cluster.call('DBSIZE')).toBe(777);
    expect(await cluster.dbsize()).toBe(777);
    // FLUSHALL fans out to every primary too.
    await cluster.call('FLUSHALL');
    expect(await cluster.call('DBSIZE')).toBe(0);
  });
});

describe('scanIterator', () => {
  it('yields each of 2,000 keys exactly once, and filters by match and type', async () => {
    await Promise.all((await primaryPorts()).map((port) => redisCli(port, 'FLUSHALL', 'SYNC')));
    const keys = Array.from({ length: 2000 }, (_, i) => `scan:s:${i}`);
    const hashes = Array.from({ length: 60 }, (_, i) => `scan:h:${i}`);
    const others = Array.from({ length: 100 }, (_, i) => `other:${i}`);
    await cluster.mset(Object.fromEntries([...keys, ...others].map((key) => [key, 'x'])));
    const p = cluster.pipeline();
    for (const h of hashes) p.hset(h, 'f', 'v');
    await p.exec();

    const seen: string[] = [];
    for await (const key of cluster.scanIterator({ match: 'scan:s:*', count: 100 })) {
      seen.push(key);
      if (seen.length > 10_000) break; // bound: a runaway iterator fails below instead of hanging
    }
    expect(seen.length).toBe(2000);
    expect(new Set(seen).size).toBe(2000);
    expect([...seen].sort()).toEqual([...keys].sort());

    const typed: string[] = [];
    for await (const key of cluster.scanIterator({ match: 'scan:*', type: 'hash', count: 50 })) {
      typed.push(key);
      if (typed.length > 10_000) break;
    }
    expect(typed.sort()).toEqual([...hashes].sort());

    let all = 0;
    for await (const key of cluster.scanIterator()) {
      void key;
      if (++all > 10_000) break;
    }
    expect(all).toBe(keys.length + hashes.length + others.length);
  });
});

describe('scripts and functions', () => {
  const lua = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
  const sha = createHash('sha1').update(lua).digest('hex');
  const libraryCode = [
    '#!lua name=sl_cluster_lib',
    "redis.register_function('sl_cluster_incr', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)",
  ].join('\n');

  async function scriptLoadedOn(port: number): Promise<boolean> {
    return (await redisCli(port, 'SCRIPT', 'EXISTS', sha)) === '1';
  }
  async function libraryOn(port: number): Promise<boolean> {
    return (await redisCli(port, 'FUNCTION', 'LIST', 'LIBRARYNAME', 'sl_cluster_lib')).includes('sl_cluster_incr');
  }
  /** SCRIPT FLUSH on every node (it is not replicated); FUNCTION FLUSH on the primaries (replicas follow). */
  async function flushAllNodes(): Promise<void> {
    await Promise.all(servers.seeds.map(async ({ port }) => expect(await redisCli(port, 'SCRIPT', 'FLUSH')).toBe('OK')));
    await Promise.all((await primaryPorts()).map(async (port) => expect(await redisCli(port, 'FUNCTION', 'FLUSH')).toBe('OK')));
    for (const { port } of servers.seeds) await pollUntil(`FUNCTION FLUSH to reach ${port}`, 5000, async () => !(await libraryOn(port)));
  }

  it('runScript works on keys in all 3 shards, also after SCRIPT FLUSH on every node', async () => {
    const script = defineScript({ lua });
    const keys = oneKeyPerNode('script');
    for (const key of keys) expect(await cluster.runScript(script, [key], ['5'])).toBe(5);
    for (const port of await primaryPorts()) expect(await scriptLoadedOn(port)).toBe(true);

    await flushAllNodes();
    for (const port of await primaryPorts()) expect(await scriptLoadedOn(port)).toBe(false);
    // Each node repairs itself: load + run, transparently.
    const results = await Promise.all(keys.map((key) => cluster.runScript(script, [key], ['2'])));
    expect(results).toEqual([7, 7, 7]);
    for (const key of keys) expect(await cluster.get(key)).toBe('7');
    for (const port of await primaryPorts()) expect(await scriptLoadedOn(port)).toBe(true);
  });

  it('functionLoad goes to every primary; runFunction works after FUNCTION FLUSH on every node', async () => {
    const keys = oneKeyPerNode('function');
    expect(await cluster.functionLoad(libraryCode, { replace: true })).toBe('sl_cluster_lib');
    for (const port of await primaryPorts()) expect(await libraryOn(port)).toBe(true);
    const library = defineLibrary(libraryCode);
    for (const key of keys) expect(await cluster.runFunction(library, 'sl_cluster_incr', [key], ['3'])).toBe(3);

    await flushAllNodes();
    for (const port of await primaryPorts()) expect(await libraryOn(port)).toBe(false);
    const results = await Promise.all(keys.map((key) => cluster.runFunction(library, 'sl_cluster_incr', [key], ['4'])));
    expect(results).toEqual([7, 7, 7]);
    for (const port of await primaryPorts()) expect(await libraryOn(port)).toBe(true);
  });

  it('refuses a script whose keys span slots before sending it', async () => {
    const script = defineScript({ lua: "redis.call('SET', KEYS[1], '1'); redis.call('SET', KEYS[2], '1'); return 1" });
    const [a, b] = oneKeyPerNode('xs-script');
    const error = await cluster.runScript(script, [a!, b!], []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrossSlotError);
    expect(await cluster.exists(a!, b!)).toBe(0);
  });
});
