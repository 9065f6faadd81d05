import { describe, it, expect } from 'vitest';
import { aggregate, MergeState } from '../../../src/cluster/merge.js';
import { planBatch } from '../../../src/cluster/plan.js';
import { SlotMap } from '../../../src/cluster/slot-map.js';
import { ClusterError, ReplyError } from '../../../src/errors.js';
import { SHARDS_RESP3 } from './fixtures.js';

const err = (m: string): ReplyError => new ReplyError(m);

describe('aggregate (response policies)', () => {
  it('agg_sum adds numbers, bigints and arrays element-wise', () => {
    expect(aggregate('agg_sum', [1, 2, 3])).toBe(6);
    expect(aggregate('agg_sum', [1, 2n])).toBe(3n);
    expect(aggregate('agg_sum', [[1, 2], [3, 4]])).toEqual([4, 6]);
    expect(aggregate('agg_sum', [5])).toBe(5);
  });

  it('agg_min and agg_max', () => {
    expect(aggregate('agg_min', [3, 1, 2])).toBe(1);
    expect(aggregate('agg_max', [3, 1, 2])).toBe(3);
    expect(aggregate('agg_min', [5n, 7])).toBe(5n);
    expect(aggregate('agg_max', [[1, 9], [4, 2]])).toEqual([4, 9]);
  });

  it('agg_logical_and / agg_logical_or, element-wise for SCRIPT EXISTS', () => {
    expect(aggregate('agg_logical_and', [[1, 1, 0], [1, 0, 0]])).toEqual([1, 0, 0]);
    expect(aggregate('agg_logical_or', [[1, 0, 0], [0, 0, 1]])).toEqual([1, 0, 1]);
    expect(aggregate('agg_logical_and', [1, 1])).toBe(1);
    expect(aggregate('agg_logical_or', [0, 0])).toBe(0);
    expect(aggregate('agg_logical_and', [true, false])).toBe(false);
  });

  it('all_succeeded: the one reply, or the first error', () => {
    expect(aggregate('all_succeeded', ['OK', 'OK', 'OK'])).toBe('OK');
    const e = err('ERR no');
    expect(aggregate('all_succeeded', ['OK', e, err('ERR later')])).toBe(e);
  });

  it('one_succeeded: the first success, or the first error', () => {
    const e = err('NOTBUSY No scripts in execution right now.');
    expect(aggregate('one_succeeded', [e, 'OK', e])).toBe('OK');
    expect(aggregate('one_succeeded', [e, err('NOTBUSY again')])).toBe(e);
  });

  it('no policy: arrays are concatenated, anything else listed', () => {
    expect(aggregate(undefined, [['a', 'b'], [], ['c']])).toEqual(['a', 'b', 'c']);
    expect(aggregate(undefined, ['x', 'y'])).toEqual(['x', 'y']);
    expect(aggregate('special', [['a'], ['b']])).toEqual([['a'], ['b']]);
  });

  it('an error in any part wins for aggregating policies', () => {
    const e = err('ERR boom');
    for (const policy of ['agg_sum', 'agg_min', 'agg_max', 'agg_logical_and', 'agg_logical_or', 'special', undefined] as const) {
      expect(aggregate(policy, [1, e, 2])).toBe(e);
    }
  });

  it('reports shapes it cannot combine instead of guessing', () => {
    expect(aggregate('agg_sum', [1, 'x'])).toBeInstanceOf(ClusterError);
    expect(aggregate('agg_sum', [[1], [1, 2]])).toBeInstanceOf(ClusterError);
    expect(aggregate('agg_logical_and', ['a', 'b'])).toBeInstanceOf(ClusterError);
    expect(aggregate('agg_sum', [])).toBeInstanceOf(ClusterError);
  });
});

describe('MergeState', () => {
  const slotMap = SlotMap.fromShards(SHARDS_RESP3, { seedHost: '127.0.0.1' });

  it('a retried part replaces the redirect it got first', () => {
    const plan = planBatch([{ name: 'DEL', args: ['foo', 'bar'] }, { name: 'DBSIZE', args: [] }], slotMap);
    const state = new MergeState(plan);
    const moved = err('MOVED 5061 127.0.0.1:9999');
    for (const node of plan.nodes) {
      state.setNode(node, node.commands.map((c) => (c.name === 'DEL' && c.args[0] === 'bar' ? moved : 1)));
    }
    expect(state.complete).toBe(true);
    expect(state.result()[0]).toBe(moved);
    const ref = plan.nodes.flatMap((n) => n.refs.filter((_, i) => n.commands[i]!.args[0] === 'bar'))[0]!;
    expect(state.get(ref)).toBe(moved);
    state.set(ref, 1); // the retry's reply
    expect(state.result()).toEqual([2, 3]);
  });

  it('MGET whose part replied with a wrong shape becomes an error, not a wrong array', () => {
    const plan = planBatch([{ name: 'MGET', args: ['foo', 'bar'] }], slotMap);
    const state = new MergeState(plan);
    for (const node of plan.nodes) state.setNode(node, ['not-an-array']);
    expect(state.result()[0]).toBeInstanceOf(ClusterError);
  });

  it('replies missing from a node count as missing', () => {
    const plan = planBatch([{ name: 'GET', args: ['foo'] }, { name: 'GET', args: ['{foo}2'] }], slotMap);
    const state = new MergeState(plan);
    state.setNode(plan.nodes[0]!, ['only one']);
    const [a, b] = state.result();
    expect(a).toBe('only one');
    expect(b).toBeInstanceOf(ClusterError);
  });
});
