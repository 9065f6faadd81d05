/**
 * A command as plain data: what the queue holds, what routing reads and what the encoder writes.
 * Typed methods build these; nothing here touches a socket.
 */
import type { RedisArg, RespValue } from '../resp/types.js';

/** A key: UTF-8 string or binary Buffer. */
export type RedisKey = string | Buffer;

/** The script an EVALSHA/EVALSHA_RO needs on the server: what to SCRIPT LOAD when it is missing. */
export interface ScriptRef {
  /** SHA1 of `lua` (hex, lower case), as the server computes it. */
  readonly sha: string;
  readonly lua: string;
}

/** The library an FCALL/FCALL_RO needs on the server: what to FUNCTION LOAD when it is missing. */
export interface LibraryRef {
  /** From the code's `#!lua name=...` header. */
  readonly name: string;
  readonly code: string;
}

/** Turns a raw reply into the shape a typed method promises (the same under RESP2 and RESP3). */
export type ReplyTransform<T> = (reply: RespValue) => T;

/**
 * A command as a user may prepare one for `pipeline().add()`: what is sent and how its reply is
 * shaped, without the internal load tags (a forged tag would teach a connection that it holds a
 * script it does not).
 */
export interface PreparedCommand<T = RespValue> {
  /** The command name, e.g. 'GET', 'CLIENT'. Subcommands are the first argument. */
  readonly name: string;
  /** Every argument after the name. */
  readonly args: readonly RedisArg[];
  /** Applied to a non-error reply before the caller sees it. */
  readonly transform?: ReplyTransform<T> | undefined;
  /** Decode this command's reply with Buffers instead of strings. */
  readonly returnBuffers?: boolean | undefined;
}

/** A command inside the library: name in upper case, and the tags only our builders set. */
export interface Command<T = RespValue> extends PreparedCommand<T> {
  /** Set by runScript: senders in scripts/ load it first when the connection may lack it. */
  readonly script?: ScriptRef | undefined;
  /** Set by runFunction: senders in scripts/ load the library when the server lacks the function. */
  readonly library?: LibraryRef | undefined;
  /** Per-call cancellation (`client.withOptions({ signal })`); see AbortError. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Set by the Pub/Sub layer on a subscribe-family command: the names whose confirmation frames
   * (commands/pubsub-replies.ts), in this order, make its reply; never a reply of its own.
   */
  readonly confirmedBy?: readonly string[] | undefined;
}

export function command<T = RespValue>(
  name: string,
  args: readonly RedisArg[],
  transform?: ReplyTransform<T>,
): Command<T> {
  return { name, args, transform };
}
