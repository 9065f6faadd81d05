/**
 * What a test file reads about the shared servers started by global-setup.ts. Thin
 * wrappers over vitest's inject(), so tests need not know the provide keys. Only for tests
 * that leave the servers as they found them (see the rule in global-setup.ts).
 */
import { inject } from 'vitest';
import type { ProvidedCluster, ProvidedEndpoint } from './global-setup.js';

/** The shared standalone server. */
export function standaloneTarget(): ProvidedEndpoint {
  return inject('standalone');
}

/** Every node of the shared cluster; any one is a valid seed. */
export function clusterSeeds(): ProvidedEndpoint[] {
  return inject('cluster').seeds;
}

/** The shared cluster with its roles at start-up. */
export function clusterTarget(): ProvidedCluster {
  return inject('cluster');
}
