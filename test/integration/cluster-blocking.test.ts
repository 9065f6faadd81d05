/**
 * Issue 14 item 4 (blocking commands) in a cluster: a blocking command on the cluster's pooled
 * connection gets its own server timeout plus commandTimeout, as on the standalone client
 * (interface.test.ts); before, a node that stopped answering held it forever. A one-node cluster
 * of our own, so pausing it disturbs no other test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, TimeoutError, type Cluster } from '../../src/index.js';
import { startCluster, type ClusterHandle } from '../harness/cluster.js';
import { within } from '../harness/wait.js';

describe('cluster blocking commands are bounded', () => {
  let handle: ClusterHandle;
  let cluster: Cluster;
  beforeAll(async () => {
    handle = await startCluster({ primaries: 1, replicasPerPrimary: 0 });
    cluster = createCluster({ nodes: [...handle.seeds], commandTimeout: 300 });
    await cluster.connect();
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
    await handle?.stop();
  });

  it('BLPOP gets its server timeout plus commandTimeout while the node is paused', async () => {
    // A pooled connection exists before the pause (opening one would wait for it).
    expect(await cluster.blpop('blocking:warm', 0.01)).toBeNull();
    // For 3 s the node runs no client command: BLPOP's own 0.2 s cannot fire, so the client's must.
    expect(await cluster.call('CLIENT', 'PAUSE', 3000, 'ALL')).toBe('OK');
    const started = Date.now();
    const err = await within(cluster.blpop('blocking:never', 0.2), 5000, 'blpop while the node is paused').catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(2500);
    // After the pause the cluster serves again (the timed-out connection was replaced).
    expect(await within(cluster.blpop('blocking:after', 0.01), 10_000, 'blpop after the pause')).toBeNull();
  });
});
