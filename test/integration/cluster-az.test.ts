/**
 * readFrom { az } on private clusters (2 primaries, 2 replicas each):
 * - Valkey 8 (always Valkey: the setting exists only there), zones set with CONFIG SET after
 *   start: per shard the primary and one replica in zone-a, the other replica in zone-b. Reads
 *   land on the zone-a replica, writes on the primaries, then the fallbacks as replicas die.
 * - The server of this pass without any zone (Redis 7.0 has no such setting; a Valkey pass runs
 *   the same checks on nodes with none set): the documented degradation.
 * Where each read ran is counted by the servers themselves (INFO commandstats).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createCluster, keySlot, type Cluster, type NodeAddress } from '../../src/index.js';
import { commandCalls, layoutOf, pollUntil } from '../harness/cluster-ops.js';
import { defaultFlavour, probe, probeOne, startCluster, type ClusterHandle, type ServerFlavour } from '../harness/servers.js';

const run = randomUUID().slice(0, 8);

interface ShardPorts {
  readonly primary: number;
  readonly replicas: readonly [number, number];
}

/** The shards as the servers see them, and `perShard` keys owned by each. */
async function shardsOf(servers: ClusterHandle): Promise<ShardPorts[]> {
  const layout = await layoutOf(servers.seeds[0]!.port);
  return layout.primaries.map((p) => {
    const replicas = layout.replicasOf(p.port).map((r) => r.port).sort((a, b) => a - b);
    expect(replicas).toHaveLength(2);
    return { primary: p.port, replicas: [replicas[0]!, replicas[1]!] };
  });
}

async function keysOwnedBy(servers: ClusterHandle, shards: readonly ShardPorts[], prefix: string, perShard: number): Promise<string[][]> {
  const layout = await layoutOf(servers.seeds[0]!.port);
  const out = shards.map((): string[] => []);
  for (let i = 0; i < 100_000 && out.some((list) => list.length < perShard); i++) {
    const key = `${prefix}:${i}`;
    const at = shards.findIndex((s) => s.primary === layout.ownerPort(keySlot(key)));
    if (out[at]!.length < perShard) out[at]!.push(key);
  }
  return out;
}

/**
 * A replica counts as `loading` (and slotline leaves it out) until its primary has taken a write:
 * write one key per shard out of band, then wait until every node lists every replica online.
 */
async function replicasOnline(servers: ClusterHandle, shards: readonly ShardPorts[]): Promise<void> {
  const keys = await keysOwnedBy(servers, shards, `az-warm:${run}`, 1);
  await Promise.all(shards.map((s, i) => probeOne(s.primary, ['SET', keys[i]![0]!, '1'])));
  await pollUntil('every replica listed online in CLUSTER SHARDS', 20_000, async () => {
    const text = JSON.stringify(await probeOne(servers.seeds[0]!.port, ['CLUSTER', 'SHARDS']));
    return (text.match(/"online"/g) ?? []).length === shards.length * 3;
  });
}

/** GET calls on each port, counted by the servers. */
async function getsOn(ports: readonly number[]): Promise<number[]> {
  return Promise.all(ports.map((port) => commandCalls(port, 'get')));
}

/** Every key's value is on both replicas of its shard (replication is asynchronous). */
async function replicated(shards: readonly ShardPorts[], keys: readonly string[][], value: (key: string) => string): Promise<void> {
  await pollUntil('replicas have the values', 10_000, async () => {
    for (const [i, s] of shards.entries()) {
      for (const port of s.replicas) {
        const replies = await probe(port, [['READONLY'], ...keys[i]!.map((key) => ['GET', key])]);
        if (replies.slice(1).some((v, j) => v !== value(keys[i]![j]!))) return false;
      }
    }
    return true;
  });
}

/** A connected `readFrom: { az: 'zone-a' }` client that records every 'node zone' event in `zones`. */
async function azClient(servers: ClusterHandle, zones: Map<number, string | undefined>, refreshInterval: number): Promise<Cluster> {
  const cluster = createCluster({ nodes: [servers.seeds[0]!], readFrom: { az: 'zone-a' }, refreshInterval });
  cluster.on('node zone', (node: NodeAddress, zone) => zones.set(node.port, zone));
  return cluster.connect();
}

