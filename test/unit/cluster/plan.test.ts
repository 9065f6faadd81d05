import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { planBatch, splitMultiKey, type BatchPlan, type NodeBatch } from '../../../src/cluster/plan.js';
import { MergeState, mergeReplies, type Reply } from '../../../src/cluster/merge.js';
import { SlotMap, nodeKey, type NodeInfo, type ShardInfo } from '../../../src/cluster/slot-map.js';
import { keySlot } from '../../../src/cluster/slot.js';
import { commandKeys } from '../../../src/commands/keys.js';
import { ClusterError, CrossSlotError, ReplyError } from '../../../src/errors.js';
import type { RedisArg } from '../../../src/resp/types.js';
import { SHARDS_RESP3 } from './fixtures.js';

type Cmd = { name: string; args: RedisArg[] };
const cmd = (line: string): Cmd => {
  const [name, ...args] = line.split(' ');
  return { name: name!, args };
};

const slotMap = SlotMap.fromShards(SHARDS_RESP3, { seedHost: '127.0.0.1' });
const A = '127.0.0.1:43407'; // slots 1-5460       (bar: 5061)
const B = '127.0.0.1:38905'; // slots 0, 5461-10922 ({user1}: 8106)
const C = '127.0.0.1:46655'; // slots 10923-16383  (foo: 12182)

/**
 * A fake cluster: answers each command the way a server would, and refuses (MOVED) any command
 * that reached a node not owning its keys — so a routing mistake shows up as a wrong result.
 */
function serve(batch: NodeBatch, map: SlotMap = slotMap): Reply[] {
  return batch.commands.map((c, i) => {
    const keys = commandKeys(c.name, c.args);
    for (const k of keys) {
      const slot = keySlot(k);
      if (slot !== batch.slots[i] || nodeKey(map.primaryOf(slot)!) !== batch.key) {
        return new ReplyError(`MOVED ${slot} ${nodeKey(map.primaryOf(slot)!)}`);
      }
    }
    switch (c.name) {
      case 'MGET':
        return c.args.map((k) => `v:${String(k)}`);
      case 'DEL':
      case 'EXISTS':
      case 'TOUCH':
      case 'UNLINK':
        return c.args.length;
      case 'MSET':
        return 'OK';
      case 'DBSIZE':
        return 1;
      case 'KEYS':
        return [batch.key];
      case 'PING':
        return 'PONG';
      case 'INCR':
        return String(c.args[0]).startsWith('err') ? new ReplyError('ERR value is not an integer or out of range') : 1;
      default:
        return String(c.args[c.args.length - 1]);
    }
  });
}

/** What a single server holding every key would answer, computed without the planner. */
function expected(c: Cmd): Reply | { error: typeof CrossSlotError | typeof ClusterError | typeof ReplyError } {
  const keys = commandKeys(c.name, c.args);
  const sameSlot = keys.every((k) => keySlot(k) === keySlot(keys[0]!));
  switch (c.name) {
    case 'MGET':
      return c.args.map((k) => `v:${String(k)}`);
    case 'DEL':
    case 'EXISTS':
    case 'TOUCH':
    case 'UNLINK':
      return c.args.length;
    case 'MSET':
      return 'OK';
    case 'DBSIZE':
      return 3;
    case 'KEYS':
      return slotMap.primaries().map(nodeKey);
    case 'PING':
      return 'PONG';
    case 'SCAN':
      return { error: ClusterError };
    case 'INCR':
      return String(c.args[0]).startsWith('err') ? { error: ReplyError } : 1;
    default:
      return sameSlot ? String(c.args[c.args.length - 1]) : { error: CrossSlotError };
  }
}

