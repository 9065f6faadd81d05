import { describe, it, expect } from 'vitest';
import { SlotMap, nodeKey, type ShardInfo } from '../../../src/cluster/slot-map.js';
import { keySlot } from '../../../src/cluster/slot.js';
import type { RespValue } from '../../../src/resp/types.js';
import { SHARDS_RESP2, SHARDS_RESP3, SLOTS_RESP2, SLOTS_RESP3 } from './fixtures.js';

const seed = { seedHost: '10.0.0.1' };
const A = '127.0.0.1:43407'; // slots 1-5460
const B = '127.0.0.1:38905'; // slots 0, 5461-10922
const C = '127.0.0.1:46655'; // slots 10923-16383

/** RESP3 plain objects → Maps, as a decoder with mapAs: 'map' returns them. */
function asMaps(v: RespValue): RespValue {
  if (Array.isArray(v)) return v.map(asMaps);
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v) && !(v instanceof Error) && !(v instanceof Set) && !(v instanceof Map)) {
    return new Map(Object.entries(v as Record<string, RespValue>).map(([k, x]) => [k, asMaps(x)]));
  }
  return v;
}

/** A comparable summary of a map: owner and replicas of a few slots. */
function summary(map: SlotMap): unknown {
  return [0, 1, 5460, 5461, 10922, 10923, 16383].map((slot) => {
    const shard = map.shardOf(slot)!;
    return [slot, nodeKey(shard.primary), shard.replicas.map(nodeKey)];
  });
}

describe('SlotMap.fromShards / fromSlots', () => {
  const variants: Array<[string, SlotMap]> = [
    ['SHARDS RESP3 (objects)', SlotMap.fromShards(SHARDS_RESP3, seed)],
    ['SHARDS RESP3 (Maps)', SlotMap.fromShards(asMaps(SHARDS_RESP3), seed)],
    ['SHARDS RESP2', SlotMap.fromShards(SHARDS_RESP2, seed)],
    ['SLOTS RESP3', SlotMap.fromSlots(SLOTS_RESP3, seed)],
    ['SLOTS RESP2', SlotMap.fromSlots(SLOTS_RESP2, seed)],
  ];

  it.each(variants)('%s: reads owners, replicas and coverage', (_, map) => {
    expect(map.isComplete()).toBe(true);
    expect(map.coveredSlots).toBe(16384);
    expect(nodeKey(map.primaryOf(0)!)).toBe(B);
    expect(nodeKey(map.primaryOf(1)!)).toBe(A);
    expect(nodeKey(map.primaryOf(5460)!)).toBe(A);
    expect(nodeKey(map.primaryOf(5461)!)).toBe(B);
    expect(nodeKey(map.primaryOf(keySlot('foo'))!)).toBe(C); // slot 12182
    expect(map.shardOf(0)!.replicas.map(nodeKey)).toEqual(['127.0.0.1:40853']);
    expect(map.shardOf(0)).toBe(map.shardOf(6000)); // one shard, two ranges
    expect(map.primaries().map(nodeKey).sort()).toEqual([A, B, C].sort());
    expect(map.nodes()).toHaveLength(6);
    expect(map.nodes().slice(0, 3).every((n) => n.role === 'primary')).toBe(true);
    expect(map.primaryOf(0)!.id).toBe('ac68825e5ce169563eb5d1f3e59430d049d6555b');
    expect(map.node('127.0.0.1:40853')?.role).toBe('replica');
    expect(map.node('127.0.0.1:1')).toBeUndefined();
  });

  it('all shapes describe the same cluster', () => {
    const expected = summary(variants[0]![1]);
    for (const [, map] of variants) expect(summary(map)).toEqual(expected);
  });

  it('keeps health from SHARDS', () => {
    const map = SlotMap.fromShards(SHARDS_RESP3, seed);
    expect(map.primaryOf(0)!.health).toBe('online');
  });

  it('lists ranges per shard', () => {
    const ranges = SlotMap.fromSlots(SLOTS_RESP2, seed).ranges().map((r) => [r.start, r.end, nodeKey(r.shard.primary)]);
    expect(ranges).toEqual([
      [0, 0, B],
      [1, 5460, A],
      [5461, 10922, B],
      [10923, 16383, C],
    ]);
  });

  it('uses the seed host for an empty host, and the ip for an unknown endpoint', () => {
    const slots = SlotMap.fromSlots(
      [
        [0, 100, ['', 7000, 'id1', []]],
        [101, 200, [null, 7001, 'id2', { ip: '10.0.0.2' }], ['?', 7002, 'id3', ['ip', '10.0.0.3']]],
        [201, 300, [null, 7003, 'id4', {}]],
      ],
      seed,
    );
    expect(nodeKey(slots.primaryOf(0)!)).toBe('10.0.0.1:7000');
    expect(nodeKey(slots.primaryOf(101)!)).toBe('10.0.0.2:7001');
    expect(nodeKey(slots.shardOf(101)!.replicas[0]!)).toBe('10.0.0.3:7002');
    expect(nodeKey(slots.primaryOf(201)!)).toBe('10.0.0.1:7003');
    expect(slots.isComplete()).toBe(false);
    expect(slots.primaryOf(301)).toBeUndefined();
    expect(slots.coveredSlots).toBe(301);

    // cluster-preferred-endpoint-type unknown-endpoint: SHARDS has endpoint '' and the ip.
    const shards = SlotMap.fromShards(
      [
        { slots: [0, 16383], nodes: [{ id: 'x', port: 7000, ip: '10.0.0.9', endpoint: '', role: 'master', health: 'online' }] },
      ],
      seed,
    );
    expect(nodeKey(shards.primaryOf(5)!)).toBe('10.0.0.9:7000');
    const bare = SlotMap.fromShards([{ slots: [0, 16383], nodes: [{ id: 'x', port: 7000, ip: '', endpoint: '', role: 'master' }] }], seed);
    expect(nodeKey(bare.primaryOf(5)!)).toBe('10.0.0.1:7000');
  });

  it('uses tls-port when asked', () => {
    const reply = [{ slots: [0, 16383], nodes: [{ id: 'x', port: 7000, 'tls-port': 7100, endpoint: 'h', role: 'master' }] }];
    expect(SlotMap.fromShards(reply, { ...seed, tls: true }).primaryOf(0)!.port).toBe(7100);
    expect(SlotMap.fromShards(reply, seed).primaryOf(0)!.port).toBe(7000);
  });

  it('applies the address mapper to every node', () => {
    const mapAddress = ({ host, port }: { host: string; port: number }) => ({ host: `nat-${host}`, port: port + 1 });
    const map = SlotMap.fromShards(SHARDS_RESP3, { ...seed, mapAddress });
    expect(nodeKey(map.primaryOf(0)!)).toBe('nat-127.0.0.1:38906');
    expect(nodeKey(map.shardOf(0)!.replicas[0]!)).toBe('nat-127.0.0.1:40854');
    // MOVED addresses are the server's too: mapped the same way.
    expect(nodeKey(map.withSlotMoved(0, { host: '127.0.0.1', port: 43407 }).primaryOf(0)!)).toBe('nat-127.0.0.1:43408');
  });

  it('ignores garbage', () => {
    expect(SlotMap.fromShards(null, seed).isComplete()).toBe(false);
    expect(SlotMap.fromSlots('nope', seed).primaries()).toEqual([]);
    expect(SlotMap.fromSlots([[0, 10]], seed).coveredSlots).toBe(0);
    expect(SlotMap.empty().primaryOf(0)).toBeUndefined();
  });
});