describe('readFrom { az } on Valkey 8', () => {
  const flavour: ServerFlavour = 'valkey';
  let servers: ClusterHandle;
  let shards: ShardPorts[];
  let cluster: Cluster;
  const zones = new Map<number, string | undefined>();
  /** Per shard: [primary, zone-a replica, zone-b replica]. */
  let ports: number[];

  beforeAll(async () => {
    servers = await startCluster({ flavour, primaries: 2, replicasPerPrimary: 2, nodeTimeoutMs: 1000 });
    shards = await shardsOf(servers);
    for (const s of shards) {
      await probeOne(s.primary, ['CONFIG', 'SET', 'availability-zone', 'zone-a']);
      await probeOne(s.replicas[0], ['CONFIG', 'SET', 'availability-zone', 'zone-a']);
      await probeOne(s.replicas[1], ['CONFIG', 'SET', 'availability-zone', 'zone-b']);
    }
    await replicasOnline(servers, shards);
    ports = shards.flatMap((s) => [s.primary, s.replicas[0], s.replicas[1]]);
    cluster = await azClient(servers, zones, 500);
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
    await servers?.stop();
  });

  it('the zone is in INFO server and CONFIG GET, not in HELLO or CLUSTER SHARDS (Valkey 8.0.1)', async () => {
    const port = shards[0]!.replicas[1];
    const [info, config, hello, shardsReply] = await probe(port, [['INFO', 'server'], ['CONFIG', 'GET', 'availability-zone'], ['HELLO', '2'], ['CLUSTER', 'SHARDS']]);
    expect(String(info)).toMatch(/^availability_zone:zone-b\r?$/m);
    expect(config).toEqual(['availability-zone', 'zone-b']);
    expect(JSON.stringify(hello)).not.toMatch(/zone/);
    expect(JSON.stringify(shardsReply)).not.toMatch(/zone/);
  });

  it("connect() resolves with every node's zone learned, each told by a 'node zone' event", () => {
    expect(new Map([...zones].sort(([a], [b]) => a - b))).toEqual(
      new Map(shards.flatMap((s) => [[s.primary, 'zone-a'], [s.replicas[0], 'zone-a'], [s.replicas[1], 'zone-b']] as const).sort(([a], [b]) => a - b)),
    );
  });

  it('reads land on the zone-a replica, writes on the primaries, every value right', async () => {
    const keys = await keysOwnedBy(servers, shards, `az:${run}:rw`, 20);
    const movedBefore = cluster.stats.moved;
    const setsBefore = await Promise.all(shards.map((s) => commandCalls(s.primary, 'set')));
    for (const key of keys.flat()) expect(await cluster.set(key, `v-${key}`)).toBe('OK');
    // Straight to each key's primary: a write sent to a replica would have come back MOVED.
    expect(cluster.stats.moved).toBe(movedBefore);
    const setsAfter = await Promise.all(shards.map((s) => commandCalls(s.primary, 'set')));
    shards.forEach((_, i) => expect(setsAfter[i]! - setsBefore[i]!).toBe(keys[i]!.length));
    await replicated(shards, keys, (key) => `v-${key}`);

    const before = await getsOn(ports);
    for (let round = 0; round < 3; round++) {
      for (const key of keys.flat()) expect(await cluster.get(key)).toBe(`v-${key}`);
    }
    const after = await getsOn(ports);
    const delta = after.map((n, i) => n - before[i]!);
    // [primary, zone-a replica, zone-b replica] per shard: only the zone-a replica served.
    expect(delta).toEqual(shards.flatMap((_, i) => [0, 3 * keys[i]!.length, 0]));

    // The parts of a split MGET too.
    const mgetsBefore = await Promise.all(ports.map((port) => commandCalls(port, 'mget')));
    expect(await cluster.mget(keys.flat())).toEqual(keys.flat().map((key) => `v-${key}`));
    const mgets = (await Promise.all(ports.map((port) => commandCalls(port, 'mget')))).map((n, i) => n - mgetsBefore[i]!);
    expect(mgets.map((n) => n > 0)).toEqual(shards.flatMap(() => [false, true, false]));
  });

  it('the zone-a replica killed: reads go to the zone-b replica; both killed: to the primary; no read fails', async () => {
    const keys = await keysOwnedBy(servers, shards, `az:${run}:kill`, 10);
    for (const key of keys.flat()) await cluster.set(key, `k-${key}`);
    await replicated(shards, keys, (key) => `k-${key}`);
    const victim = shards[0]!;
    const nodeOf = (port: number) => servers.nodes.find((n) => n.port === port)!;

    /** Reads every key of shard 0 `rounds` times; every value must be right. Returns the slowest read, ms. */
    const readShard0 = async (rounds: number): Promise<number> => {
      let slowest = 0;
      for (let r = 0; r < rounds; r++) {
        for (const key of keys[0]!) {
          const t = performance.now();
          expect(await cluster.get(key)).toBe(`k-${key}`);
          slowest = Math.max(slowest, performance.now() - t);
        }
      }
      return slowest;
    };

    await nodeOf(victim.replicas[0]).kill('SIGKILL');
    const killedAt = Date.now();
    // Reads right after the kill: each one either reaches a live node at once or, if it was
    // written to the dead socket, is sent again (a read may be): none fails.
    const slowestAfterFirstKill = await readShard0(2);
    const [zoneB0] = await getsOn([victim.replicas[1]]);
    await readShard0(3);
    const [zoneB1, primary1] = await getsOn([victim.replicas[1], victim.primary]);
    expect(zoneB1! - zoneB0!).toBe(3 * keys[0]!.length);
    // The other shard is untouched: its zone-a replica still serves it.
    const other = shards[1]!;
    const [o0] = await getsOn([other.replicas[0]]);
    for (const key of keys[1]!) expect(await cluster.get(key)).toBe(`k-${key}`);
    const [o1] = await getsOn([other.replicas[0]]);
    expect(o1! - o0!).toBe(keys[1]!.length);

    await nodeOf(victim.replicas[1]).kill('SIGKILL');
    const slowestAfterSecondKill = await readShard0(2);
    const [primary2a] = await getsOn([victim.primary]);
    await readShard0(3);
    const [primary2b] = await getsOn([victim.primary]);
    expect(primary2b! - primary2a!).toBe(3 * keys[0]!.length);
    expect(primary2a! - primary1!).toBeGreaterThan(0);

    // Figure for the report: how long until the cluster (and so the client) dropped the dead replica.
    await pollUntil('the client drops the killed replicas from its slot map', 15_000, () => {
      const listed = new Set(cluster.slotMap.nodes().map((n) => n.port));
      return !listed.has(victim.replicas[0]) && !listed.has(victim.replicas[1]);
    });
    console.info(
      `[cluster-az ${flavour}] slowest of the ${2 * keys[0]!.length} reads right after a replica SIGKILL: ` +
        `${slowestAfterFirstKill.toFixed(1)} ms (zone-a replica), ${slowestAfterSecondKill.toFixed(1)} ms (then the zone-b one); ` +
        `both gone from the client's slot map ${Date.now() - killedAt} ms after the first kill; no read failed`,
    );
    await readShard0(1);
  }, 30_000);
});