function check(commands: readonly Cmd[], results: readonly Reply[]): void {
  expect(results).toHaveLength(commands.length);
  for (let i = 0; i < commands.length; i++) {
    const want = expected(commands[i]!);
    const got = results[i];
    if (want !== null && typeof want === 'object' && 'error' in want) {
      expect(got, `#${i} ${commands[i]!.name}`).toBeInstanceOf(want.error);
    } else {
      expect(got, `#${i} ${commands[i]!.name} ${commands[i]!.args.join(' ')}`).toEqual(want);
    }
  }
}

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBatch(n: number, seed: number): Cmd[] {
  const rand = rng(seed);
  const int = (k: number): number => Math.floor(rand() * k);
  const key = (): string => (rand() < 0.3 ? `{t${int(4)}}k${int(50)}` : `k${int(1000)}`);
  const keys = (max: number): string[] => Array.from({ length: 1 + int(max) }, key);
  const out: Cmd[] = [];
  for (let i = 0; i < n; i++) {
    const r = int(15);
    const tag = String(i);
    if (r === 0) out.push({ name: 'SET', args: [key(), tag] });
    else if (r === 1) out.push({ name: 'HSET', args: [key(), 'f', tag] });
    else if (r === 2) out.push({ name: 'GET', args: [key()] });
    else if (r === 3) out.push({ name: 'ECHO', args: [tag] });
    else if (r === 4) out.push({ name: 'PING', args: [] });
    else if (r === 5) out.push({ name: 'MGET', args: keys(6) });
    else if (r === 6) out.push({ name: 'MSET', args: keys(4).flatMap((k) => [k, tag]) });
    else if (r === 7) out.push({ name: ['DEL', 'EXISTS', 'TOUCH', 'UNLINK'][int(4)]!, args: keys(5) });
    else if (r === 8) out.push(rand() < 0.5 ? { name: 'DBSIZE', args: [] } : { name: 'KEYS', args: ['*'] });
    else if (r === 9) out.push({ name: 'SUNION', args: keys(3) });
    else if (r === 10) out.push({ name: 'INCR', args: [rand() < 0.5 ? `err${int(100)}` : key()] });
    else if (r === 11) out.push({ name: 'SCAN', args: ['0'] });
    else if (r === 12) {
      const ks = keys(3);
      out.push({ name: 'EVAL', args: ['return 1', ks.length, ...ks, tag] });
    } else out.push({ name: 'LPUSH', args: [key(), tag] });
  }
  return out;
}

function runPlan(plan: BatchPlan, order: readonly number[], retry: (i: number) => boolean): Reply[] {
  const state = new MergeState(plan);
  for (const n of order) {
    const batch = plan.nodes[n]!;
    const replies = serve(batch);
    for (let i = 0; i < replies.length; i++) {
      // A redirected entry first stores the MOVED error, then the reply of its retry.
      if (retry(i)) state.set(batch.refs[i]!, new ReplyError('MOVED 1 127.0.0.1:1'));
    }
    state.setNode(batch, replies);
  }
  expect(state.complete).toBe(true);
  expect(state.missing).toBe(0);
  return state.result();
}

