/**
 * Issue 14 item 4: commands the generated table does not know are routed by the keys the server
 * names (COMMAND GETKEYS), learned once per command name and argument count. Pure: `ask` is a
 * function here; test/integration/cluster-learned-keys.test.ts runs it against real clusters.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionError, ReplyError } from '../../../src/errors.js';
import type { Command } from '../../../src/commands/command.js';
import { LearnedKeys, positionsOf } from '../../../src/cluster/learned-keys.js';
import { routeCommand } from '../../../src/cluster/route.js';
import { keySlot } from '../../../src/cluster/slot.js';
import type { RespValue } from '../../../src/resp/types.js';

describe('positionsOf', () => {
  it('places each named key at the next argument with its text', () => {
    expect(positionsOf(['k1', 'path', 'k2'], ['k1', 'k2'])).toEqual([0, 2]);
    expect(positionsOf(['a', 'a', 'x'], ['a', 'a'])).toEqual([0, 1]);
    expect(positionsOf([Buffer.from('bk'), 7], [Buffer.from('bk')])).toEqual([0]);
    expect(positionsOf(['k'], [])).toEqual([]);
  });
  it('gives up (no keys) when a named key is not among the arguments', () => {
    expect(positionsOf(['k1'], ['other'])).toEqual([]);
    expect(positionsOf(['k1'], 'not an array')).toEqual([]);
  });
});

describe('LearnedKeys', () => {
  const asked: Command<RespValue>[] = [];
  const ask = (answer: (cmd: Command<RespValue>) => Promise<RespValue>) => (cmd: Command<RespValue>) => {
    asked.push(cmd);
    return answer(cmd);
  };

  it('asks nothing for commands the table knows', () => {
    const learned = new LearnedKeys();
    expect(learned.learn([{ name: 'GET', args: ['k'] }, { name: 'CLIENT', args: ['LIST'] }], () => Promise.reject(new Error('asked')))).toBeUndefined();
  });

  it('asks once per name and argument count, shares a lookup in flight, and routes by the answer', async () => {
    asked.length = 0;
    const learned = new LearnedKeys();
    const answer = ask(async (cmd) => [cmd.args[2]!] as RespValue);
    const one = { name: 'JSON.GET', args: ['user:1', '$'] };
    await Promise.all([learned.learn([one], answer), learned.learn([{ name: 'json.get', args: ['user:2', '$'] }], answer)]);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toEqual({ name: 'COMMAND', args: ['GETKEYS', 'JSON.GET', 'user:1', '$'] });
    expect(learned.learn([{ name: 'JSON.GET', args: ['user:3', '$'] }], answer)).toBeUndefined();
    expect(learned.keysOf('JSON.GET', ['user:3', '$'])).toEqual([0]);
    // Another argument count is another question.
    await learned.learn([{ name: 'JSON.GET', args: ['user:3', '$', '$.a'] }], answer);
    expect(asked).toHaveLength(2);

    expect(routeCommand({ name: 'JSON.GET', args: ['user:3', '$'] }, { learned })).toEqual({ kind: 'slot', slot: keySlot('user:3'), readOnly: false });
    expect(routeCommand({ name: 'JSON.GET', args: ['user:3', '$'] })).toEqual({ kind: 'any' });
  });

  it('caches a server refusal as "no keys"; a lost connection is asked again', async () => {
    asked.length = 0;
    const learned = new LearnedKeys();
    await learned.learn([{ name: 'NOPE', args: ['x'] }], ask(() => Promise.reject(new ReplyError('ERR Invalid command specified'))));
    expect(learned.keysOf('NOPE', ['x'])).toEqual([]);
    expect(routeCommand({ name: 'NOPE', args: ['x'] }, { learned })).toEqual({ kind: 'any' });
    await learned.learn([{ name: 'LATER', args: ['x'] }], ask(() => Promise.reject(new ConnectionError('lost', 'closed'))));
    expect(learned.keysOf('LATER', ['x'])).toBeUndefined();
    expect(learned.learn([{ name: 'LATER', args: ['x'] }], ask(async () => ['x']))).toBeDefined();
  });

  it('keys in two slots route as cross-slot, never split', () => {
    const learned = { keysOf: () => [0, 1] };
    const route = routeCommand({ name: 'MOD.PAIR', args: ['a', 'b'] }, { learned });
    expect(route).toEqual({ kind: 'cross-slot', keyIndexes: [0, 1], slots: [keySlot('a'), keySlot('b')], split: undefined });
  });
});
