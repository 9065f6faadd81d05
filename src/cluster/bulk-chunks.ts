/**
 * How the cluster client sends one chunk of bulk() (batch/bulk.ts): planned once by plan.ts, its
 * per-node shares reported as the loads the window counts, then run by dispatch.ts like any
 * pipeline — first attempts per node, every redirect through redirect.ts (a write that may have
 * run is never sent again), replies merged in the chunk's order. A chunk whose plan has a slot
 * without an owner goes through runPipeline, which waits for the map to heal and plans again.
 */
import type { Command } from '../commands/command.js';
import { prefixCommands } from '../commands/key-prefix.js';
import type { BulkExecutor } from '../batch/bulk.js';
import { hasNoOwner, planOptions, runPipeline, runPlan } from './dispatch.js';
import { planBatch } from './plan.js';
import type { Topology } from './topology.js';

export function clusterBulkExecutor(topology: Topology): BulkExecutor {
  const node = topology.options.node;
  return {
    path: 'cluster',
    maxBatch: node.maxBatch,
    maxArgumentBytes: node.maxArgumentBytes,
    maxWindow: node.offlineQueue ? node.maxOfflineQueue : Number.POSITIVE_INFINITY,
    prepare(given: Command<unknown>[]) {
      const cmds = prefixCommands(given, node.keyPrefix);
      const plan = planBatch(cmds, topology.slotMap, planOptions(topology));
      const loads = plan.nodes.map((batch) => [batch.key, batch.commands.length] as const);
      return {
        loads,
        run: (answered) => (plan.assembly.some(hasNoOwner) ? runPipeline(topology, cmds) : runPlan(topology, cmds, plan, answered)),
      };
    },
  };
}