describe('planBatch + merge', () => {
  it('puts 10,000 random commands back in order', () => {
    const commands = randomBatch(10_000, 42);
    const plan = planBatch(commands, slotMap);
    expect(plan.total).toBe(10_000);
    expect(plan.assembly).toHaveLength(10_000);
    expect(plan.nodes.map((n) => n.key).sort()).toEqual([A, B, C].sort());
    for (const n of plan.nodes) {
      expect(n.refs).toHaveLength(n.commands.length);
      expect(n.slots).toHaveLength(n.commands.length);
    }
    const order = [2, 0, 1].filter((i) => i < plan.nodes.length);
    const rand = rng(7);
    check(commands, runPlan(plan, order, () => rand() < 0.05));
    check(commands, mergeReplies(plan, new Map(plan.nodes.map((n) => [n.key, serve(n)]))));
  });

  it('keeps order for any batch and any node order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer(), fc.boolean(), (n, seed, reverse) => {
        const commands = randomBatch(n, seed);
        const plan = planBatch(commands, slotMap);
        const order = plan.nodes.map((_, i) => i);
        if (reverse) order.reverse();
        check(commands, runPlan(plan, order, () => false));
      }),
      { numRuns: 60 },
    );
  });

  it('lays out a small batch as the module comment draws it', () => {
    const commands = [cmd('GET foo'), cmd('MGET foo bar {user1}:x'), cmd('DBSIZE'), cmd('SUNION foo bar'), cmd('PING')];
    const plan = planBatch(commands, slotMap);
    const byKey = new Map(plan.nodes.map((n) => [n.key, n]));
    expect(plan.nodes[0]!.key).toBe(C); // first used by GET foo
    expect(byKey.get(C)!.commands.map((c) => `${c.name} ${c.args.join(' ')}`.trim())).toEqual(['GET foo', 'MGET foo', 'DBSIZE', 'PING']);
    expect(byKey.get(C)!.refs).toEqual([
      { kind: 'whole', index: 0 },
      { kind: 'part', index: 1, part: 0 },
      { kind: 'part', index: 2, part: expect.any(Number) },
      { kind: 'whole', index: 4 },
    ]);
    expect(byKey.get(C)!.commands[0]).toBe(commands[0]); // whole commands are not copied
    expect(byKey.get(C)!.slots).toEqual([12182, 12182, -1, -1]);
    expect(byKey.get(A)!.commands.map((c) => c.args.join(' '))).toEqual(['bar', '']);
    expect(byKey.get(B)!.commands.map((c) => c.args.join(' '))).toEqual(['{user1}:x', '']);
    expect(plan.assembly[0]).toEqual({ kind: 'whole' });
    expect(plan.assembly[1]).toMatchObject({ kind: 'split', keyCount: 3, response: undefined });
    const split = plan.assembly[1]!;
    expect(split.kind === 'split' && split.parts.map((p) => [p.slot, p.keyOrdinals])).toEqual([
      [12182, [0]],
      [keySlot('bar'), [1]],
      [8106, [2]],
    ]);
    expect(plan.assembly[2]).toEqual({ kind: 'fan-out', response: 'agg_sum', nodes: slotMap.primaries().map(nodeKey) });
    expect(plan.assembly[3]).toMatchObject({ kind: 'refused', reason: 'cross-slot' });
    const refused = plan.assembly[3]!;
    expect(refused.kind === 'refused' && refused.error).toBeInstanceOf(CrossSlotError);
  });

  it('reassembles a split MGET in key order and keeps errors at their index', () => {
    const commands = [cmd('INCR err1'), cmd('MGET bar foo {user1}:x foo2 {user1}:y bar'), cmd('SET foo 1')];
    const plan = planBatch(commands, slotMap);
    const results = mergeReplies(plan, new Map(plan.nodes.map((n) => [n.key, serve(n)])));
    expect(results[0]).toBeInstanceOf(ReplyError);
    expect(results[1]).toEqual(['v:bar', 'v:foo', 'v:{user1}:x', 'v:foo2', 'v:{user1}:y', 'v:bar']);
    expect(results[2]).toBe('1');
  });

  it('fails a split command whose part failed, and every entry of a node that failed', () => {
    const commands = [cmd('MGET foo bar'), cmd('GET bar'), cmd('GET foo'), cmd('DEL foo bar')];
    const plan = planBatch(commands, slotMap);
    const down = new ClusterError('connection to A lost');
    const replies = new Map(plan.nodes.map((n) => [n.key, n.key === A ? down : serve(n)] as const));
    const results = mergeReplies(plan, replies);
    expect(results[0]).toBe(down);
    expect(results[1]).toBe(down);
    expect(results[2]).toBe('foo');
    expect(results[3]).toBe(down);
  });

  it('marks entries without a reply instead of leaving holes', () => {
    const plan = planBatch([cmd('GET foo'), cmd('GET bar')], slotMap);
    const state = new MergeState(plan);
    state.setNode(plan.nodes.find((n) => n.key === C)!, ['x']);
    expect(state.complete).toBe(false);
    expect(state.missing).toBe(1);
    expect(state.get({ kind: 'whole', index: 0 })).toBe('x');
    expect(state.get({ kind: 'whole', index: 1 })).toBeUndefined();
    const [first, second] = state.result();
    expect(first).toBe('x');
    expect(second).toBeInstanceOf(ClusterError);
    expect(() => state.set({ kind: 'part', index: 0, part: 0 }, 1)).toThrow(RangeError);
    expect(() => state.set({ kind: 'whole', index: 5 }, 1)).toThrow(RangeError);
  });

  it('sends read-only commands to the replica readFrom picks', () => {
    const readFrom = (shard: ShardInfo): NodeInfo => shard.replicas[0]!;
    const plan = planBatch([cmd('GET foo'), cmd('SET foo 1'), cmd('MGET foo bar')], slotMap, { readOnlyToReplica: true, readFrom });
    const replicaOfC = nodeKey(slotMap.shardOf(12182)!.replicas[0]!);
    const onReplica = plan.nodes.find((n) => n.key === replicaOfC)!;
    // The split MGET's part for C's slot is a read too: it goes to the replica with GET.
    expect(onReplica.commands.map((c) => c.name)).toEqual(['GET', 'MGET']);
    expect(plan.nodes.find((n) => n.key === C)!.commands.map((c) => c.name)).toEqual(['SET']);
    // No MGET part went to any primary.
    for (const p of slotMap.primaries()) expect(plan.nodes.find((n) => n.key === nodeKey(p))?.commands.map((c) => c.name) ?? []).not.toContain('MGET');
    // Without readFrom the primary serves reads.
    expect(planBatch([cmd('GET foo')], slotMap, { readOnlyToReplica: true }).nodes[0]!.key).toBe(C);
  });

  it('sends keyless commands to anyNode, else a node the batch already uses, else the first primary', () => {
    expect(planBatch([cmd('PING')], slotMap).nodes[0]!.key).toBe(nodeKey(slotMap.primaries()[0]!));
    expect(planBatch([cmd('GET bar'), cmd('PING')], slotMap).nodes.map((n) => n.key)).toEqual([A]);
    const plan = planBatch([cmd('GET bar'), cmd('PING')], slotMap, { anyNode: { host: '127.0.0.1', port: 46655 } });
    expect(plan.nodes.map((n) => n.key)).toEqual([A, C]);
    expect(plan.nodes[1]!.node).toBe(slotMap.node(C));
  });

  it('refuses what has no owner or cannot be batched', () => {
    const partial = SlotMap.fromSlots([[0, 10000, ['h', 1, 'a', []]]], { seedHost: 'h' });
    const plan = planBatch([cmd('GET foo'), cmd('GET bar'), cmd('MGET bar foo'), cmd('SCAN 0')], partial);
    expect(plan.assembly.map((a) => (a.kind === 'refused' ? a.reason : a.kind))).toEqual(['no-owner', 'whole', 'no-owner', 'unsupported']);
    expect(plan.nodes).toHaveLength(1);
    expect(plan.nodes[0]!.commands).toHaveLength(1);
    const empty = planBatch([cmd('PING'), cmd('DBSIZE')], SlotMap.empty());
    expect(empty.assembly.map((a) => a.kind)).toEqual(['refused', 'refused']);
    expect(empty.nodes).toEqual([]);
    const results = new MergeState(plan).result();
    expect(results[0]).toBeInstanceOf(ClusterError);
    expect(results[3]).toBeInstanceOf(ClusterError);
  });

  it('fans out to every node for all_nodes commands', () => {
    const plan = planBatch([cmd('SCRIPT FLUSH'), cmd('SLOWLOG LEN')], slotMap);
    expect(plan.nodes).toHaveLength(6);
    const state = new MergeState(plan);
    for (const n of plan.nodes) state.setNode(n, n.commands.map((c) => (c.name === 'SCRIPT' ? 'OK' : 2)));
    expect(state.result()).toEqual(['OK', 12]);
  });
});

