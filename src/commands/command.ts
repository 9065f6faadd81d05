/**
 * A command as plain data: what the queue holds, what routing reads and what the encoder writes.
 * Typed methods build these; nothing here touches a socket.
 */
import type { RedisArg, RespValue } from '../resp/types.js';

/** Turns a raw reply into the shape a typed method promises (the same under RESP2 and RESP3). */
export type ReplyTransform<T> = (reply: RespValue) => T;

export interface Command<T = RespValue> {
  /** The command name in upper case, e.g. 'GET', 'CLIENT'. Subcommands are the first argument. */
  readonly name: string;
  /** Every argument after the name. */
  readonly args: readonly RedisArg[];
  /** Applied to a non-error reply before the caller sees it. */
  readonly transform?: ReplyTransform<T> | undefined;
  /** Decode this command's reply with Buffers instead of strings. */
  readonly returnBuffers?: boolean | undefined;
}

export function command<T = RespValue>(
  name: string,
  args: readonly RedisArg[],
  transform?: ReplyTransform<T>,
): Command<T> {
  return { name, args, transform };
}
