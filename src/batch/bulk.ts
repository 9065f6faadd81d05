/**
 * bulk(): a source of commands of any length, streamed through a client in constant memory.
 * The source is read lazily in chunks (at most maxBatch commands), each chunk is sent through
 * the client's own pipeline path (an executor: the standalone connection, or the cluster's
 * plan / redirect / merge engine), and the replies are handed to onReply in the source's order.
 * The bookkeeping (windows, reorder buffer, when to stop) is bulk-window.ts; this module reads,
 * sends, delivers and settles. Knows nothing of sockets or slots.
 *
 *   reader    ── waits for room (maxPending) ── reads a chunk ── checks each entry ──┐
 *             ── waits for its nodes' room (window) ── executor.prepare(chunk).run() ─┤
 *   deliverer ◀── the oldest chunk, once answered ◀── replies (errors in place) ◀─────┘
 *             ── onReply(reply, index), awaited when it returns a promise (back-pressure)
 *
 * How a run ends: the source is done and every reply delivered → { sent, ok, errors }. Else a
 * BulkError with the counts: the source threw (what it gave before is sent and delivered), a
 * command got no reply (delivered in place, nothing later is sent), onReply threw (nothing more
 * is delivered; settles once what was sent is answered), or the signal fired (settles at once;
 * no more onReply calls; commands not yet written stay off the wire where the executor can).
 * A malformed or refused entry is not an end: its error is its reply, and the run goes on.
 */
import { AbortError, ArgumentTypeError, BulkError, InvalidOptionError, PipelineError, type BulkStopReason } from '../errors.js';
import type { Command } from '../commands/command.js';
import { entryRefusal, type CommandPath } from '../commands/connection-state.js';
import { entryFailure } from '../connection/send.js';
import { checkArgs } from '../resp/encoder.js';
import type { RespValue } from '../resp/types.js';
import { commandOfTuple, type CommandTuple } from './builders.js';
import { BulkWindow, bulkLimits, isUnanswered, type Chunk, type NodeLoads } from './bulk-window.js';

/** What a source yields: `['set', 'key', 'value']`, like pipeline(tuples). */
export type BulkCommand = CommandTuple;

/** What onReply gets: the raw reply, or the entry's error in place (never thrown). */
export type BulkReply = RespValue | Error;

/** Options of `bulk()`: where replies go, how many commands are in flight per node and read ahead, and an abort signal. */
export interface BulkOptions {
  /**
   * Called once per source entry, in the source's order, with its reply or its error (a
   * ReplyError, an ArgumentTypeError for a malformed entry, a ConnectionError…) and its index in
   * the source. Return a promise to slow the run down: nothing more is delivered until it
   * settles, and reading stops once `maxPending` commands wait. Throwing ends the run (BulkError 'consumer').
   */
  readonly onReply?: ((reply: BulkReply, index: number) => void | PromiseLike<void>) | undefined;
  /**
   * Most commands in flight to one node (sent, not yet answered). Default 4000; at most the
   * client's maxOfflineQueue (a node connection still opening queues a whole window).
   */
  readonly window?: number | undefined;
  /**
   * Most commands read from the source and not yet handed to onReply, across all nodes: the
   * bound of the reorder buffer, since replies are delivered in order and a slow node holds the
   * others' replies back. Default 2 × window.
   */
  readonly maxPending?: number | undefined;
  /** Ends the run at once with BulkError 'aborted' (its cause the AbortError). */
  readonly signal?: AbortSignal | undefined;
}

/** How a run that read its whole source ended. */
export interface BulkResult {
  /** Commands handed to the client to send (malformed or refused entries are not). */
  readonly sent: number;
  /** Replies that were not errors. */
  readonly ok: number;
  /** Entries whose reply was an error (error replies, refused entries, failures). */
  readonly errors: number;
}

/** A chunk ready to go: how it loads each node, and how to send it. */
export interface PreparedChunk {
  readonly loads: NodeLoads;
  /**
   * One reply per command, errors in place; may reject when the chunk failed whole.
   * `answered(node)` may be called once a node has answered its share (see BulkWindow.release).
   */
  run(answered: (node: string) => void): Promise<unknown[]>;
}

