/**
 * The error hierarchy of slotline: one base class and one level below it (ExecAbortError is a
 * ReplyError by nature). Server errors are classified once, here, into a `kind` that the retry
 * logic switches on, so no other module ever looks at an error message's text.
 * Must not import anything from the rest of the library.
 */

/** How a server error is handled by the retry logic. */
export type ReplyErrorKind =
  | 'moved' // slot moved for good: fix the slot table, retry at the new owner
  | 'ask' // slot migrating: ASKING + retry at the target, once, slot table unchanged
  | 'tryagain' // multi-key command during resharding: wait and retry
  | 'clusterdown' // cluster not serving: wait and retry
  | 'loading' // server loading its dataset: wait and retry
  | 'masterdown' // replica lost its primary: wait and retry
  | 'readonly' // write sent to a replica (failover happened): refresh, retry
  | 'noscript' // EVALSHA of an unknown script: load and retry
  | 'nofunction' // FCALL of an unknown function: load the library and retry
  | 'busy' // a script or function is running: no retry
  | 'execabort' // MULTI/EXEC discarded at queue time
  | 'crossslot' // keys in different slots
  | 'auth' // WRONGPASS / NOAUTH / NOPERM
  | 'unknown-command' // the server does not have this command (e.g. HELLO before Redis 6)
  | 'noproto' // HELLO asked for a protocol version the server lacks
  | 'other';

/** Where a MOVED or ASK reply points. */
export interface Redirect {
  readonly slot: number;
  readonly host: string;
  readonly port: number;
}

