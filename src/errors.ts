/**
 * The error hierarchy of slotline: one base class and one level below it (ExecAbortError is a
 * ReplyError by nature). Server errors are classified once, here, into a `kind` that the retry
 * logic switches on, so no other module ever looks at an error message's text.
 * Every class has a stable `code` a program can switch on:
 *
 *   class                 code                          thrown when
 *   ReplyError            the server's first word       the server answered with an error
 *                         ('WRONGTYPE', 'MOVED', ...)
 *   ExecAbortError        'EXECABORT'                   MULTI/EXEC discarded at queue time
 *   ProtocolError         'SLOTLINE_PROTOCOL'           the byte stream is not RESP
 *   ConnectionError       'SLOTLINE_CONNECTION'         no reply because of the connection
 *   TimeoutError          'SLOTLINE_TIMEOUT'            no reply in time
 *   AbortError            'SLOTLINE_ABORTED'            the caller's AbortSignal fired
 *   PipelineError         'SLOTLINE_PIPELINE'           a batch failed as a whole
 *   WatchConflictError    'SLOTLINE_WATCH_CONFLICT'     watch() ran out of attempts
 *   CrossSlotError        'SLOTLINE_CROSSSLOT'          keys of one atomic unit in two slots
 *   ClusterError          'SLOTLINE_CLUSTER'            discovery failed, too many redirects
 *   ArgumentTypeError     'SLOTLINE_ARGUMENT'           an argument refused before sending
 *   CommandRefusedError   'SLOTLINE_COMMAND_REFUSED'    a command refused where it was issued
 *   UsageError            'SLOTLINE_USAGE'              an API used out of order
 *   InvalidOptionError    'SLOTLINE_OPTION'             a bad client option or URL
 *   LibraryHeaderError    'SLOTLINE_LIBRARY_HEADER'     defineLibrary code without a valid header
 *   SentinelError         'SLOTLINE_SENTINEL'           no sentinel could name the server to use
 *   BulkError             'SLOTLINE_BULK'               bulk() stopped before its source ended
 *   PubSubOverflowError   'SLOTLINE_PUBSUB_OVERFLOW'    a subscription iterator's buffer was full
 *
 * Our own codes carry the SLOTLINE_ prefix so they never collide with a server's error word.
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

/** The `code` of every error class slotline defines (ReplyError's code is the server's word). */
export type SlotlineErrorCode =
  | 'SLOTLINE_PROTOCOL'
  | 'SLOTLINE_CONNECTION'
  | 'SLOTLINE_TIMEOUT'
  | 'SLOTLINE_ABORTED'
  | 'SLOTLINE_PIPELINE'
  | 'SLOTLINE_WATCH_CONFLICT'
  | 'SLOTLINE_CROSSSLOT'
  | 'SLOTLINE_CLUSTER'
  | 'SLOTLINE_ARGUMENT'
  | 'SLOTLINE_COMMAND_REFUSED'
  | 'SLOTLINE_USAGE'
  | 'SLOTLINE_OPTION'
  | 'SLOTLINE_LIBRARY_HEADER'
  | 'SLOTLINE_SENTINEL'
  | 'SLOTLINE_BULK'
  | 'SLOTLINE_PUBSUB_OVERFLOW';

/**
 * Base class of every error slotline raises itself; never thrown as such, only its subclasses
 * (each sets `code`). Not abstract only so that `instanceof SlotlineError` and test matchers
 * that want a constructor keep working.
 */
