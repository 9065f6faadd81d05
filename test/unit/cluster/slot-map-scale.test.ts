/**
 * withSlotsMoved on large maps (issue 15, bench/src/scale): one round's MOVED replies are applied
 * with addresses looked up once per call. These pin the behaviour the lookup must keep: the
 * first matching shard wins, a new address becomes one shard however many moves name it, a
 * promoted replica leaves its old shard once and then takes further moves as a primary.
 */
import { describe, expect, it } from 'vitest';
import { SlotMap, nodeKey, type ShardInfo } from '../../../src/cluster/slot-map.js';

function bigMap(nodes: number, replicas = 0): SlotMap {
  const per = Math.floor(16384 / nodes);
  return SlotMap.fromRanges(
    Array.from({ length: nodes }, (_, i) => ({
      start: i * per,
      end: i === nodes - 1 ? 16383 : (i + 1) * per - 1,
      shard: {
        primary: { id: `p${i}`, host: '10.0.0.1', port: 10000 + i, role: 'primary' },
        replicas: Array.from({ length: replicas }, (_, r) => ({ id: `r${i}-${r}`, host: '10.0.0.2', port: 20000 + i * 10 + r, role: 'replica' })),
      } satisfies ShardInfo,
    })),
  );
}

describe('SlotMap.withSlotsMoved at scale', () => {
  it('applies 1,000 moves over 1,000 primaries to the named primaries, adding no shard', () => {
    const map = bigMap(1000);
    const moves = Array.from({ length: 1000 }, (_, i) => ({ slot: i * 16, host: '10.0.0.1', port: 10000 + ((i * 7) % 1000) }));
    const moved = map.withSlotsMoved(moves);
    for (const m of moves) expect(moved.primaryOf(m.slot)?.port).toBe(m.port);
    expect(moved.shards()).toHaveLength(1000);
    expect(moved.primaryOf(1)).toBe(map.primaryOf(1));
    expect(map.primaryOf(16)?.port).toBe(10001); // the old snapshot is untouched
  });

  it('makes one shard for an unknown address named by many moves', () => {
    const map = bigMap(100);
    const moved = map.withSlotsMoved([0, 500, 9000].map((slot) => ({ slot, host: '10.9.9.9', port: 7000 })));
    expect(moved.shards()).toHaveLength(101);
    expect(new Set([0, 500, 9000].map((s) => moved.shardOf(s)))).toHaveProperty('size', 1);
    expect(moved.primaryOf(0)).toMatchObject({ id: '', host: '10.9.9.9', port: 7000, role: 'primary' });
  });

  it('promotes a replica once; later moves in the same call go to the promoted node', () => {
    const map = bigMap(50, 2);
    const replica = map.shards()[30]!.replicas[1]!;
    const moved = map.withSlotsMoved([
      { slot: 0, host: replica.host, port: replica.port },
      { slot: 1, host: replica.host, port: replica.port },
    ]);
    expect(moved.shards()).toHaveLength(51);
    expect(moved.shardOf(0)).toBe(moved.shardOf(1));
    expect(moved.primaryOf(0)).toMatchObject({ id: replica.id, role: 'primary' });
    expect(moved.shards()[30]!.replicas.map(nodeKey)).toEqual([nodeKey(map.shards()[30]!.replicas[0]!)]);
    expect(moved.nodes().filter((n) => nodeKey(n) === nodeKey(replica))).toHaveLength(1);
  });

  it('takes an address that is both a primary and, stale, a replica elsewhere as the primary', () => {
    const map = SlotMap.fromRanges([
      { start: 0, end: 8191, shard: { primary: { id: 'a', host: 'h', port: 1, role: 'primary' }, replicas: [{ id: 'b', host: 'h', port: 2, role: 'replica' }] } },
      { start: 8192, end: 16383, shard: { primary: { id: 'b', host: 'h', port: 2, role: 'primary' }, replicas: [] } },
    ]);
    const moved = map.withSlotsMoved([{ slot: 0, host: 'h', port: 2 }]);
    expect(moved.shards()).toHaveLength(2);
    expect(moved.shardOf(0)).toBe(moved.shardOf(8192));
  });
});
