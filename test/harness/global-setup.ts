/**
 * Vitest global setup: starts ONE standalone server and ONE 3-primary, 1-replica-each
 * cluster for the whole run and hands their addresses to tests through `provide`
 * (read them with standaloneTarget() / clusterSeeds() from context.ts).
 *
 * RULE: the shared servers are for tests that leave them as they found them. A test that
 * kills, stops, restarts, freezes or fails over a server, changes the slot layout
 * (SETSLOT, MIGRATE), changes server config, or uses DEBUG commands that break things must
 * start its own servers with startStandalone() / startCluster() from servers.ts and stop
 * them in afterAll. Use unique key names (e.g. a random prefix) on the shared servers:
 * test files run in parallel.
 */
import type { TestProject } from 'vitest/node';
import { startCluster, startStandalone } from './servers.js';

export interface ProvidedEndpoint {
  host: string;
  port: number;
}

export interface ProvidedCluster {
  /** Every node; any one is a valid seed. */
  seeds: ProvidedEndpoint[];
  /** Roles at start-up; they stay so because nobody may fail over the shared cluster. */
  primaries: ProvidedEndpoint[];
  replicas: ProvidedEndpoint[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    standalone: ProvidedEndpoint;
    cluster: ProvidedCluster;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [standalone, cluster] = await Promise.allSettled([startStandalone(), startCluster()]);
  if (standalone.status === 'rejected' || cluster.status === 'rejected') {
    if (standalone.status === 'fulfilled') await standalone.value.stop();
    if (cluster.status === 'fulfilled') await cluster.value.stop();
    throw standalone.status === 'rejected' ? standalone.reason : (cluster as PromiseRejectedResult).reason;
  }
  const endpoint = (node: ProvidedEndpoint): ProvidedEndpoint => ({ host: node.host, port: node.port });
  project.provide('standalone', endpoint(standalone.value));
  project.provide('cluster', {
    seeds: cluster.value.seeds.map(endpoint),
    primaries: (await cluster.value.primaries()).map(endpoint),
    replicas: (await cluster.value.replicas()).map(endpoint),
  });
  return async () => {
    await Promise.all([standalone.value.stop(), cluster.value.stop()]);
  };
}