describe('SlotMap.withSlotMoved', () => {
  const base = SlotMap.fromShards(SHARDS_RESP3, seed);

  it('moves a slot to a known primary without touching the old snapshot', () => {
    const moved = base.withSlotMoved(12182, { host: '127.0.0.1', port: 43407 });
    expect(nodeKey(moved.primaryOf(12182)!)).toBe(A);
    expect(nodeKey(base.primaryOf(12182)!)).toBe(C);
    expect(moved.shardOf(12182)).toBe(base.shardOf(1)); // same shard object, replicas kept
    expect(moved.primaries()).toHaveLength(3);
    expect(nodeKey(moved.primaryOf(12183)!)).toBe(C);
  });

  it('creates a shard for an unknown address', () => {
    const moved = base.withSlotMoved(5, { host: '127.0.0.1', port: 9999 });
    expect(nodeKey(moved.primaryOf(5)!)).toBe('127.0.0.1:9999');
    expect(moved.primaryOf(5)!.id).toBe('');
    expect(moved.primaries()).toHaveLength(4);
    // A second MOVED to the same new node reuses its shard.
    const again = moved.withSlotMoved(6, { host: '127.0.0.1', port: 9999 });
    expect(again.shardOf(6)).toBe(again.shardOf(5));
    expect(again.primaries()).toHaveLength(4);
  });

  it('promotes a replica that the slot moved to (failover)', () => {
    const moved = base.withSlotMoved(0, { host: '127.0.0.1', port: 40853 });
    const shard = moved.shardOf(0)!;
    expect(nodeKey(shard.primary)).toBe('127.0.0.1:40853');
    expect(shard.primary.role).toBe('primary');
    expect(shard.primary.id).toBe('2e79bb9c87fd04a4eea0cf3c630a19a1aced68fe');
    expect(moved.shardOf(6000)!.replicas).toEqual([]);
    expect(moved.nodes().filter((n) => nodeKey(n) === '127.0.0.1:40853')).toHaveLength(1);
  });

  it('applies many moves with one copy and skips invalid slots', () => {
    const moves = Array.from({ length: 100 }, (_, i) => ({ slot: i, host: '127.0.0.1', port: 46655 }));
    const moved = base.withSlotsMoved([...moves, { slot: -1, host: 'x', port: 1 }, { slot: 16384, host: 'x', port: 1 }]);
    for (let i = 0; i < 100; i++) expect(nodeKey(moved.primaryOf(i)!)).toBe(C);
    expect(nodeKey(moved.primaryOf(100)!)).toBe(A);
    expect(moved.primaries()).toHaveLength(3);
  });

  it('fills a hole in an incomplete map', () => {
    const partial = SlotMap.fromSlots([[0, 16382, ['h', 1, 'a', []]]], seed);
    expect(partial.isComplete()).toBe(false);
    expect(partial.withSlotMoved(16383, { host: 'h', port: 1 }).isComplete()).toBe(true);
  });
});

describe('SlotMap.fromRanges / nodeKey', () => {
  it('builds from explicit ranges', () => {
    const shard: ShardInfo = { primary: { id: 'p', host: 'h', port: 1, role: 'primary' }, replicas: [] };
    const map = SlotMap.fromRanges([{ start: 0, end: 16383, shard }]);
    expect(map.isComplete()).toBe(true);
    expect(map.primaryOf(100)).toBe(shard.primary);
  });

  it('names nodes host:port, brackets around IPv6', () => {
    expect(nodeKey({ host: '127.0.0.1', port: 6379 })).toBe('127.0.0.1:6379');
    expect(nodeKey({ host: '::1', port: 6379 })).toBe('[::1]:6379');
    expect(nodeKey({ host: 'redis-0.local', port: 1 })).toBe('redis-0.local:1');
  });
});