/** Base class of every error slotline raises itself. */
export class SlotlineError extends Error {
  override name = 'SlotlineError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An error reply from the server (`-ERR ...` or `!...`). */
export class ReplyError extends SlotlineError {
  override name = 'ReplyError';
  /** The first word of the reply, e.g. `WRONGTYPE`, `ERR`, `MOVED`. */
  readonly code: string;
  readonly kind: ReplyErrorKind;
  /** Set for `kind` 'moved' and 'ask'. */
  readonly redirect: Redirect | undefined;
  /** The command that got this reply (upper case); the connection's queue fills it in when it settles. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    const space = message.indexOf(' ');
    this.code = space === -1 ? message : message.slice(0, space);
    this.command = command;
    const { kind, redirect } = classify(this.code, message);
    this.kind = kind;
    this.redirect = redirect;
  }
}

function classify(code: string, message: string): { kind: ReplyErrorKind; redirect: Redirect | undefined } {
  switch (code) {
    case 'MOVED':
    case 'ASK':
      return { kind: code === 'MOVED' ? 'moved' : 'ask', redirect: parseRedirect(message) };
    case 'TRYAGAIN':
      return { kind: 'tryagain', redirect: undefined };
    case 'CLUSTERDOWN':
      return { kind: 'clusterdown', redirect: undefined };
    case 'LOADING':
      return { kind: 'loading', redirect: undefined };
    case 'MASTERDOWN':
      return { kind: 'masterdown', redirect: undefined };
    case 'READONLY':
      return { kind: 'readonly', redirect: undefined };
    case 'NOSCRIPT':
      return { kind: 'noscript', redirect: undefined };
    case 'BUSY':
      return { kind: 'busy', redirect: undefined };
    case 'EXECABORT':
      return { kind: 'execabort', redirect: undefined };
    case 'CROSSSLOT':
      return { kind: 'crossslot', redirect: undefined };
    case 'WRONGPASS':
    case 'NOAUTH':
    case 'NOPERM':
      return { kind: 'auth', redirect: undefined };
    case 'NOPROTO':
      return { kind: 'noproto', redirect: undefined };
    case 'ERR':
      if (message.startsWith('ERR unknown command')) return { kind: 'unknown-command', redirect: undefined };
      // FCALL of an unknown function has no code of its own; the wording is stable since 7.0.
      if (message.startsWith('ERR Function not found')) return { kind: 'nofunction', redirect: undefined };
      return { kind: 'other', redirect: undefined };
    default:
      return { kind: 'other', redirect: undefined };
  }
}

function parseRedirect(message: string): Redirect | undefined {
  // "MOVED 3999 127.0.0.1:6381" — the host may be empty ("MOVED 3999 :6381") or an IPv6 address.
  const parts = message.split(' ');
  if (parts.length < 3) return undefined;
  const slot = Number(parts[1]);
  const endpoint = parts[2]!;
  const colon = endpoint.lastIndexOf(':');
  if (colon === -1 || !Number.isInteger(slot)) return undefined;
  const port = Number(endpoint.slice(colon + 1));
  let host = endpoint.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { slot, host, port };
}

/** MULTI/EXEC discarded by the server: some command was rejected while queueing. Nothing ran. */
export class ExecAbortError extends ReplyError {
  override name = 'ExecAbortError';
  /** The rejected commands, by their index in the transaction (0 = first command after MULTI). */
  readonly errors: ReadonlyArray<{ readonly index: number; readonly error: ReplyError }>;
  constructor(errors: ReadonlyArray<{ index: number; error: ReplyError }>, cause?: ReplyError) {
    const detail = errors.map((e) => `#${e.index} ${e.error.command ?? ''}: ${e.error.message}`).join('; ');
    super(`EXECABORT Transaction discarded because of ${errors.length} rejected command(s): ${detail}`, 'EXEC');
    this.errors = errors;
    if (cause) this.cause = cause;
  }
}

/**
 * The server refused MULTI itself (e.g. NOPERM for an ACL user without it). The block was
 * written in one piece, so its commands then ran one by one, outside any transaction, and
 * EXEC found no MULTI: `results` holds what each command answered (error replies in place).
 */
export class MultiRefusedError extends ReplyError {
  override name = 'MultiRefusedError';
  readonly results: readonly unknown[];
  constructor(refusal: ReplyError, results: readonly unknown[]) {
    super(`${refusal.message} (MULTI refused: its ${results.length} command(s) ran one by one, not as a transaction; see results)`, 'MULTI');
    this.results = results;
    this.cause = refusal;
  }
}

/** The byte stream from the server does not follow RESP. The connection is reset. */
export class ProtocolError extends SlotlineError {
  override name = 'ProtocolError';
  /** Offset of the offending byte, counted from the start of the connection's stream. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte offset ${offset})`);
    this.offset = offset;
  }
}

export type ConnectionErrorReason =
  | 'refused' // could not connect
  | 'closed' // the socket closed with the command written or queued
  | 'handshake' // HELLO/AUTH/SELECT failed
  | 'offline-queue-full' // disconnected and the offline queue is full
  | 'client-closed' // close()/disconnect() was called
  | 'backpressure' // too many commands in flight and failFast was asked
  | 'reconnect-gave-up';

/** A command could not get a reply because of the connection, not the server's answer. */
export class ConnectionError extends SlotlineError {
  override name = 'ConnectionError';
  readonly reason: ConnectionErrorReason;
  /** Whether the command had been written to the socket (it may have run on the server). */
  readonly written: boolean;
  constructor(message: string, reason: ConnectionErrorReason, options?: { cause?: unknown; written?: boolean }) {
    super(message, options);
    this.reason = reason;
    this.written = options?.written ?? false;
  }
}

/** No reply within `commandTimeout` (or `connectTimeout`). */
export class TimeoutError extends SlotlineError {
  override name = 'TimeoutError';
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
}

/** A whole pipeline failed (connection lost, timeout): says how many commands were written. */
export class PipelineError extends SlotlineError {
  override name = 'PipelineError';
  readonly written: number;
  readonly total: number;
  constructor(message: string, written: number, total: number, cause: unknown) {
    super(`${message} (${written} of ${total} commands had been written)`, { cause });
    this.written = written;
    this.total = total;
  }
}

/** `watch()` gave up: a watched key changed on every attempt. */
export class WatchConflictError extends SlotlineError {
  override name = 'WatchConflictError';
  readonly attempts: number;
  constructor(attempts: number, keys: readonly string[]) {
    super(`WATCH conflict on ${keys.join(', ')}: the transaction was aborted ${attempts} time(s)`);
    this.attempts = attempts;
  }
}

/** Keys of one atomic unit (MULTI, WATCH, a script) hash to different slots. */
export class CrossSlotError extends SlotlineError {
  override name = 'CrossSlotError';
  readonly keys: readonly [string, string];
  readonly slots: readonly [number, number];
  constructor(command: string, keys: [string, string], slots: [number, number]) {
    super(
      `CROSSSLOT ${command}: key '${keys[0]}' (slot ${slots[0]}) and key '${keys[1]}' (slot ${slots[1]}) ` +
        `hash to different slots; use a hash tag such as {user1}:a / {user1}:b`,
    );
    this.keys = keys;
    this.slots = slots;
  }
}

/** Cluster-level failure: discovery failed, or a command bounced more than maxRedirections. */
export class ClusterError extends SlotlineError {
  override name = 'ClusterError';
}

/** A command argument of a type RESP cannot carry (undefined, null, object...). Nothing was sent. */
export class ArgumentTypeError extends TypeError {
  override name = 'ArgumentTypeError';
  readonly command: string;
  readonly index: number;
  constructor(command: string, index: number, value: unknown) {
    const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    super(`${command}: argument #${index} is ${type}; expected string, Buffer or number`);
    this.command = command;
    this.index = index;
  }
}
