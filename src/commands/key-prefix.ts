/**
 * The `keyPrefix` option: the one place a prefix is put on a command's keys. Pure: a Command in,
 * a Command out. Keys are the positions the command table knows (commands/keys.ts), which covers
 * multi-key commands and scripts' KEYS (EVAL/EVALSHA/FCALL numkeys); SCAN's MATCH pattern gets the
 * prefix too. Nothing else is touched (values, field names, ARGV), and replies are never rewritten:
 * keys read back (SCAN, KEYS, BLPOP's key) carry the prefix, as in ioredis.
 */
import type { RedisArg } from '../resp/types.js';
import type { Command } from './command.js';
import { commandKeyIndexes } from './keys.js';

/** A prefix inside a MATCH pattern: its own glob characters match only themselves. */
function literalGlob(prefix: string): string {
  return prefix.replace(/[*?[\]\\]/g, '\\$&');
}

function prefixed(prefix: string, arg: RedisArg): string | Buffer {
  if (Buffer.isBuffer(arg)) return Buffer.concat([Buffer.from(prefix), arg]);
  return prefix + String(arg);
}

/** SCAN cursor [MATCH pattern] [COUNT n] [TYPE t]: the positions of MATCH patterns. */
function scanMatchIndexes(args: readonly RedisArg[]): number[] {
  const out: number[] = [];
  for (let i = 1; i + 1 < args.length; i += 2) {
    if (String(args[i]).toUpperCase() === 'MATCH') out.push(i + 1);
  }
  return out;
}

/** `cmd` with `prefix` on every key argument (and SCAN's MATCH pattern); `cmd` itself when there is none. */
export function prefixCommand<T>(cmd: Command<T>, prefix: string | undefined): Command<T> {
  if (prefix === undefined || prefix === '') return cmd;
  // A shard channel sits at a key position, but channels are never prefixed (as in ioredis):
  // SSUBSCRIBE does not go through here, and SPUBLISH must name the same channel.
  if (cmd.name === 'SPUBLISH') return cmd;
  const scan = cmd.name === 'SCAN';
  const at = scan ? scanMatchIndexes(cmd.args) : commandKeyIndexes(cmd.name, cmd.args);
  if (at.length === 0) return cmd;
  const args = [...cmd.args];
  const put = scan ? literalGlob(prefix) : prefix;
  for (const i of at) args[i] = prefixed(put, args[i]!);
  return { ...cmd, args };
}

/** prefixCommand over a batch. */
export function prefixCommands<T>(cmds: readonly Command<T>[], prefix: string | undefined): Command<T>[] {
  return cmds.map((c) => prefixCommand(c, prefix));
}

/** A key with the prefix (watch() keys). */
export function prefixKey<K extends RedisArg>(key: K, prefix: string | undefined): K | string | Buffer {
  return prefix === undefined || prefix === '' ? key : prefixed(prefix, key);
}
