/**
 * How a set of keys spreads over slots and nodes: the quick way to spot a low-cardinality hash
 * tag that pins most of the traffic to one slot (and so one node, however many you add).
 * Pure: keys and a slot map in, counts out.
 */
import type { RedisArg } from '../resp/types.js';
import { keySlot } from './slot.js';
import { nodeKey, type SlotMap } from './slot-map.js';

/** What `cluster.keySpread(keys)` reports: how keys spread over slots and primaries. */
export interface KeySpread {
  readonly total: number;
  /** Slots holding at least one of the keys, busiest first. `node` is '' when the slot has no known owner. */
  readonly slots: ReadonlyArray<{ readonly slot: number; readonly count: number; readonly node: string }>;
  /** Primaries holding at least one of the keys, busiest first. */
  readonly nodes: ReadonlyArray<{ readonly node: string; readonly count: number }>;
  /** Share of the keys in the busiest slot, 0..1: near 1 means one hash tag carries everything. */
  readonly hottestShare: number;
}

export function keySpread(keys: Iterable<RedisArg>, slotMap: SlotMap): KeySpread {
  const bySlot = new Map<number, number>();
  let total = 0;
  for (const key of keys) {
    const slot = keySlot(key);
    bySlot.set(slot, (bySlot.get(slot) ?? 0) + 1);
    total++;
  }
  const byNode = new Map<string, number>();
  const slots = [...bySlot].map(([slot, count]) => {
    const owner = slotMap.primaryOf(slot);
    const node = owner === undefined ? '' : nodeKey(owner);
    if (node !== '') byNode.set(node, (byNode.get(node) ?? 0) + count);
    return { slot, count, node };
  });
  slots.sort((a, b) => b.count - a.count || a.slot - b.slot);
  const nodes = [...byNode].map(([node, count]) => ({ node, count })).sort((a, b) => b.count - a.count);
  return { total, slots, nodes, hottestShare: total === 0 ? 0 : slots[0]!.count / total };
}
