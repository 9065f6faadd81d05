/**
 * Issue 14 item 4: a command the generated table does not know is routed by the keys the server
 * names (COMMAND GETKEYS), asked once per command name and argument count. A cluster of our own
 * whose APPEND is renamed LEARNAPPEND stands in for a module command: the server knows its keys,
 * the table does not. Without the lookup two of three calls would meet a MOVED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createClient, createCluster, ReplyError, type Cluster } from '../../src/index.js';
import { startCluster, type ClusterHandle } from '../harness/cluster.js';

describe('commands the table does not know, in a cluster', () => {
  let handle: ClusterHandle;
  let cluster: Cluster;
  beforeAll(async () => {
    handle = await startCluster({ primaries: 3, replicasPerPrimary: 0, args: ['--rename-command', 'APPEND', 'LEARNAPPEND'] });
    cluster = createCluster({ nodes: [...handle.seeds] });
    await cluster.connect();
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await handle?.stop();
  });

  /** COMMAND GETKEYS calls over every node (INFO commandstats). */
  async function getkeysCalls(): Promise<number> {
    let total = 0;
    for (const node of handle.nodes) {
      const c = createClient({ port: node.port, reconnect: false });
      const stats = String(await c.call('INFO', 'commandstats'));
      await c.close();
      total += Number(/cmdstat_command\|getkeys:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    }
    return total;
  }

  it('routes it to the owner of its key, single and in a pipeline, asking GETKEYS once per argument count', async () => {
    const keys = Array.from({ length: 24 }, (_, i) => `learn:${randomUUID()}:${i}`);
    const owners = new Set(keys.map((k) => cluster.nodeFor(k)?.port));
    expect(owners.size).toBeGreaterThan(1);
    const before = { moved: cluster.stats.moved, getkeys: await getkeysCalls() };
    for (const key of keys.slice(0, 12)) expect(await cluster.call('LEARNAPPEND', key, 'a')).toBe(1);
    const p = cluster.pipeline();
    for (const key of keys.slice(12)) p.call('LEARNAPPEND', key, 'b');
    expect(await p.exec()).toEqual(keys.slice(12).map(() => 1));
    expect(cluster.stats.moved - before.moved).toBe(0);
    expect((await getkeysCalls()) - before.getkeys).toBe(1);
    expect(await cluster.mget(...keys)).toEqual(keys.map((_, i) => (i < 12 ? 'a' : 'b')));
    await cluster.del(...keys);
  });

  it('a command no server knows is still answered by the server, and asked about once', async () => {
    const before = await getkeysCalls();
    for (let i = 0; i < 3; i++) {
      const error = await cluster.call('NOSUCHCOMMAND', 'k').then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ReplyError);
    }
    // The server's "Invalid command specified" is kept: one GETKEYS for three calls.
    expect((await getkeysCalls()) - before).toBe(1);
  });
});