/** What a client gives bulk(): where commands go and how a chunk is sent. */
export interface BulkExecutor {
  readonly path: CommandPath;
  readonly maxBatch: number;
  readonly maxArgumentBytes: number;
  /** What a connection queues while it opens (maxOfflineQueue; Infinity without an offline queue): the largest window. */
  readonly maxWindow: number;
  prepare(cmds: Command<unknown>[], signal: AbortSignal | undefined): PreparedChunk;
}

/** The single-node load key. */
export const ONE_NODE = '';

export function runBulk(source: Iterable<BulkCommand> | AsyncIterable<BulkCommand>, options: BulkOptions | undefined, executor: BulkExecutor): Promise<BulkResult> {
  let run: BulkRun;
  try {
    run = new BulkRun(source, options ?? {}, executor);
  } catch (error) {
    return Promise.reject(error);
  }
  return run.run();
}

const TICK: unique symbol = Symbol('tick');
type Tick = typeof TICK;
/** One shared macrotask per turn of the event loop, raced by every pending read of that turn. */
let tick: Promise<Tick> | undefined;
function nextTick(): Promise<Tick> {
  tick ??= new Promise<Tick>((resolve) =>
    setImmediate(() => {
      tick = undefined;
      resolve(TICK);
    }),
  );
  return tick;
}

type Source = { readonly kind: 'sync'; readonly it: Iterator<unknown> } | { readonly kind: 'async'; readonly it: AsyncIterator<unknown> };

function openSource(source: unknown): Source {
  if (source !== null && typeof source === 'object') {
    const s = source as Partial<AsyncIterable<unknown> & Iterable<unknown>>;
    const asyncOpen = s[Symbol.asyncIterator];
    if (typeof asyncOpen === 'function') return { kind: 'async', it: asyncOpen.call(s) };
    const syncOpen = s[Symbol.iterator];
    if (typeof syncOpen === 'function') return { kind: 'sync', it: syncOpen.call(s) };
  }
  // A string is iterable too, by character: surely not what was meant.
  throw new ArgumentTypeError('bulk', -1, source, 'shape', 'takes an Iterable or AsyncIterable of [name, ...args] tuples');
}

interface Stop {
  readonly reason: BulkStopReason;
  readonly cause: unknown;
}

/** What one read of the source gave: commands, then maybe what ended the read early. */
interface Read {
  readonly cmds: Command<unknown>[];
  /** A malformed or refused entry right after `cmds`: its error is its reply. */
  readonly refused?: Error | undefined;
  /** The source has no more entries. */
  readonly done?: boolean;
  /** The source threw right after `cmds` (which are still sent). */
  readonly thrown?: { readonly error: unknown } | undefined;
}

class BulkRun {
  readonly #executor: BulkExecutor;
  readonly #onReply: BulkOptions['onReply'];
  readonly #signal: AbortSignal | undefined;
  readonly #window: BulkWindow;
  readonly #source: Source;
  /** An async read the last chunk stopped waiting for; the next read starts with it. */
  #carried: Promise<IteratorResult<unknown>> | undefined;
  /** The source ended or threw: nothing to close. */
  #exhausted = false;
  #closed = false;
  /** The reader will open no more chunks. */
  #readerDone = false;
  /** Why the run ends early; the first reason wins. */
  #stop: Stop | undefined;
  /** A command got no reply: reading stopped, delivery goes on, then the run fails with it. */
  #unanswered: { readonly cause: unknown } | undefined;
  #sent = 0;
  #ok = 0;
  #errors = 0;
  #waiters: Array<() => void> = [];

