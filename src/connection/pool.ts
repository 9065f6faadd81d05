/**
 * A pool of dedicated connections for work that owns a connection's state or blocks it:
 * WATCH transactions and blocking commands (BLPOP, XREAD BLOCK, ...). The shared multiplexed
 * connection never carries either. Built on generic-pool; connections are created lazily.
 */
import genericPool from 'generic-pool';
import { ReplyError } from '../errors.js';
import type { Command } from '../commands/command.js';
import { Connection } from './connection.js';
import type { HandshakeSettings } from './handshake.js';
import type { ResolvedOptions } from './options.js';

export class ConnectionPool {
  readonly #pool: genericPool.Pool<Connection>;
  #closed = false;

  constructor(options: ResolvedOptions, settings?: Partial<HandshakeSettings>) {
    // A pooled connection serves one borrower: no reconnect loop and no offline queue (a dead
    // one is destroyed and replaced), no command timeout (blocking commands wait on purpose).
    const pooled: ResolvedOptions = { ...options, reconnect: false, offlineQueue: false, commandTimeout: 0 };
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

  acquire(): Promise<Connection> {
    return this.#pool.acquire();
  }

  /** Returns a connection whose state the borrower has reset (UNWATCH / nothing pending). */
  async release(c: Connection): Promise<void> {
    if (c.status !== 'ready') await this.#pool.destroy(c);
    else await this.#pool.release(c);
  }

  /** Throws a connection away (its state is unknown, e.g. a blocking command was interrupted). */
  async destroy(c: Connection): Promise<void> {
    await this.#pool.destroy(c);
  }

  /**
   * Runs one command (a blocking one, typically) on a borrowed connection. A reply error leaves
   * the connection clean and it goes back; anything else (lost, timed out) leaves it in doubt and
   * it is destroyed.
   */
  async send<T>(cmd: Command<T>): Promise<T> {
    const c = await this.acquire();
    try {
      const out = await c.send(cmd);
      await this.release(c);
      return out;
    } catch (error) {
      if (c.status === 'ready' && error instanceof ReplyError) await this.release(c);
      else await this.destroy(c);
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.drain();
    await this.#pool.clear();
  }
}
