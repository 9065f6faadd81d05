/**
 * The commands of one connection as plain data: what waits, what is to be written, what is in
 * flight, and the one way an entry ends. No sockets and no timers: connection.ts decides when
 * to hold, write or fail; this module keeps the order and settles.
 *
 *   send ─▶ unit ─┬─ fits now ───────────────▶ toWrite[] ──take() (one write)──▶ inFlight (FIFO)
 *                 │                               ▲                                │ each reply settles
 *                 └─ offline / maxInFlight ─▶ waiting ──admit(), in order──┘       ▼ the head
 *
 * A unit is one command or one batch (a pipeline slice, a MULTI…EXEC block). A batch moves as
 * one: it is held, admitted, written, refused or timed out whole, never entry by entry, so a
 * MULTI never reaches the socket without its EXEC and a batch's error can say exactly what was
 * written (all of it or none). `waiting` is strictly FIFO: admit() stops at the first unit that
 * does not fit, so nothing overtakes an earlier command.
 *
 * An entry that ends before its reply (timeout, a failed batch) stays in inFlight as 'done':
 * its reply is consumed and dropped there, so replies stay aligned with commands.
 */
import Denque from 'denque';
import { AbortError, PipelineError, ReplyError } from '../errors.js';
import type { ReplyTransform } from '../commands/command.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { Stamps } from '../diagnostics.js';

export const NO_ARGS: readonly RedisArg[] = Object.freeze([]);

/** 'queued': not written yet; 'written': on the wire, awaiting its reply; 'done': settled. */
export type Stage = 'queued' | 'written' | 'done';

/** One command on its way through the connection. */
export interface Pending {
  readonly name: string;
  /** Dropped (NO_ARGS) once written, to free memory; kept until then for error messages. */
  args: readonly RedisArg[];
  readonly transform: ReplyTransform<unknown> | undefined;
  readonly returnBuffers: boolean;
  /** Epoch ms after which the command times out; 0 = never. */
  readonly deadline: number;
  /** A command of its own: its promise. Null for an entry of a batch. */
  readonly resolve: ((value: unknown) => void) | null;
  readonly reject: ((error: unknown) => void) | null;
  /** An entry of a batch: the batch and the entry's place in it. */
  readonly batch: Batch | null;
  readonly index: number;
  stage: Stage;
  /** A subscribe-family command: the confirmations it still waits for (see wire.ts); else null. */
  readonly confirm: Confirmation | null;
}

/** The confirmation frames a subscribe-family command is answered by, one per name, in order. */
export interface Confirmation {
  readonly names: readonly string[];
  /** How many have arrived. */
  next: number;
}

/**
 * The replies of one batch, collected in order; it settles once, when its last entry settles.
 * `inPlace` (a pipeline): once written, an entry that gets no reply (connection lost, timeout)
 * holds its error at its index and the replies that arrived keep their values. Otherwise (a
 * MULTI block) the batch fails whole: all or nothing.
 */
export class Batch {
  readonly entries: Pending[] = [];
  readonly results: unknown[];
  remaining: number;
  /** Set when the batch reached the socket; a batch is written whole, so all or none. */
  written = false;
  done = false;
  /** Only when a tracing subscriber listens (diagnostics.ts BatchTiming); null costs one test per entry. */
  timing: Stamps | null = null;
  constructor(
    size: number,
    readonly resolve: (results: unknown[]) => void,
    readonly reject: (error: unknown) => void,
    readonly inPlace = false,
  ) {
    this.results = new Array<unknown>(size);
    this.remaining = size;
  }
}

export type Unit = Pending | Batch;

export interface CommandFields {
  readonly name: string;
  readonly args: readonly RedisArg[];
  readonly transform?: ReplyTransform<unknown> | undefined;
  readonly returnBuffers?: boolean | undefined;
  readonly confirmedBy?: readonly string[] | undefined;
}