export class SlotlineError extends Error {
  override name = 'SlotlineError';
  /** Stable across versions: switch on this, never on the message. */
  declare readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An error reply from the server (`-ERR ...` or `!...`). */
export class ReplyError extends SlotlineError {
  override name = 'ReplyError';
  /** The first word of the reply, e.g. `WRONGTYPE`, `ERR`, `MOVED`. */
  override readonly code: string;
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
  override readonly code = 'SLOTLINE_PROTOCOL';
  /** Offset of the offending byte, counted from the start of the connection's stream. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte offset ${offset})`);
    this.offset = offset;
  }
}

/** Why a ConnectionError was raised (`error.reason`). */
export type ConnectionErrorReason =
  | 'refused' // could not connect
  | 'closed' // the socket closed with the command written or queued
  | 'handshake' // HELLO/AUTH/SELECT failed
  | 'offline-queue-full' // disconnected and the offline queue is full
  | 'client-closed' // close()/disconnect() was called
  | 'backpressure' // too many commands in flight and failFast was asked
  | 'unresponsive' // the connection stopped answering without closing (half-open): replaced
  | 'reconnect-gave-up'
  | 'wrong-role'; // the server is not the primary (or replica) it was said to be, e.g. mid-failover

/** A command could not get a reply because of the connection, not the server's answer. */
export class ConnectionError extends SlotlineError {
  override name = 'ConnectionError';
  override readonly code = 'SLOTLINE_CONNECTION';
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
  override readonly code = 'SLOTLINE_TIMEOUT';
  readonly timeoutMs: number;
  /**
   * Whether the command had been written when its time ran out: true, it may have run; false,
   * it expired while held (offline queue, back-pressure) and was never sent.
   */
  readonly written: boolean;
  constructor(message: string, timeoutMs: number, options?: { written?: boolean }) {
    super(message);
    this.timeoutMs = timeoutMs;
    this.written = options?.written ?? true;
  }
}

/**
 * The caller's AbortSignal fired before the reply. `written` false: the command (or batch) was
 * never sent. True: it was written and may have run; its late reply is read and dropped.
 * `cause` is the signal's reason.
 */
export class AbortError extends SlotlineError {
  override name = 'AbortError';
  override readonly code = 'SLOTLINE_ABORTED';
  /** The command's name, or 'Batch of N'. */
  readonly command: string;
  readonly written: boolean;
  constructor(command: string, written: boolean, reason?: unknown) {
    super(
      written
        ? `${command} aborted after it was written: it may or may not have run; its reply will be dropped`
        : `${command} aborted before it was written: it was not sent`,
      { cause: reason },
    );
    this.command = command;
    this.written = written;
  }
}

/** A whole pipeline failed (connection lost, timeout): says how many commands were written. */
export class PipelineError extends SlotlineError {
  override name = 'PipelineError';
  override readonly code = 'SLOTLINE_PIPELINE';
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
  override readonly code = 'SLOTLINE_WATCH_CONFLICT';
  readonly attempts: number;
  constructor(attempts: number, keys: readonly string[]) {
    super(`WATCH conflict on ${keys.join(', ')}: the transaction was aborted ${attempts} time(s)`);
    this.attempts = attempts;
  }
}

/** Keys of one atomic unit (MULTI, WATCH, a script) hash to different slots. */
export class CrossSlotError extends SlotlineError {
  override name = 'CrossSlotError';
  override readonly code = 'SLOTLINE_CROSSSLOT';
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
/**
 * Why a cluster call ended: `failing-over` (the slot's shard listed no serving primary for
 * failoverTimeout), `no-owner` (no shard serves the slot: uncovered, for retryTimeout),
 * `redirects` (the redirect budget or retryTimeout ran out), `topology` (the topology could
 * not be read), `other`.
 */
export type ClusterErrorReason = 'failing-over' | 'no-owner' | 'redirects' | 'topology' | 'other';

export class ClusterError extends SlotlineError {
  override name = 'ClusterError';
  override readonly code = 'SLOTLINE_CLUSTER';
  readonly reason: ClusterErrorReason;
  constructor(message: string, options?: { cause?: unknown; reason?: ClusterErrorReason }) {
    super(message, options);
    this.reason = options?.reason ?? 'other';
  }
}

/** What was wrong with a refused argument. */
export type ArgumentProblem =
  | 'type' // not a string, Buffer or finite number
  | 'too-large' // over maxArgumentBytes (the server's proto-max-bulk-len)
  | 'count' // the wrong number of keys or arguments for the call
  | 'shape'; // not the form the method takes (e.g. a pipeline entry that is not [name, ...args])

/**
 * A call refused for one of its arguments before anything was sent; the connection is untouched.
 * A SlotlineError and not a TypeError: a program catches every refusal of the library with one
 * `instanceof SlotlineError` and tells them apart by `code` and `problem`.
 */
export class ArgumentTypeError extends SlotlineError {
  override name = 'ArgumentTypeError';
  override readonly code = 'SLOTLINE_ARGUMENT';
  /** The command (upper case, e.g. 'SET') or the method (e.g. 'runScript') refused. */
  readonly command: string;
  /** Index of the argument (0 = the first after the command name); -1 for the call as a whole. */
  readonly index: number;
  readonly problem: ArgumentProblem;
  /** The argument's size in bytes, for 'too-large'. */
  readonly size: number | undefined;

