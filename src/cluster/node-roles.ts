/**
 * Each node's place in a slot map, as one comparable string: two snapshots disagreeing on a
 * node means its role or slots changed (a failover, a migration, a MOVED), so the client-side
 * cache its connection holds can no longer be trusted (topology.ts flushes it). Pure.
 */
import { nodeKey, type SlotMap } from './slot-map.js';

/** Each node's role and the slot ranges it serves or follows, keyed by node. */
export function nodeRoles(map: SlotMap): Map<string, string> {
  const out = new Map<string, string>();
  for (const { start, end, shard } of map.ranges()) {
    const primary = nodeKey(shard.primary);
    out.set(primary, `${out.get(primary) ?? 'primary'} ${start}-${end}`);
    for (const r of shard.replicas) {
      const key = nodeKey(r);
      out.set(key, `${out.get(key) ?? `replica of ${primary}`} ${start}-${end}`);
    }
  }
  return out;
}
