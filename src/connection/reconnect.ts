/**
 * The reconnect schedule of one connection: the attempt count since the last ready socket,
 * the one pending delay timer, and the decisions of whether to go on (how long to wait is
 * options.ts's reconnectDelay()). Connection owns the states; this owns the counting and the
 * timer, so at most one delay exists at a time and the count resets in one place.
 */
import { ConnectionError, ReplyError } from '../errors.js';
import { reconnectDelay, type ResolvedOptions } from './options.js';
import { isCertificateRefusal } from './socket.js';

/**
 * Whether a failed first connect is retried like a lost connection: only with `retry` (lazy
 * connect, no caller waiting) and reconnect on. The server's own refusal (auth, SELECT) and an
 * untrusted certificate end it: retrying would only turn a clear reason into a TimeoutError
 * for every waiting command.
 */
export function retriesFirstConnect(retry: boolean, options: ResolvedOptions, failure: Error): boolean {
  return retry && options.reconnect !== false && !(failure.cause instanceof ReplyError) && !isCertificateRefusal(failure.cause);
}

/** One connection's reconnect delays: Connection calls next() on a loss, reset() on ready, cancel() at the end. */
export class ReconnectSchedule {
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;

  /** Attempts since the last ready socket (the one under way included). */
  get attempt(): number {
    return this.#attempt;
  }
  /** A delay is running. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Starts the next delay, after which `run` opens; returns the delay, or the error to finish
   * with when reconnectDelay() says stop (the count is then left as it was).
   */
  next(options: ResolvedOptions, address: string, lastError: Error | undefined, run: () => void): number | ConnectionError {
    const r = options.reconnect;
    if (r === false) return new ConnectionError(`Connection to ${address} lost and reconnect is disabled`, 'closed');
    const delay = reconnectDelay(r, this.#attempt + 1, lastError);
    if (delay instanceof Error) {
      return new ConnectionError(`Gave up reconnecting to ${address} after ${this.#attempt} attempts: ${delay.message}`, 'reconnect-gave-up', { cause: delay });
    }
    this.#attempt++;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      run();
    }, delay);
    return delay;
  }

  /** A socket became ready: the next loss starts counting from 1 again. */
  reset(): void {
    this.#attempt = 0;
  }

  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
