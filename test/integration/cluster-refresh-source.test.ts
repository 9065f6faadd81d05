/**
 * A refresh asks a node the client already holds a ready connection to (issue 15, scale): no
 * dial and no handshake per refresh, and no extra connection for the servers. Read on the shared
 * cluster through each node's own CLUSTER SHARDS call counter; the cluster is left as found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, keySlot, type Cluster } from '../../src/index.js';
import { clusterSeeds } from '../harness/context.js';
import { redisCli } from '../harness/servers.js';

async function shardsCalls(port: number): Promise<number> {
  const info = await redisCli(port, 'INFO', 'commandstats');
  return Number(/cmdstat_cluster\|shards:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

describe('topology refresh source', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = createCluster({ nodes: clusterSeeds(), refreshInterval: 0 });
    await cluster.connect();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('reads CLUSTER SHARDS from the node it is connected to, not from the first primary listed', async () => {
    const first = cluster.slotMap.shards()[0]!.primary;
    // A key owned by another primary: the client's only node connection goes there.
    let key = '';
    for (let i = 0; key === ''; i++) if (cluster.slotMap.primaryOf(keySlot(`src:${i}`))!.port !== first.port) key = `src:${i}`;
    const owner = cluster.slotMap.primaryOf(keySlot(key))!;
    expect(await cluster.set(key, 'v')).toBe('OK');
    const before = await shardsCalls(owner.port);
    for (let i = 0; i < 5; i++) await cluster.refresh();
    expect((await shardsCalls(owner.port)) - before).toBeGreaterThanOrEqual(5);
    expect(await cluster.get(key)).toBe('v');
    await cluster.del(key);
  });
});
