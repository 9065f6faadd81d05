/**
 * Key positions of commands the generated table does not know (module commands, commands newer
 * than both servers the table was built from), learned from the cluster itself with
 * `COMMAND GETKEYS` and cached per command name and argument count: a variadic command's keys
 * move with the count, a fixed one's do not. A learned position that turns out wrong costs one
 * MOVED (the redirect engine follows it); a lookup that fails for a passing reason (lost
 * connection, timeout) is not cached, the command goes to any node as before. The lookup is
 * synchronous (route.ts stays pure); learning is the one asynchronous step, before routing.
 */
import { ReplyError } from '../errors.js';
import type { Command } from '../commands/command.js';
import { lookupCommand } from '../commands/keys.js';
import type { RedisArg, RespValue } from '../resp/types.js';

/** What routing reads: the positions learned for `name` with these arguments, if any. */
export interface LearnedKeyLookup {
  keysOf(name: string, args: readonly RedisArg[]): readonly number[] | undefined;
}

const NONE: readonly number[] = Object.freeze([]);

/** The arguments' indexes of the keys GETKEYS named, in order; NONE when one cannot be placed. */
export function positionsOf(args: readonly RedisArg[], keys: RespValue): readonly number[] {
  if (!Array.isArray(keys)) return NONE;
  const out: number[] = [];
  let from = 0;
  for (const key of keys) {
    const text = Buffer.isBuffer(key) ? key.toString('utf8') : String(key);
    let at = from;
    while (at < args.length && argText(args[at]!) !== text) at++;
    if (at === args.length) return NONE;
    out.push(at);
    from = at + 1;
  }
  return Object.freeze(out);
}

const argText = (a: RedisArg): string => (Buffer.isBuffer(a) ? a.toString('utf8') : String(a));
const cacheKey = (name: string, argc: number): string => `${name.toUpperCase()} ${argc}`;

export class LearnedKeys implements LearnedKeyLookup {
  readonly #known = new Map<string, readonly number[]>();
  readonly #pending = new Map<string, Promise<void>>();

  keysOf(name: string, args: readonly RedisArg[]): readonly number[] | undefined {
    return this.#known.get(cacheKey(name, args.length));
  }

  /**
   * Learns what `cmds` need (commands the table knows need nothing); undefined when nothing is
   * missing, so the common path stays synchronous. Never rejects.
   */
  learn(cmds: readonly Command<unknown>[], ask: (cmd: Command<RespValue>) => Promise<RespValue>): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    for (const cmd of cmds) {
      // The table first: it knows nearly every command, and costs no string to build.
      if (lookupCommand(cmd.name, cmd.args) !== undefined) continue;
      const key = cacheKey(cmd.name, cmd.args.length);
      if (this.#known.has(key)) continue;
      let pending = this.#pending.get(key);
      if (pending === undefined) {
        pending = this.#ask(key, cmd, ask);
        this.#pending.set(key, pending);
      }
      (waits ??= []).push(pending);
    }
    return waits === undefined ? undefined : Promise.all(waits).then(() => undefined);
  }

  async #ask(key: string, cmd: Command<unknown>, ask: (cmd: Command<RespValue>) => Promise<RespValue>): Promise<void> {
    try {
      const keys = await ask({ name: 'COMMAND', args: ['GETKEYS', cmd.name, ...cmd.args] });
      this.#known.set(key, positionsOf(cmd.args, keys));
    } catch (error) {
      // The server's answer (no key arguments, unknown command, wrong arguments) holds for this
      // name and count; anything else may pass, so it is asked again next time.
      if (error instanceof ReplyError) this.#known.set(key, NONE);
    } finally {
      this.#pending.delete(key);
    }
  }
}
