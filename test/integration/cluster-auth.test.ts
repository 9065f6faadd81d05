/**
 * The cluster client against a private password-protected 3+3 cluster (--requirepass and
 * --masterauth on every node): the seed's options — password and clientName — must reach every
 * node the client discovers or is redirected to, and a wrong or missing password must fail
 * discovery at once, naming the seed and the cause, with no retry loop behind it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { ClusterError, createCluster, keySlot, type Cluster } from '../../src/index.js';
import {
  beginSlotMigration,
  clientList,
  finishSlotMigration,
  layoutOf,
  migrateKeys,
  pollUntil,
  type ClientInfo,
  type LayoutView,
  type NodeRef,
} from '../harness/cluster-ops.js';
import { probeOne, startCluster, type ClusterHandle } from '../harness/servers.js';

const PASSWORD = 'cluster-auth-pw';
const CONNECT_TIMEOUT_MS = 2000;

let servers: ClusterHandle;
let layout: LayoutView;

beforeAll(async () => {
  servers = await startCluster({ password: PASSWORD, replicasPerPrimary: 1 });
  layout = await layoutOf(servers.nodes[0]!.port, PASSWORD);
}, 30_000);

afterAll(async () => {
  await servers?.stop();
});

/** Connections a client holds on `port`: not replication links, not redis-cli's own. */
async function clientConnections(port: number): Promise<ClientInfo[]> {
  const all = await clientList(port, PASSWORD);
  return all.filter((c) => !/[SM]/.test(c['flags'] ?? '') && c['cmd'] !== 'client|list');
}

/**
 * Polls until every client connection on each of `ports` carries `name` and each port has at
 * least one; a connection the client opened without the seed's options stays unnamed and
 * fails this. The poll only absorbs the server noticing that earlier sockets closed.
 */
async function expectOnlyNamedConnections(ports: readonly number[], name: string): Promise<void> {
  let seen = '';
  await pollUntil(`connections named ${name} on ${ports.join(', ')}`, 3000, async () => {
    const lists = await Promise.all(ports.map(async (port) => ({ port, conns: await clientConnections(port) })));
    seen = lists.map(({ port, conns }) => `${port}: [${conns.map((c) => c['name'] || '<unnamed>').join(', ')}]`).join('; ');
    return lists.every(({ conns }) => conns.length > 0 && conns.every((c) => c['name'] === name));
  }).catch((error: Error) => {
    throw new Error(`${error.message}; last seen ${seen}`);
  });
}

/** `perNode` keys for each primary, placed by the server's own slot layout. */
function keysPerPrimary(prefix: string, perNode: number): Map<number, string[]> {
  const out = new Map<number, string[]>(layout.primaries.map((p) => [p.port, []]));
  for (let i = 0; [...out.values()].some((keys) => keys.length < perNode); i++) {
    const key = `${prefix}:${i}`;
    const keys = out.get(layout.ownerPort(keySlot(key)))!;
    if (keys.length < perNode) keys.push(key);
  }
  return out;
}

async function totalConnections(port: number): Promise<number> {
  const info = await probeOne(port, ['INFO', 'stats'], { password: PASSWORD });
  const match = /^total_connections_received:(\d+)/m.exec(String(info));
  if (match === null) throw new Error(`INFO stats on ${port} has no total_connections_received`);
  return Number(match[1]);
}

/**
 * The discovery error's entry for one seed: `127.0.0.1:<port>: auth (… WRONGPASS …)` or
 * `… auth: NOAUTH …`; entries for several seeds are separated by `; `.
 */
function seedFailedOnAuth(port: number, code: 'WRONGPASS' | 'NOAUTH'): RegExp {
  return new RegExp(`127\\.0\\.0\\.1:${port}: auth[ :(][^;]*\\b${code}\\b`);
}