/** One command with its own promise. */
export function single(cmd: CommandFields, returnBuffers: boolean, deadline: number, resolve: (v: unknown) => void, reject: (e: unknown) => void): Pending {
  return {
    name: cmd.name,
    args: cmd.args,
    transform: cmd.transform,
    returnBuffers: cmd.returnBuffers ?? returnBuffers,
    deadline,
    resolve,
    reject,
    batch: null,
    index: 0,
    stage: 'queued',
    confirm: cmd.confirmedBy === undefined ? null : { names: cmd.confirmedBy, next: 0 },
  };
}

/** A batch of commands settling together (one result per command, error replies in place). */
export function batchOf(
  cmds: readonly CommandFields[],
  returnBuffers: boolean,
  deadline: number,
  resolve: (r: unknown[]) => void,
  reject: (e: unknown) => void,
  inPlace = false,
): Batch {
  const b = new Batch(cmds.length, resolve, reject, inPlace);
  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[i]!;
    b.entries.push({
      name: c.name,
      args: c.args,
      transform: c.transform,
      returnBuffers: c.returnBuffers ?? returnBuffers,
      deadline,
      resolve: null,
      reject: null,
      batch: b,
      index: i,
      stage: 'queued',
      // The subscribe family is refused in batches (commands/connection-state.ts).
      confirm: null,
    });
  }
  return b;
}

const sizeOf = (u: Unit): number => (u instanceof Batch ? u.entries.length : 1);
const deadlineOf = (u: Unit): number => (u instanceof Batch ? u.entries[0]!.deadline : u.deadline);
const isDone = (u: Unit): boolean => (u instanceof Batch ? u.done : u.stage === 'done');

/**
 * The one place an entry ends:
 *   'value'   its reply;
 *   'error'   its error reply (a ReplyError, completed with the command's name) or a failing
 *             transform: rejects a command of its own, stays a value in place in a batch;
 *   'failure' no reply will be used (timeout, connection lost, refused): a batch fails whole,
 *             except an in-place batch already written, where the error takes the entry's place.
 * An entry already done (timed out) is left as it is: its late reply is dropped.
 */
export function settle(p: Pending, kind: 'value' | 'error' | 'failure', result: unknown): void {
  if (p.stage === 'done') return;
  const batch = p.batch;
  // The common case first: a plain reply to a command of its own.
  if (kind === 'value' && batch === null && p.transform === undefined) {
    p.stage = 'done';
    p.resolve!(result);
    return;
  }
  if (kind === 'failure') {
    if (batch !== null && !(batch.inPlace && p.stage === 'written')) failBatch(batch, result);
    else if (batch !== null) {
      p.stage = 'done';
      place(batch, p.index, result);
    }
    else {
      p.stage = 'done';
      p.reject!(result);
    }
    return;
  }
  p.stage = 'done';
  let out = result;
  if (kind === 'error') {
    if (out instanceof ReplyError && out.command === undefined) out = new ReplyError(out.message, p.name);
  } else if (p.transform !== undefined) {
    try {
      out = p.transform(result as RespValue);
    } catch (error) {
      out = error;
      kind = 'error';
    }
  }
  if (batch === null) {
    if (kind === 'error') p.reject!(out);
    else p.resolve!(out);
    return;
  }
  place(batch, p.index, out);
}

/** An entry's result at its index; the batch resolves with its last one. */
function place(b: Batch, index: number, result: unknown): void {
  b.results[index] = result;
  if (b.timing !== null) {
    const t = performance.now();
    b.timing.firstReply ??= t;
    if (b.remaining === 1) b.timing.lastReply = t;
  }
  if (--b.remaining === 0 && !b.done) {
    b.done = true;
    b.resolve(b.results);
  }
}

/** A batch fails as a whole; its entries on the wire stay to consume their replies. */
function failBatch(b: Batch, error: unknown): void {
  if (b.done) return;
  b.done = true;
  for (const e of b.entries) e.stage = 'done';
  const total = b.entries.length;
  // The caller's own abort comes back as itself, not wrapped.
  b.reject(
    error instanceof PipelineError || error instanceof AbortError
      ? error
      : new PipelineError(error instanceof Error ? `Batch failed: ${error.message}` : 'Batch failed', b.written ? total : 0, total, error),
  );
}

