/**
 * The values the RESP decoder produces and the argument types the encoder accepts.
 * Pure types: no runtime code beyond the VerbatimString value class.
 */
import type { ReplyError } from '../errors.js';

/** One command argument as it goes on the wire. */
export type RedisArg = string | Buffer | number;

/** A decoded reply. Errors nested in aggregates (EXEC, pipelines) stay values. */
export type RespValue =
  | string
  | Buffer
  | number
  | bigint
  | boolean
  | null
  | ReplyError
  | VerbatimString
  | RespValue[]
  | Set<RespValue>
  | Map<RespValue, RespValue>
  | { [key: string]: RespValue };

/** A verbatim string (`=`) when the decoder is asked to keep its format (`verbatim: 'object'`). */
export class VerbatimString {
  constructor(
    readonly format: string,
    readonly text: string | Buffer,
  ) {}
  /** The text, decoded as UTF-8 when it is a Buffer. */
  toString(): string {
    return typeof this.text === 'string' ? this.text : this.text.toString('utf8');
  }
}

export interface DecoderOptions {
  /** A complete top-level reply. `attribute` is the `|` attribute that preceded it, if any. */
  onReply(value: RespValue, attribute?: RespValue): void;
  /** A top-level error reply (`-` or `!`). */
  onError(error: ReplyError): void;
  /** An out-of-band push (`>`): never matched against a pending command. */
  onPush(value: RespValue[]): void;
  /** Asked at the start of each top-level reply: decode strings as Buffers? */
  returnBuffers?: () => boolean;
  /** Nesting cap for aggregates; deeper input is a ProtocolError. Default 512. */
  maxDepth?: number;
  /** Largest bulk string accepted; default 512 MiB (the server's own limit). */
  maxBulkLength?: number;
  /** `%` maps: plain objects when every key is a string ('auto', default), or always `Map`. */
  mapAs?: 'auto' | 'map';
  /** `~` sets as arrays (default) or `Set`. */
  setAs?: 'array' | 'set';
  /** `=` verbatim strings as plain strings with the `txt:` prefix stripped (default) or VerbatimString. */
  verbatim?: 'string' | 'object';
}