/** connect() must reject; returns the error and how long it took. */
async function failedConnect(cluster: Cluster): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await cluster.connect().then(
    () => new Error('connect() resolved'),
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

describe('a password-protected cluster, right password', () => {
  it('runs a pipeline over all primaries and mset/mget across nodes; every connection carries clientName', async () => {
    expect(layout.primaries).toHaveLength(3);
    const name = 'slotline-auth-primary';
    const seed = servers.seeds[0]!;
    const cluster = createCluster({ nodes: [seed], password: PASSWORD, clientName: name, refreshInterval: 0 });
    try {
      await cluster.connect();
      const byNode = keysPerPrimary('auth:pipe', 4);
      const keys = [...byNode.values()].flat();

      const p = cluster.pipeline();
      for (const key of keys) p.set(key, `v:${key}`);
      for (const key of keys) p.get(key);
      expect(await p.exec()).toEqual([...keys.map(() => 'OK'), ...keys.map((key) => `v:${key}`)]);

      const pairs = Object.fromEntries(keys.map((key) => [key, `m:${key}`]));
      expect(await cluster.mset(pairs)).toBe('OK');
      expect(await cluster.mget([...keys, 'auth:pipe:missing'])).toEqual([...keys.map((key) => `m:${key}`), null]);

      // Out of band, each primary holds its own keys: the batch really crossed nodes.
      for (const [port, own] of byNode) {
        expect(await probeOne(port, ['GET', own[0]!], { password: PASSWORD })).toBe(`m:${own[0]}`);
      }
      await expectOnlyNamedConnections([...byNode.keys()], name);
    } finally {
      await cluster.close();
    }
  });

  it('issue 14 item 2: a seed given as a URL brings its password and name to every node it discovers', async () => {
    const name = 'slotline-auth-url-seed';
    const seed = servers.seeds[0]!;
    const cluster = createCluster({ nodes: [`redis://:${PASSWORD}@127.0.0.1:${seed.port}?name=${name}`], connectTimeout: CONNECT_TIMEOUT_MS, refreshInterval: 0 });
    try {
      await cluster.connect();
      const byNode = keysPerPrimary('auth:url', 2);
      const pairs = Object.fromEntries([...byNode.values()].flat().map((key) => [key, `u:${key}`]));
      expect(await cluster.mset(pairs)).toBe('OK');
      expect(await cluster.mget(Object.keys(pairs))).toEqual(Object.values(pairs));
      await expectOnlyNamedConnections([...byNode.keys()], name);
    } finally {
      await cluster.close();
    }
  });

  it('reads from replicas it only learned from the topology, authenticated and named', async () => {
    const name = 'slotline-auth-replica';
    const replicaPorts = layout.entries.filter((e) => e.role === 'replica').map((e) => e.port);
    expect(replicaPorts).toHaveLength(3);
    const cluster = createCluster({
      nodes: [servers.seeds[0]!],
      password: PASSWORD,
      clientName: name,
      readFrom: 'preferReplica',
      refreshInterval: 0,
    });
    try {
      await cluster.connect();
      const keys = [...keysPerPrimary('auth:replica', 1).values()].flat();
      // Both servers call a replica that has never received a write `loading` in CLUSTER
      // SHARDS, and slotline reads only from `online` ones: write first, then wait until the
      // topology lists every shard's replica as online.
      for (const key of keys) await cluster.set(key, `v-${key}`);
      await pollUntil('every shard lists an online replica', 10_000, async () => {
        await cluster.refresh();
        return cluster.slotMap.shards().every((s) => s.replicas.length > 0);
      }, 100);
      // One GET per shard (single-slot reads go to a replica; a split MGET goes to the primaries).
      // Replication is asynchronous: read until the replicas have the values.
      const want = JSON.stringify(keys.map((key) => `v-${key}`));
      await pollUntil('replicas answer the values', 5000, async () => {
        const p = cluster.pipeline();
        for (const key of keys) p.get(key);
        return JSON.stringify(await p.exec()) === want;
      });
      await expectOnlyNamedConnections(replicaPorts, name);
    } finally {
      await cluster.close();
    }
  });
});

describe('a password-protected cluster, wrong or missing password', () => {
  it('wrong password: connect() rejects at once naming the seed and WRONGPASS, and stops trying', async () => {
    const seed = servers.seeds[1]!;
    const before = await totalConnections(seed.port);
    const cluster = createCluster({ nodes: [seed], password: 'not-the-password', connectTimeout: CONNECT_TIMEOUT_MS, refreshInterval: 0 });
    try {
      const { error, ms } = await failedConnect(cluster);
      expect(error).toBeInstanceOf(ClusterError);
      expect((error as Error).message).toMatch(seedFailedOnAuth(seed.port, 'WRONGPASS'));
      expect(ms).toBeLessThan(CONNECT_TIMEOUT_MS);

      // A few connections for discovery, then none: each total_connections_received read
      // below is one connection of its own.
      const after = await totalConnections(seed.port);
      expect(after - before - 1).toBeGreaterThanOrEqual(1);
      expect(after - before - 1).toBeLessThanOrEqual(2);
      // Not waiting for something to happen but giving a retry loop (50 ms first delay by
      // default) the time to show itself.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await totalConnections(seed.port)).toBe(after + 1);
    } finally {
      cluster.disconnect();
    }
  });

  it('no password: connect() rejects at once naming every seed and NOAUTH', async () => {
    const seeds = [servers.seeds[1]!, servers.seeds[2]!];
    const cluster = createCluster({ nodes: seeds, connectTimeout: CONNECT_TIMEOUT_MS, refreshInterval: 0 });
    try {
      const { error, ms } = await failedConnect(cluster);
      expect(error).toBeInstanceOf(ClusterError);
      for (const seed of seeds) expect((error as Error).message).toMatch(seedFailedOnAuth(seed.port, 'NOAUTH'));
      expect(ms).toBeLessThan(CONNECT_TIMEOUT_MS);
    } finally {
      cluster.disconnect();
    }
  });
});

describe('a password-protected cluster, MOVED to a node not yet connected', () => {
  it('opens the new node connection with the seed password and name', async () => {
    const name = 'slotline-auth-moved';
    const key = '{auth-moved}:k';
    const slot = keySlot(key);
    const sourcePort = layout.ownerPort(slot);
    const ref = (port: number): NodeRef => ({ port, id: layout.entry(port).id, password: PASSWORD });
    const source = ref(sourcePort);
    const target = ref(layout.primaries.find((p) => p.port !== sourcePort)!.port);
    // No periodic refresh: the client learns of the move only from MOVED.
    const cluster = createCluster({ nodes: [{ host: '127.0.0.1', port: source.port }], password: PASSWORD, clientName: name, refreshInterval: 0 });
    try {
      await cluster.connect();
      expect(await cluster.set(key, 'before-move')).toBe('OK');
      // Precondition: the client has not talked to the target.
      expect((await clientConnections(target.port)).filter((c) => c['name'] === name)).toEqual([]);

      await beginSlotMigration(source, target, slot);
      await migrateKeys(source, target, [key]);
      await finishSlotMigration(layout.primaries.map((p) => ref(p.port)), source, target, slot);
      expect(cluster.slotMap.primaryOf(slot)?.port).toBe(source.port);

      // Sent to the source, MOVED to the target: a connection without AUTH would get NOAUTH.
      expect(await cluster.get(key)).toBe('before-move');
      expect(cluster.stats.moved).toBeGreaterThanOrEqual(1);
      expect(cluster.slotMap.primaryOf(slot)?.port).toBe(target.port);
      expect(await cluster.set(key, 'after-move')).toBe('OK');
      expect(await probeOne(target.port, ['GET', key], { password: PASSWORD })).toBe('after-move');
      expect((await clientConnections(target.port)).some((c) => c['name'] === name)).toBe(true);
    } finally {
      await cluster.close();
    }
  });
});

describe('a password-protected cluster, one node refusing the password', () => {
  it('fails that node at once with its auth error instead of retrying elsewhere, and the other nodes keep working', async () => {
    const seedPort = layout.primaries[0]!.port;
    const refusing = layout.primaries[1]!.port;
    const other = keysPerPrimary('auth-refused', 1);
    const badKey = other.get(refusing)![0]!;
    const goodKey = other.get(seedPort)![0]!;
    const cluster = createCluster({ nodes: [{ host: '127.0.0.1', port: seedPort }], password: PASSWORD, refreshInterval: 0 });
    await probeOne(refusing, ['CONFIG', 'SET', 'requirepass', 'another-password'], { password: PASSWORD });
    try {
      await cluster.connect();
      const started = performance.now();
      const error = await cluster.get(badKey).then(
        () => new Error('get() resolved'),
        (e: unknown) => e,
      );
      const ms = performance.now() - started;
      expect(String(error)).toMatch(/WRONGPASS/);
      expect(String(error)).not.toMatch(/redirected more than/);
      expect(ms).toBeLessThan(CONNECT_TIMEOUT_MS);
      expect(cluster.stats.connectionRetries).toBe(0);
      expect(await cluster.set(goodKey, 'fine')).toBe('OK');
    } finally {
      await cluster.close();
      await probeOne(refusing, ['CONFIG', 'SET', 'requirepass', PASSWORD], { password: 'another-password' });
    }
  });
});