/**
 * The caller aborted: a unit not yet written is marked done, so take() and admit() skip it and
 * it is never sent; a written one is settled now and its reply, when it comes, is dropped.
 */
export function abortUnit(u: Unit, reason: unknown): void {
  if (u instanceof Batch) {
    if (!u.done) failBatch(u, new AbortError(`Batch of ${u.entries.length}`, u.written, reason));
  } else if (u.stage !== 'done') {
    settle(u, 'failure', new AbortError(u.name, u.stage === 'written', reason));
  }
}

/** Ends a whole unit without a reply (refused, timed out, connection gone). */
export function failUnit(u: Unit, error: unknown): void {
  if (u instanceof Batch) failBatch(u, error);
  else settle(u, 'failure', error);
}

export class CommandQueue {
  /** Accepted, not allowed on the wire yet (not connected, or maxInFlight reached), in order. */
  readonly #waiting = new Denque<Unit>();
  #waitingSize = 0;
  #toWrite: Pending[] = [];
  #inFlight = new Denque<Pending>();
  readonly #maxInFlight: number;
  /** The traced batches of the last take(), whose last byte written the wire stamps; usually null. */
  #timed: Stamps[] | null = null;

  constructor(maxInFlight: number) {
    this.#maxInFlight = maxInFlight;
  }

  /** Entries accepted and not yet answered, all lists. */
  get size(): number {
    return this.#waitingSize + this.#toWrite.length + this.#inFlight.length;
  }
  get waitingSize(): number {
    return this.#waitingSize;
  }
  get inFlightCount(): number {
    return this.#inFlight.length;
  }
  get hasToWrite(): boolean {
    return this.#toWrite.length > 0;
  }

