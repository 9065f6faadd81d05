/**
 * The scenarios in the order they run; their ids are what `--only` takes.
 */
import type { Scenario } from './common.js';
import { clusterBatch, delayedCluster } from './cluster.js';
import { codec } from './codec.js';
import { memory } from './memory.js';
import { bulk } from './bulk.js';
import { pubsub } from './pubsub.js';
import { bigValues, inFlight, pipelines, serialSet } from './standalone.js';
import { caching } from './caching.js';

export const SCENARIOS: readonly Scenario[] = [serialSet, inFlight, pipelines, bigValues, clusterBatch, delayedCluster, codec, memory, bulk, caching, pubsub];
