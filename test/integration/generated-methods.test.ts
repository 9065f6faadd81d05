/**
 * Issue 14 item 4 on real servers: the generated methods (src/commands/methods.generated.ts)
 * send the server's own syntax on every executor — client, cluster, pipeline, multi — with
 * keys routed and prefixed from the command table, and a command the server does not know (a
 * Valkey-only one on Redis) fails alone with a ReplyError while the connection keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createClient, createCluster, ReplyError, type Client, type Cluster } from '../../src/index.js';
import { clusterSeeds, standaloneTarget } from '../harness/context.js';
import { defaultFlavour } from '../harness/flavour.js';

describe('issue 14 item 4: generated methods (standalone)', () => {
  const id = randomUUID();
  let client: Client;
  let prefixed: Client;
  beforeAll(async () => {
    const { host, port } = standaloneTarget();
    client = createClient({ host, port });
    prefixed = createClient({ host, port, keyPrefix: `gen:${id}:` });
    await Promise.all([client.connect(), prefixed.connect()]);
  });
  afterAll(async () => {
    await Promise.all([client?.close(), prefixed?.close()]);
  });

  it('named parameters and the server syntax in the rest parameter', async () => {
    const list = `gen:${id}:list`;
    await client.rpush(list, 'a', 'b', 'c', 'b', 'b');
    expect(await client.lpos(list, 'b')).toBe(1);
    expect(await client.lpos(list, 'b', 'RANK', 2)).toBe(3);
    expect(await client.lpos(list, 'b', 'COUNT', 0)).toEqual([1, 3, 4]);
    expect(await client.objectEncoding(list)).toMatch(/listpack|quicklist|ziplist/);
    const counter = `gen:${id}:bits`;
    expect(await client.bitfield(counter, 'INCRBY', 'u8', 0, 200, 'GET', 'u8', 0)).toEqual([200, 200]);
    expect(await client.getex(counter, 'PX', 60_000)).not.toBeNull();
    expect(await client.pttl(counter)).toBeGreaterThan(0);
  });

  it('a typed rest parameter of keys, and keyPrefix on every key the table knows', async () => {
    await prefixed.set('k1', '1');
    await prefixed.set('k2', '2');
    expect(await prefixed.touch('k1', 'k2', 'missing')).toBe(2);
    expect(await prefixed.copy('k1', 'k3')).toBe(1);
    expect(await client.get(`gen:${id}:k3`)).toBe('1');
    expect(await prefixed.objectEncoding('k1')).toBe('int');
  });

  it('in pipeline() and multi(), replies in place', async () => {
    const k = `gen:${id}:p`;
    expect(await client.pipeline().set(k, 'v').objectEncoding(k).strlen(k).exec()).toEqual(['OK', 'embstr', 1]);
    expect(await client.multi().lpos(`gen:${id}:nolist`, 'x').objectFreq(k).exec()).toEqual([null, expect.any(ReplyError)]);
  });

  it('a command the server does not know fails alone; the connection keeps serving', async () => {
    const k = `gen:${id}:alone`;
    const [bad, good] = await Promise.allSettled([client.clusterMyshardid(), client.set(k, 'still')]);
    if (defaultFlavour() === 'redis') expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(ReplyError);
    else expect((bad as PromiseRejectedResult).reason.message).toMatch(/cluster support disabled/i);
    expect(good).toEqual({ status: 'fulfilled', value: 'OK' });
    expect(await client.get(k)).toBe('still');
  });
});

describe('issue 14 item 4: generated methods (cluster)', () => {
  const id = randomUUID();
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = createCluster({ nodes: clusterSeeds() });
    await cluster.connect();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('keys route to their slot, keyless commands go to a node, batches span nodes', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `gen:${id}:${i}`);
    for (const k of keys) await cluster.rpush(k, 'x', 'y');
    for (const k of keys) expect(await cluster.lpos(k, 'y')).toBe(1);
    expect(String(await cluster.clusterInfo())).toMatch(/cluster_state:ok/);
    const p = cluster.pipeline();
    for (const k of keys) p.objectEncoding(k);
    for (const encoding of await p.exec()) expect(encoding).toMatch(/^(listpack|quicklist)$/);
  });
});

describe('issue 14 item 4: hand-written replies where the generic one is wrong', () => {
  it('clientList() and clientInfo() give one record per connection', async () => {
    const { host, port } = standaloneTarget();
    const name = `gen-${randomUUID().slice(0, 8)}`;
    const client = createClient({ host, port, name });
    try {
      const me = await client.clientInfo();
      expect(me.name).toBe(name);
      expect(Number(me.id)).toBeGreaterThan(0);
      const all = await client.clientList('TYPE', 'normal');
      expect(all.find((c) => c.id === me.id)?.name).toBe(name);
      expect(await client.pipeline().clientInfo().exec()).toEqual([expect.objectContaining({ id: me.id, name })]);
    } finally {
      await client.close();
    }
  });
});
