/**
 * The one rule table for commands refused where they were issued (issue 11 items 2 and 7): the
 * same answer for the standalone client, the cluster client, pipelines, multi() and watch().
 */
import { describe, expect, it } from 'vitest';
import { CommandRefusedError } from '../../../src/errors.js';
import type { Command } from '../../../src/commands/command.js';
import { batchRefusal, commandRefusal, type CommandPath } from '../../../src/commands/connection-state.js';
import type { RedisArg } from '../../../src/resp/types.js';

const cmd = (name: string, ...args: RedisArg[]): Command<unknown> => ({ name, args });
const PATHS: readonly CommandPath[] = ['client', 'cluster', 'watch'];

describe('connection-state rules', () => {
  it.each([
    ['UNSUBSCRIBE'],
    ['PUNSUBSCRIBE'],
    ['SUNSUBSCRIBE'],
    ['SUBSCRIBE', 'c'],
    ['PSUBSCRIBE', 'c*'],
    ['SSUBSCRIBE', 'c'],
    ['CLIENT', 'REPLY', 'OFF'],
    ['CLIENT', 'reply', 'skip'],
    ['CLIENT', Buffer.from('REPLY'), 'ON'],
    ['SYNC'],
    ['PSYNC', '?', '-1'],
    ['MONITOR'],
    ['RESET'],
    ['QUIT'],
    ['SELECT', '1'],
    ['MULTI'],
    ['EXEC'],
    ['DISCARD'],
    ['WATCH', 'k'],
    ['UNWATCH'],
  ] as Array<[string, ...RedisArg[]]>)('issue 11 item 2: %s is refused alone and in batches on every path', (name, ...args) => {
    for (const path of PATHS) {
      const alone = commandRefusal(cmd(name, ...args), path);
      expect(alone, path).toBeInstanceOf(CommandRefusedError);
      expect(alone!.command).toBe(name);
      expect(alone!.message).toContain(name);
      for (const kind of ['pipeline', 'multi'] as const) {
        const batch = batchRefusal([cmd('GET', 'k'), cmd(name, ...args)], path, kind);
        expect(batch, `${path} ${kind}`).toBeInstanceOf(CommandRefusedError);
        expect(batch!.index).toBe(1);
        expect(batch!.message).toContain('#1');
      }
    }
  });

  it('issue 11 item 7: blocking commands go to the pool alone and are refused in batches', () => {
    for (const c of [cmd('BLPOP', 'k', 2), cmd('BRPOPLPUSH', 'a', 'b', 0), cmd('XREAD', 'BLOCK', 0, 'STREAMS', 's', '$'), cmd('WAIT', 1, 0)]) {
      for (const path of PATHS) {
        expect(commandRefusal(c, path)).toBeUndefined();
        expect(batchRefusal([c], path, 'pipeline')).toBeInstanceOf(CommandRefusedError);
        expect(batchRefusal([c], path, 'multi')).toBeInstanceOf(CommandRefusedError);
      }
    }
    expect(batchRefusal([cmd('XREAD', 'STREAMS', 's', '0')], 'client', 'pipeline')).toBeUndefined();
  });

  it('ASKING / READONLY / READWRITE are the cluster client\'s own; a standalone user may send them', () => {
    for (const name of ['ASKING', 'READONLY', 'READWRITE']) {
      expect(commandRefusal(cmd(name), 'cluster')).toBeInstanceOf(CommandRefusedError);
      expect(batchRefusal([cmd(name)], 'cluster', 'pipeline')).toBeInstanceOf(CommandRefusedError);
      expect(commandRefusal(cmd(name), 'client')).toBeUndefined();
      expect(batchRefusal([cmd(name)], 'client', 'pipeline')).toBeUndefined();
    }
  });

  it('ordinary commands and other CLIENT subcommands pass', () => {
    for (const path of PATHS) {
      for (const c of [cmd('GET', 'k'), cmd('CLIENT', 'ID'), cmd('CLIENT', 'SETNAME', 'x'), cmd('CLIENT'), cmd('PUBLISH', 'c', 'm'), cmd('SPUBLISH', 'c', 'm')]) {
        expect(commandRefusal(c, path)).toBeUndefined();
        expect(batchRefusal([c, c], path, 'pipeline')).toBeUndefined();
      }
    }
  });

  it('inside watch() the transaction commands say what to do instead', () => {
    expect(commandRefusal(cmd('EXEC'), 'watch')!.message).toMatch(/inside watch\(\).*tx\.multi\(\)/);
    expect(commandRefusal(cmd('EXEC'), 'client')!.message).toMatch(/on the shared connection.*multi\(\)/);
  });
});
