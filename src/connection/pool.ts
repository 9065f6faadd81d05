/**
 * A pool of dedicated connections for work that owns a connection's state or blocks it:
 * WATCH transactions and blocking commands (BLPOP, XREAD BLOCK, ...). The shared multiplexed
 * connection never carries either. Built on generic-pool; connections are created lazily.
 */
import genericPool from 'generic-pool';
import { ConnectionError, ReplyError, TimeoutError } from '../errors.js';
import type { Command } from '../commands/command.js';
import { Connection } from './connection.js';
import { timeLimit } from './socket.js';
import type { HandshakeSettings } from './handshake.js';
import type { ResolvedOptions } from './options.js';

export class ConnectionPool {
  readonly #pool: genericPool.Pool<Connection>;
  /** Lent out now: close() and disconnect() reach them, so no borrower can hold the pool open. */
  readonly #borrowed = new Set<Connection>();
  readonly #waitLimit: number;
  #closed = false;

  constructor(options: ResolvedOptions, settings?: Partial<HandshakeSettings>) {
    // A pooled connection serves one borrower: no reconnect loop and no offline queue (a dead
    // one is destroyed and replaced), no command timeout and no health check (blocking commands
    // wait, silent, on purpose).
    const pooled: ResolvedOptions = { ...options, reconnect: false, offlineQueue: false, commandTimeout: 0, healthCheckInterval: 0 };
    this.#waitLimit = options.connectTimeout;
    this.#pool = genericPool.createPool<Connection>(
      {
        create: async () => {
          const c = new Connection(pooled, settings);
          await c.connect();
          return c;
        },
        destroy: async (c) => {
          c.disconnect();
        },
        validate: async (c) => c.status === 'ready',
      },
      { max: options.poolSize, min: 0, testOnBorrow: true, acquireTimeoutMillis: options.connectTimeout * 2 },
    );
  }

  get size(): number {
    return this.#pool.size;
  }
  get borrowed(): number {
    return this.#pool.borrowed;
  }

  async acquire(): Promise<Connection> {
    if (this.#closed) throw closed();
    const c = await this.#pool.acquire();
    if (this.#closed) {
      await this.#pool.destroy(c);
      throw closed();
    }
    this.#borrowed.add(c);
    return c;
  }

  /** Returns a connection whose state the borrower has reset (UNWATCH / nothing pending). */
  async release(c: Connection): Promise<void> {
    this.#borrowed.delete(c);
    if (c.status !== 'ready') await this.#pool.destroy(c);
    else await this.#pool.release(c);
  }

  /** Throws a connection away (its state is unknown, e.g. a blocking command was interrupted). */
  async destroy(c: Connection): Promise<void> {
    this.#borrowed.delete(c);
    await this.#pool.destroy(c);
  }

  /**
   * Runs one command (a blocking one, typically) on a borrowed connection. A reply error leaves
   * the connection clean and it goes back; anything else (lost, timed out) leaves it in doubt and
   * it is destroyed. With `limitMs` > 0 the reply must come within it (see commands/blocking.ts),
   * else the call fails with TimeoutError and the connection, its reply now unwanted, is destroyed.
   */
  async send<T>(cmd: Command<T>, limitMs = 0): Promise<T> {
    const c = await this.acquire();
    try {
      const reply = c.send(cmd);
      const out =
        limitMs > 0
          ? await timeLimit(reply, limitMs, () => {
              reply.catch(() => undefined);
              throw new TimeoutError(`${cmd.name} timed out after ${limitMs} ms (its server timeout plus commandTimeout)`, limitMs);
            })
          : await reply;
      await this.release(c);
      return out;
    } catch (error) {
      if (c.status === 'ready' && error instanceof ReplyError) await this.release(c);
      else await this.destroy(c);
      throw error;
    }
  }

  /**
   * Graceful: each borrowed connection closes the way Connection.close() does (its pending
   * replies, then QUIT, all within connectTimeout), so a `blpop(k, 0)` cannot hold this open;
   * then the pool waits, also bounded, for borrowers to hand their connections back.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#borrowed].map((c) => c.close()));
    await this.#drain();
  }

  /** Immediate: borrowed connections are destroyed and their pending commands rejected. */
  disconnect(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#borrowed) c.disconnect();
    void this.#drain();
  }

  async #drain(): Promise<void> {
    await timeLimit(this.#pool.drain(), this.#waitLimit, () => undefined);
    // A borrower that never hands its connection back (a callback stuck on something else)
    // still loses it: the connection is closed under it.
    for (const c of this.#borrowed) c.disconnect();
    await this.#pool.clear();
  }
}

function closed(): ConnectionError {
  return new ConnectionError('The connection pool is closed', 'client-closed');
}