  constructor(source: unknown, options: BulkOptions, executor: BulkExecutor) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('bulk', 'bulk() takes an options object such as { onReply, window }');
    const { onReply, signal } = options;
    if (onReply !== undefined && typeof onReply !== 'function') throw new InvalidOptionError('onReply', 'Option onReply must be a function (reply, index) => void');
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError('signal', 'Option signal must be an AbortSignal');
    this.#window = new BulkWindow(bulkLimits(options.window, options.maxPending, executor.maxBatch, executor.maxWindow));
    this.#executor = executor;
    this.#onReply = onReply;
    this.#signal = signal;
    this.#source = openSource(source);
  }

  async run(): Promise<BulkResult> {
    const signal = this.#signal;
    if (signal?.aborted) {
      this.#end({ reason: 'aborted', cause: new AbortError('bulk()', false, signal.reason) });
      throw this.#error();
    }
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      if (signal === undefined) return;
      onAbort = () => {
        this.#end({ reason: 'aborted', cause: new AbortError('bulk()', this.#sent > 0, signal.reason) });
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      void this.#read();
      await Promise.race([this.#deliver(), aborted]);
      // After onReply failed, what was sent is still answered before the run settles.
      while (this.#stop?.reason === 'consumer' && this.#window.unanswered > 0) await this.#changed();
    } finally {
      if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
    }
    if (this.#stop !== undefined) throw this.#error();
    return { sent: this.#sent, ok: this.#ok, errors: this.#errors };
  }

  #error(): BulkError {
    return new BulkError(this.#stop!.reason, { sent: this.#sent, ok: this.#ok, errors: this.#errors }, this.#stop!.cause);
  }

  /** No more chunks may be opened. */
  #halted(): boolean {
    return this.#stop !== undefined || this.#unanswered !== undefined;
  }

  /** The first reason to stop wins; the source is closed unless it is what failed. */
  #end(stop: Stop): void {
    if (this.#stop !== undefined) return;
    this.#stop = stop;
    this.#closeSource();
    this.#notify();
  }

  #closeSource(): void {
    if (this.#exhausted || this.#closed) return;
    this.#closed = true;
    try {
      // Lets a generator run its finally blocks. Not awaited: an async one may be mid-read.
      const r = this.#source.it.return?.();
      if (r instanceof Promise) r.catch(() => undefined);
    } catch {
      // A source that fails while closing changes nothing about how the run ended.
    }
  }

  #changed(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #notify(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  // ── reading and sending ──────────────────────────────────────────────────────────────

  async #read(): Promise<void> {
    const win = this.#window;
    try {
      while (!this.#halted() && !this.#exhausted) {
        while (!win.canRead() && !this.#halted()) await this.#changed();
        if (this.#halted()) break;
        const read = await this.#readChunk();
        if (this.#halted()) break;
        if (read.cmds.length > 0) await this.#send(read.cmds);
        if (read.refused !== undefined && !this.#halted()) win.answer(win.open(1, []), [read.refused]);
        if (read.thrown !== undefined) this.#end({ reason: 'source', cause: read.thrown.error });
      }
    } catch (error) {
      // A bug of ours must still settle the run.
      this.#end({ reason: 'source', cause: error });
    }
    this.#readerDone = true;
    this.#notify();
  }

  /** Up to one chunk of commands; an async source's chunk is sent as soon as a read would wait. */
  async #readChunk(): Promise<Read> {
    const source = this.#source;
    const max = this.#window.limits.chunk;
    const cmds: Command<unknown>[] = [];
    let index = this.#window.read;
    try {
      if (source.kind === 'sync') {
        while (cmds.length < max) {
          const r = source.it.next();
          if (r.done === true) return this.#ended(cmds);
          const entry = this.#check(r.value, index++);
          if (entry instanceof Error) return { cmds, refused: entry };
          cmds.push(entry);
        }
        return { cmds };
      }
      while (cmds.length < max) {
        const pending = this.#carried ?? source.it.next();
        this.#carried = undefined;
        // With commands in hand, a read that would wait past this turn sends them first: the
        // source may be waiting for their replies.
        const r = cmds.length === 0 ? await pending : await Promise.race([pending, nextTick()]);
        if (r === TICK) {
          this.#carried = pending;
          break;
        }
        if (r.done === true) return this.#ended(cmds);
        const entry = this.#check(r.value, index++);
        if (entry instanceof Error) return { cmds, refused: entry };
        cmds.push(entry);
      }
      return { cmds };
    } catch (error) {
      this.#exhausted = true;
      return { cmds, thrown: { error } };
    }
  }

  #ended(cmds: Command<unknown>[]): Read {
    this.#exhausted = true;
    return { cmds, done: true };
  }

  /** A source entry as a command, or the error that takes its place. */
  #check(value: unknown, index: number): Command<unknown> | Error {
    const cmd = commandOfTuple(value, index, 'bulk');
    if (cmd instanceof Error) return cmd;
    try {
      checkArgs(cmd.name, cmd.args, this.#executor.maxArgumentBytes);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    return entryRefusal(cmd, index, this.#executor.path, 'bulk') ?? cmd;
  }

  async #send(cmds: Command<unknown>[]): Promise<void> {
    const win = this.#window;
    let prepared: PreparedChunk;
    try {
      prepared = this.#executor.prepare(cmds, this.#signal);
    } catch (error) {
      // Planning refused the chunk whole: each entry holds the reason.
      win.answer(win.open(cmds.length, []), failed(error, cmds.length));
      this.#notify();
      return;
    }
    while (!win.fits(prepared.loads) && !this.#halted()) await this.#changed();
    // Nothing awaits between this check and open(): a halted run opens no chunk.
    if (this.#halted()) return;
    const chunk = win.open(cmds.length, prepared.loads);
    this.#sent += cmds.length;
    let running: Promise<unknown[]>;
    try {
      running = prepared.run((node) => {
        win.release(chunk, node);
        this.#notify();
      });
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (replies) => this.#answered(chunk, replies),
      (error: unknown) => this.#answered(chunk, failed(error, cmds.length)),
    );
  }

  #answered(chunk: Chunk, replies: readonly unknown[]): void {
    this.#window.answer(chunk, replies);
    if (this.#unanswered === undefined) {
      for (let i = 0; i < replies.length; i++) {
        if (isUnanswered(replies[i])) {
          // Delivered in place like any reply; reading stops so nothing later is sent.
          this.#unanswered = { cause: replies[i] };
          this.#closeSource();
          break;
        }
      }
    }
    this.#notify();
  }

  // ── delivering ───────────────────────────────────────────────────────────────────────

  /** Hands replies over in order until every chunk is delivered or the run must end now. */
  async #deliver(): Promise<void> {
    const win = this.#window;
    const onReply = this.#onReply;
    // A source that threw still gets what it gave delivered; any other stop ends delivery.
    const stopped = (): boolean => this.#stop !== undefined && this.#stop.reason !== 'source';
    for (;;) {
      if (stopped()) return;
      const chunk = win.head();
      if (chunk === undefined) {
        // The reader may be stuck in an async source's read: once halted, it opens nothing more.
        if (win.pending === 0 && (this.#readerDone || this.#halted())) break;
        await this.#changed();
        continue;
      }
      const replies = chunk.replies!;
      for (let i = 0; i < replies.length; i++) {
        const reply = replies[i] as BulkReply;
        if (reply instanceof Error) this.#errors++;
        else this.#ok++;
        if (onReply === undefined) continue;
        try {
          const r = onReply(reply, chunk.first + i);
          if (r !== undefined && r !== null && typeof (r as PromiseLike<void>).then === 'function') await r;
        } catch (error) {
          this.#end({ reason: 'consumer', cause: error });
          return;
        }
        if (stopped()) return;
      }
      win.delivered();
      this.#notify();
    }
    if (this.#unanswered !== undefined) this.#end({ reason: 'unanswered', cause: this.#unanswered.cause });
  }
}

/** A chunk that failed whole: each entry gets its own error, written or not as far as known. */
function failed(error: unknown, size: number): Error[] {
  const written = error instanceof PipelineError ? error.written : 0;
  const out = new Array<Error>(size);
  for (let i = 0; i < size; i++) out[i] = entryFailure(error, i < written);
  return out;
}
