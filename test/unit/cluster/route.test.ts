import { describe, it, expect } from 'vitest';
import { routeCommand, type Route } from '../../../src/cluster/route.js';
import { keySlot } from '../../../src/cluster/slot.js';

const route = (line: string, readOnlyToReplica = false): Route => {
  const [name, ...args] = line.split(' ');
  return routeCommand({ name: name!, args }, { readOnlyToReplica });
};

describe('routeCommand: keyed commands', () => {
  it.each([
    ['GET foo', 12182],
    ['SET foo bar', 12182],
    ['MGET {user1}:a {user1}:b', 8106],
    ['MSET {user1}:a 1 {user1}:b 2', 8106],
    ['DEL foo', 12182],
    ['EVAL s 2 {user1}:a {user1}:b x', 8106],
    ['FCALL f 1 foo', 12182],
    ['XREADGROUP GROUP g c COUNT 1 STREAMS {s}1 {s}2 > >', keySlot('s')],
    ['ZUNIONSTORE {z}d 2 {z}a {z}b', keySlot('z')],
    ['LMPOP 1 foo LEFT', 12182],
    ['SORT foo STORE {foo}x', 12182],
    ['OBJECT ENCODING foo', 12182],
    ['SPUBLISH foo msg', 12182],
    ['WATCH foo', 12182],
    ['BLPOP foo 0', 12182],
  ])('%s → slot %i', (line, slot) => {
    expect(route(line)).toEqual({ kind: 'slot', slot, readOnly: false });
  });

  it('marks read-only commands for replicas only when asked', () => {
    expect(route('GET foo', true)).toEqual({ kind: 'slot', slot: 12182, readOnly: true });
    expect(route('GET foo', false)).toEqual({ kind: 'slot', slot: 12182, readOnly: false });
    expect(route('SET foo 1', true)).toEqual({ kind: 'slot', slot: 12182, readOnly: false });
    expect(route('EVAL_RO s 1 foo', true)).toEqual({ kind: 'slot', slot: 12182, readOnly: true });
    expect(route('EVAL s 1 foo', true)).toEqual({ kind: 'slot', slot: 12182, readOnly: false });
    expect(routeCommand({ name: 'GET', args: ['foo'] })).toEqual({ kind: 'slot', slot: 12182, readOnly: false });
  });

  it('splits MGET, MSET, DEL, UNLINK, EXISTS and TOUCH across slots', () => {
    expect(route('MGET foo bar')).toEqual({
      kind: 'cross-slot',
      keyIndexes: [0, 1],
      slots: [12182, keySlot('bar')],
      split: { keyStep: 1, response: undefined },
    });
    expect(route('MSET foo 1 bar 2')).toMatchObject({ kind: 'cross-slot', keyIndexes: [0, 2], split: { keyStep: 2, response: 'all_succeeded' } });
    for (const name of ['DEL', 'UNLINK', 'EXISTS', 'TOUCH']) {
      expect(route(`${name} foo bar`)).toMatchObject({ kind: 'cross-slot', split: { keyStep: 1, response: 'agg_sum' } });
    }
  });

  it('does not split commands that must stay atomic', () => {
    for (const line of ['MSETNX foo 1 bar 2', 'SUNION foo bar', 'RENAME foo bar', 'EVAL s 2 foo bar', 'ZUNIONSTORE foo 1 bar']) {
      const r = route(line);
      expect(r.kind).toBe('cross-slot');
      expect(r.kind === 'cross-slot' && r.split).toBeUndefined();
    }
  });
});

describe('routeCommand: keyless commands', () => {
  it.each([
    ['DBSIZE', 'all-primaries', 'agg_sum'],
    ['KEYS *', 'all-primaries', undefined],
    ['FLUSHALL', 'all-primaries', 'all_succeeded'],
    ['FLUSHDB ASYNC', 'all-primaries', 'all_succeeded'],
    ['FUNCTION LOAD code', 'all-primaries', 'all_succeeded'],
    ['FUNCTION FLUSH', 'all-primaries', 'all_succeeded'],
    ['function delete lib', 'all-primaries', 'all_succeeded'],
    ['SCRIPT EXISTS a b', 'all-primaries', 'agg_logical_and'],
    ['SCRIPT KILL', 'all-primaries', 'one_succeeded'],
    ['WAIT 1 0', 'all-primaries', 'agg_min'],
    ['MEMORY STATS', 'all-primaries', 'special'],
    ['SCRIPT FLUSH', 'all-nodes', 'all_succeeded'],
    ['SCRIPT LOAD s', 'all-nodes', 'all_succeeded'],
    ['CONFIG SET maxmemory 0', 'all-nodes', 'all_succeeded'],
    ['SLOWLOG LEN', 'all-nodes', 'agg_sum'],
    ['SLOWLOG GET', 'all-nodes', undefined],
    // Tagged by Valkey 8 (the table merges Redis 7.0's and Valkey 8's COMMAND INFO).
    ['CLIENT SETNAME x', 'all-nodes', 'all_succeeded'],
    ['ACL SETUSER u on', 'all-nodes', 'all_succeeded'],
    ['CONFIG REWRITE', 'all-nodes', 'all_succeeded'],
    ['LATENCY RESET', 'all-nodes', 'agg_sum'],
  ])('%s → %s (%s)', (line, kind, response) => {
    expect(route(line)).toEqual({ kind, response });
  });

  it.each(['PING', 'ECHO hi', 'INFO', 'INFO memory', 'RANDOMKEY', 'CLIENT LIST', 'TIME', 'MULTI', 'EXEC', 'SUBSCRIBE ch', 'PUBLISH ch m', 'EVAL s 0', 'FCALL f 0', 'CONFIG GET x', 'CLUSTER SHARDS', 'NOSUCHCOMMAND a b'])(
    '%s → any',
    (line) => {
      expect(route(line)).toEqual({ kind: 'any' });
    },
  );

  it('SCAN needs special handling', () => {
    expect(route('SCAN 0')).toEqual({ kind: 'special' });
  });
});
