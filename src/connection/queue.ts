/**
 * The commands of one connection as plain data: what waits, what is to be written, what is in
 * flight. The entries themselves, and how each ends, are entries.ts's. No sockets and no timers:
 * connection.ts decides when to hold, write or fail; this module keeps the order.
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
import type { RedisArg } from '../resp/types.js';
import type { Stamps } from '../diagnostics.js';
import { Batch, failUnit, NO_ARGS, settle, type Pending, type Unit } from './entries.js';

const sizeOf = (u: Unit): number => (u instanceof Batch ? u.entries.length : 1);
const deadlineOf = (u: Unit): number => (u instanceof Batch ? u.entries[0]!.deadline : u.deadline);
const isDone = (u: Unit): boolean => (u instanceof Batch ? u.done : u.stage === 'done');

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