  /** `new ArgumentTypeError(command, index, value)`: the value's type cannot go over RESP. */
  constructor(command: string, index: number, value: unknown);
  /** Any other problem, with the reason in words (e.g. 'takes 2 keys, got 1'). */
  constructor(command: string, index: number, value: unknown, problem: Exclude<ArgumentProblem, 'type'>, why: string, size?: number);
  constructor(command: string, index: number, value: unknown, problem: ArgumentProblem = 'type', why?: string, size?: number) {
    const at = index >= 0 ? `argument #${index} ` : '';
    if (problem === 'type') {
      const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
      super(`${command}: ${at}is ${type}; expected string, Buffer or number`);
    } else {
      super(`${command}: ${at}${why ?? 'refused'}`);
    }
    this.command = command;
    this.index = index;
    this.problem = problem;
    this.size = size;
  }
}

/**
 * A command refused where it was issued, before anything was sent: connection state on a shared
 * connection (SELECT, MULTI, WATCH, CLIENT REPLY, ...), a command that takes the connection
 * over (MONITOR, SYNC, the Pub/Sub family), or a blocking command inside a batch.
 */
export class CommandRefusedError extends SlotlineError {
  override name = 'CommandRefusedError';
  override readonly code = 'SLOTLINE_COMMAND_REFUSED';
  /** The refused command, upper case (for CLIENT REPLY: 'CLIENT'). */
  readonly command: string;
  /** Its index in the batch, when it came in a pipeline or transaction. */
  readonly index: number | undefined;
  constructor(command: string, message: string, index?: number) {
    super(message);
    this.command = command;
    this.index = index;
  }
}

/** The API was used out of order (e.g. watch() given a Multi it did not create). Nothing was sent. */
export class UsageError extends SlotlineError {
  override name = 'UsageError';
  override readonly code = 'SLOTLINE_USAGE';
}

/** A client or cluster option (or the URL) is invalid; thrown by createClient / createCluster. */
export class InvalidOptionError extends SlotlineError {
  override name = 'InvalidOptionError';
  override readonly code = 'SLOTLINE_OPTION';
  /** The option's name, e.g. 'port', 'reconnect.maxDelay', 'url', 'nodes'. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}

/** What is wrong with a library's `#!` header line (LibraryHeaderError's `kind`). */
export type LibraryHeaderProblem = 'missing-header' | 'missing-name' | 'invalid-name';

/** defineLibrary was given code the server would refuse for its header. Nothing was sent. */
export class LibraryHeaderError extends SlotlineError {
  override name = 'LibraryHeaderError';
  override readonly code = 'SLOTLINE_LIBRARY_HEADER';
  readonly kind: LibraryHeaderProblem;
  constructor(kind: LibraryHeaderProblem, detail: string) {
    super(`defineLibrary: ${detail}; the code must start with a line such as '#!lua name=mylib'`);
    this.kind = kind;
  }
}

/** Why createSentinel could not find the primary (SentinelError's `problem`). */
export type SentinelProblem =
  | 'unknown-name' // every sentinel that answered knows no primary by that name
  | 'unreachable' // no sentinel answered at all
  | 'bad-reply'; // a sentinel answered with something that is not an address

/** createSentinel could not learn where the primary (or a replica) is. Nothing was sent to a data node. */
export class SentinelError extends SlotlineError {
  override name = 'SentinelError';
  override readonly code = 'SLOTLINE_SENTINEL';
  /** The master name that was asked for. */
  readonly masterName: string;
  /** The sentinels asked, as 'host:port', in the order they were asked. */
  readonly sentinels: readonly string[];
  readonly problem: SentinelProblem;
  constructor(masterName: string, sentinels: readonly string[], problem: SentinelProblem, detail: string) {
    super(`Sentinel: ${detail} (master name '${masterName}', asked ${sentinels.join(', ')})`);
    this.masterName = masterName;
    this.sentinels = sentinels;
    this.problem = problem;
  }
}

/**
 * Why bulk() stopped before its source ended: `source` (the source threw), `consumer` (onReply
 * threw or rejected), `aborted` (the signal fired; `cause` is the AbortError), `unanswered` (a
 * command got no reply: connection lost, timeout, cluster bounds exhausted; `cause` is that
 * error, also handed to onReply in place; nothing later was sent, as it would run out of order).
 */
export type BulkStopReason = 'source' | 'consumer' | 'aborted' | 'unanswered';

/**
 * bulk() ended early. The counts say how far it got: `sent` commands handed to the connection,
 * `ok` and `errors` replies handed to onReply (or counted, without one), in the source's order.
 */
export class BulkError extends SlotlineError {
  override name = 'BulkError';
  override readonly code = 'SLOTLINE_BULK';
  readonly reason: BulkStopReason;
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  constructor(reason: BulkStopReason, counts: { readonly sent: number; readonly ok: number; readonly errors: number }, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`bulk() stopped (${reason}): ${why} (sent ${counts.sent}, ok ${counts.ok}, errors ${counts.errors})`, { cause });
    this.reason = reason;
    this.sent = counts.sent;
    this.ok = counts.ok;
    this.errors = counts.errors;
  }
}

/**
 * A subscription iterator (`for await (const m of client.subscribe(ch))`) received a message
 * while its buffer held `limit` unread ones: that message was lost, the subscription removed,
 * and this is thrown after the buffered messages were read. Read faster, or raise `bufferSize`.
 */
export class PubSubOverflowError extends SlotlineError {
  override name = 'PubSubOverflowError';
  override readonly code = 'SLOTLINE_PUBSUB_OVERFLOW';
  readonly limit: number;
  constructor(limit: number) {
    super(`Subscription iterator overflowed: ${limit} messages were waiting unread and the next one was lost; the subscription was removed`);
    this.limit = limit;
  }
}
