/**
 * Sentinel events as they happen: one RESP3 subscription per sentinel (the failover's leader
 * is the only one that announces its steps, and any of them may be the leader), each started
 * again with a bounded backoff when its sentinel goes away, until close(). Hands every message
 * to one callback; knows nothing of what the messages mean. Must not import the client.
 *
 * RESP3 because `message` then arrives as a push: a RESP2 SUBSCRIBE would put unsolicited
 * replies on a connection that matches replies to commands in order.
 */
import { Connection } from '../connection/connection.js';
import { resolveOptions, type ClientOptions } from '../connection/options.js';
import type { Endpoint } from '../connection/endpoint.js';
import { command } from '../commands/command.js';
import type { RespValue } from '../resp/types.js';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;

export interface EventHandlers {
  /** A push from the sentinel at `from` ('message' or a subscription confirmation). */
  push(value: RespValue[], from: Endpoint): void;
  error(error: Error): void;
}

export class SentinelEvents {
  readonly #options: ClientOptions;
  readonly #channels: readonly string[];
  readonly #on: EventHandlers;
  readonly #subs = new Map<Endpoint, Connection>();
  readonly #timers = new Map<Endpoint, NodeJS.Timeout>();
  readonly #failures = new Map<Endpoint, number>();
  #closed = false;

  constructor(options: ClientOptions, channels: readonly string[], on: EventHandlers) {
    this.#options = options;
    this.#channels = channels;
    this.#on = on;
  }

  /** Subscribes on every sentinel not already subscribed to or waiting to retry. */
  start(sentinels: readonly Endpoint[]): void {
    for (const at of sentinels) this.#subscribe(at);
  }

  /** A confirmation came from `at`: its next failure starts the backoff from the beginning. */
  confirmed(at: Endpoint): void {
    this.#failures.delete(at);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const conn of this.#subs.values()) conn.disconnect();
    this.#subs.clear();
  }

  #subscribe(at: Endpoint): void {
    if (this.#closed || this.#subs.has(at) || this.#timers.has(at)) return;
    const conn = new Connection(resolveOptions({ ...this.#options, host: at.host, port: at.port, protocol: 3, commandTimeout: 0 }));
    this.#subs.set(at, conn);
    conn.on('push', (push) => this.#on.push(push, at));
    conn.on('end', () => {
      if (this.#subs.get(at) !== conn) return;
      this.#subs.delete(at);
      if (this.#closed) return;
      const failures = this.#failures.get(at) ?? 0;
      this.#failures.set(at, failures + 1);
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(failures, 5));
      this.#timers.set(
        at,
        setTimeout(() => {
          this.#timers.delete(at);
          this.#subscribe(at);
        }, delay),
      );
    });
    conn
      .connect()
      .then(() => {
        // Answered by pushes, not a reply: this promise settles only when the connection ends,
        // and nothing else is ever sent on it, so no reply can be matched to the wrong command.
        conn.send(command('SUBSCRIBE', this.#channels)).catch(() => undefined);
      })
      .catch((error: unknown) => {
        // Said once per run of failures ('end' has counted this one), not at every retry.
        if (this.#failures.get(at) === 1) this.#on.error(error instanceof Error ? error : new Error(String(error)));
      });
  }
}
