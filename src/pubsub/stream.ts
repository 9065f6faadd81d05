/**
 * The async-iterator form of a subscription: a bounded buffer between the connection, which
 * cannot be slowed down (a Pub/Sub server never waits for a subscriber), and a consumer that
 * may be slower. Pure: no connection, no timer.
 *
 *   push(m) ─▶ buffer (at most `limit`) ─▶ next()
 *   end()       the iterator finishes once the buffer is drained: { done: true }
 *   overflow    a push into a full buffer: the buffer is kept, the message is not, the stream
 *               ends and, after the buffered messages, next() rejects with PubSubOverflowError
 *               (how many were lost). A consumer never sees a gap it is not told about.
 *   return()    the consumer left (break): `onLeave` runs once (the subscription is removed).
 */
import { PubSubOverflowError, UsageError } from '../errors.js';

export class MessageStream<M> implements AsyncIterableIterator<M> {
  readonly #limit: number;
  readonly #onLeave: () => void;
  readonly #buffer: M[] = [];
  #head = 0;
  #waiter: { resolve: (r: IteratorResult<M>) => void; reject: (e: unknown) => void } | undefined;
  #ended = false;
  #failure: Error | undefined;
  #left = false;

  constructor(limit: number, onLeave: () => void) {
    this.#limit = limit;
    this.#onLeave = onLeave;
  }

  /** Messages waiting to be read. */
  get buffered(): number {
    return this.#buffer.length - this.#head;
  }

  get ended(): boolean {
    return this.#ended;
  }

  push(m: M): void {
    if (this.#ended) return;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w.resolve({ value: m, done: false });
      return;
    }
    if (this.buffered >= this.#limit) {
      this.#failure = new PubSubOverflowError(this.#limit);
      this.#ended = true;
      this.#leave();
      return;
    }
    this.#buffer.push(m);
  }

  /** Ends the stream; `error` (if any) is thrown after the buffered messages. */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error !== undefined) this.#failure = error;
    const w = this.#waiter;
    if (w === undefined) return;
    this.#waiter = undefined;
    if (this.#failure !== undefined) w.reject(this.#failure);
    else w.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<M>> {
    if (this.buffered > 0) {
      const m = this.#buffer[this.#head]!;
      this.#buffer[this.#head++] = undefined as M;
      // Compact now and then so a long-lived stream does not keep a growing array.
      if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
        this.#buffer.splice(0, this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value: m, done: false });
    }
    if (this.#ended) {
      const failure = this.#failure;
      if (failure !== undefined) {
        this.#failure = undefined;
        return Promise.reject(failure);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter !== undefined) return Promise.reject(new UsageError('a subscription iterator: next() called again before the previous call settled'));
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<M>> {
    this.#buffer.length = 0;
    this.#head = 0;
    this.#failure = undefined;
    this.end();
    this.#leave();
    return Promise.resolve({ value: undefined, done: true });
  }

  #leave(): void {
    if (this.#left) return;
    this.#left = true;
    this.#onLeave();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