describe('splitMultiKey', () => {
  it('splits per slot, keeping each key with the arguments it carries', () => {
    const parts = splitMultiKey(cmd('MSET foo 1 bar 2 {user1}:a 3 foo2 4'), slotMap)!;
    expect(parts.map((p) => [p.command.name, p.command.args, p.keyOrdinals, p.slot])).toEqual([
      ['MSET', ['foo', '1'], [0], 12182],
      ['MSET', ['bar', '2'], [1], keySlot('bar')],
      ['MSET', ['{user1}:a', '3'], [2], 8106],
      ['MSET', ['foo2', '4'], [3], keySlot('foo2')],
    ]);
    expect(parts.map((p) => nodeKey(p.node!))).toEqual([C, A, B, nodeKey(slotMap.primaryOf(keySlot('foo2'))!)]);
  });

  it('groups keys of one slot into one part', () => {
    const parts = splitMultiKey(cmd('DEL {a}1 b {a}2 {a}3 b'))!;
    expect(parts.map((p) => [p.command.args, p.keyOrdinals])).toEqual([
      [['{a}1', '{a}2', '{a}3'], [0, 2, 3]],
      [['b', 'b'], [1, 4]],
    ]);
    expect(parts[0]!.node).toBeUndefined(); // no slot map given
  });

  it('leaves single-slot and non-splittable commands alone', () => {
    expect(splitMultiKey(cmd('MGET {a}1 {a}2'), slotMap)).toBeUndefined();
    expect(splitMultiKey(cmd('SUNION a b'), slotMap)).toBeUndefined();
    expect(splitMultiKey(cmd('GET a'), slotMap)).toBeUndefined();
  });
});
