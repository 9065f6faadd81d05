/**
 * A private 3-primary cluster (no replicas) with one client that has no periodic refresh, for the
 * tests that move slots: the client learns every move from the replies alone, so it meets them
 * all. Registers its own beforeAll/afterAll in the calling file or describe block.
 */
import { afterAll, beforeAll } from 'vitest';
import { createCluster, type Cluster } from '../../src/index.js';
import { startCluster, type ClusterHandle } from '../harness/servers.js';

export function usePrivateCluster(ready: (servers: ClusterHandle, cluster: Cluster) => void): void {
  let servers: ClusterHandle | undefined;
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    servers = await startCluster({ replicasPerPrimary: 0 });
    cluster = createCluster({ nodes: [servers.seeds[0]!], refreshInterval: 0 });
    await cluster.connect();
    ready(servers, cluster);
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
    await servers?.stop();
  });
}