  /**
   * Whether `size` more entries may go on the wire now: nothing waits ahead of them and
   * maxInFlight has room. A batch larger than maxInFlight goes alone, when the wire is empty.
   */
  fits(size: number): boolean {
    if (this.#waiting.length > 0) return false;
    const busy = this.#toWrite.length + this.#inFlight.length;
    return busy + size <= this.#maxInFlight || busy === 0;
  }

  /** Adds a unit to the next write; returns how many entries that write holds now. */
  push(u: Unit): number {
    if (u instanceof Batch) for (const e of u.entries) this.#toWrite.push(e);
    else this.#toWrite.push(u);
    return this.#toWrite.length;
  }

  /** push() for one command: the hot path, no type test. */
  pushOne(p: Pending): number {
    return this.#toWrite.push(p);
  }

  /** Holds a unit behind the others until admit() lets it through. */
  hold(u: Unit): void {
    this.#waiting.push(u);
    this.#waitingSize += sizeOf(u);
  }

  /** Moves held units to the write list, in order, while they fit. True if any moved. */
  admit(): boolean {
    let moved = false;
    for (let u = this.#waiting.peekFront(); u !== undefined; u = this.#waiting.peekFront()) {
      const n = sizeOf(u);
      if (!isDone(u)) {
        const busy = this.#toWrite.length + this.#inFlight.length;
        if (busy + n > this.#maxInFlight && busy !== 0) break;
        this.push(u);
        moved = true;
      }
      this.#waiting.shift();
      this.#waitingSize -= n;
    }
    return moved;
  }

  /**
   * Takes the write list for one write: each live entry is handed to `add` and moves to
   * inFlight. A batch is in the list whole, so it is written whole.
   */
  take(writer: { add(name: string, args: readonly RedisArg[]): void }): void {
    const list = this.#toWrite;
    if (list.length === 0) return;
    this.#toWrite = [];
    const inFlight = this.#inFlight;
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (p.stage === 'done') continue;
      writer.add(p.name, p.args);
      p.args = NO_ARGS;
      p.stage = 'written';
      if (p.batch !== null) {
        p.batch.written = true;
        if (p.batch.timing !== null && p.index === 0) this.#stampWrite(p.batch.timing);
      }
      inFlight.push(p);
    }
  }

  #stampWrite(t: Stamps): void {
    t.firstByteWritten = performance.now();
    (this.#timed ??= []).push(t);
  }

  /** The traced batches the last take() wrote (then forgets them); null when there were none. */
  takeTimed(): Stamps[] | null {
    const t = this.#timed;
    this.#timed = null;
    return t;
  }

  /** An entry written ahead of everything else (the handshake, on a fresh socket). */
  pushWritten(p: Pending): void {
    p.stage = 'written';
    this.#inFlight.push(p);
  }

  /** The entry the next reply belongs to. */
  nextReply(): Pending | undefined {
    return this.#inFlight.shift();
  }
  peekReply(): Pending | undefined {
    return this.#inFlight.peekFront();
  }

  /** Every written entry fails (the socket is gone or the stream broke): they may have run. */
  failWritten(error: unknown): void {
    const inFlight = this.#inFlight;
    this.#inFlight = new Denque<Pending>();
    for (let p = inFlight.shift(); p !== undefined; p = inFlight.shift()) settle(p, 'failure', error);
  }

  /** The write list goes back to the head of `waiting`, in order, to go out on the next socket. */
  requeueUnwritten(): void {
    const list = this.#toWrite;
    this.#toWrite = [];
    for (let i = list.length - 1; i >= 0; i--) {
      const p = list[i]!;
      if (p.stage === 'done') continue;
      // A batch's entries are contiguous in the list: the batch goes back once, as one unit.
      if (p.batch !== null && p.index !== 0) continue;
      const u: Unit = p.batch ?? p;
      this.#waiting.unshift(u);
      this.#waitingSize += sizeOf(u);
    }
  }

  /** Everything not yet written fails, unwritten. */
  failUnwritten(error: unknown): void {
    const list = this.#toWrite;
    this.#toWrite = [];
    for (const p of list) failUnit(p.batch ?? p, error);
    for (let u = this.#waiting.shift(); u !== undefined; u = this.#waiting.shift()) failUnit(u, error);
    this.#waitingSize = 0;
  }

  /**
   * Fails every entry whose deadline has passed (`timeout(name, written)` builds its error); returns the
   * next deadline still ahead, or 0. Deadlines grow along each list, so each walk stops early.
   */
  expire(now: number, timeout: (name: string, written: boolean) => Error): number {
    let next = 0;
    const ahead = (d: number): void => {
      if (next === 0 || d < next) next = d;
    };
    for (let i = 0; i < this.#inFlight.length; i++) {
      const p = this.#inFlight.peekAt(i)!;
      if (p.stage === 'done' || p.deadline === 0) continue;
      if (p.deadline > now) {
        ahead(p.deadline);
        break;
      }
      settle(p, 'failure', timeout(p.name, true));
    }
    for (const p of this.#toWrite) {
      if (p.stage === 'done' || p.deadline === 0) continue;
      if (p.deadline > now) {
        ahead(p.deadline);
        break;
      }
      failUnit(p.batch ?? p, timeout(p.batch === null ? p.name : `Batch of ${p.batch.entries.length}`, false));
    }
    // Held units expire from the head; nothing of them was written.
    for (let u = this.#waiting.peekFront(); u !== undefined; u = this.#waiting.peekFront()) {
      const d = deadlineOf(u);
      if (!isDone(u) && (d === 0 || d > now)) {
        if (d !== 0) ahead(d);
        break;
      }
      this.#waiting.shift();
      this.#waitingSize -= sizeOf(u);
      if (!isDone(u)) failUnit(u, timeout(u instanceof Batch ? `Batch of ${u.entries.length}` : u.name, false));
    }
    return next;
  }
}