describe(`readFrom { az } where no node reports a zone (${defaultFlavour()})`, () => {
  const flavour = defaultFlavour();
  let servers: ClusterHandle;
  let shards: ShardPorts[];
  let cluster: Cluster;
  const zones = new Map<number, string | undefined>();

  beforeAll(async () => {
    servers = await startCluster({ flavour, primaries: 2, replicasPerPrimary: 2 });
    shards = await shardsOf(servers);
    await replicasOnline(servers, shards);
    cluster = await azClient(servers, zones, 0);
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
    await servers?.stop();
  });

  it(flavour === 'redis' ? 'Redis 7.0 has no availability-zone setting' : 'the Valkey nodes have an empty availability-zone', async () => {
    const [config, info] = await probe(servers.seeds[0]!.port, [['CONFIG', 'GET', 'availability-zone'], ['INFO', 'server']]);
    if (flavour === 'redis') {
      expect(config).toEqual([]);
      expect(String(info)).not.toMatch(/availability_zone/);
    } else {
      expect(config).toEqual(['availability-zone', '']);
      expect(String(info)).toMatch(/^availability_zone:\r?$/m);
    }
  });

  it("every node is reported by a 'node zone' event with no zone", () => {
    const all = shards.flatMap((s) => [s.primary, ...s.replicas]).sort((a, b) => a - b);
    expect([...zones.keys()].sort((a, b) => a - b)).toEqual(all);
    expect([...zones.values()].every((z) => z === undefined)).toBe(true);
  });

  it('reads spread over every replica (as preferReplica), none on a primary; writes on the primaries; values right', async () => {
    const keys = await keysOwnedBy(servers, shards, `az:${run}:none`, 10);
    for (const key of keys.flat()) expect(await cluster.set(key, `n-${key}`)).toBe('OK');
    expect(cluster.stats.moved).toBe(0);
    await replicated(shards, keys, (key) => `n-${key}`);
    const ports = shards.flatMap((s) => [s.primary, ...s.replicas]);
    const before = await getsOn(ports);
    for (let round = 0; round < 4; round++) for (const key of keys.flat()) expect(await cluster.get(key)).toBe(`n-${key}`);
    const delta = (await getsOn(ports)).map((n, i) => n - before[i]!);
    shards.forEach((_, i) => {
      const [p, a, b] = delta.slice(3 * i, 3 * i + 3);
      expect(p, `primary of shard ${i}`).toBe(0);
      expect(a! + b!, `replicas of shard ${i}`).toBe(4 * keys[i]!.length);
      // The replicas take turns: neither is left out.
      expect(a!, `first replica of shard ${i}`).toBeGreaterThan(0);
      expect(b!, `second replica of shard ${i}`).toBeGreaterThan(0);
    });
  });
});
