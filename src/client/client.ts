/**
 * The standalone client: typed methods over one multiplexed connection, `pipeline()`, `multi()`,
 * `watch()`, and a pool of dedicated connections for WATCH and blocking commands.
 * Thin on purpose: commands are built in commands/, written in connection/, batched in batch/.
 */
import { EventEmitter } from 'node:events';
import type { Command, RedisKey } from '../commands/command.js';
import { CommandMethods } from '../commands/methods.js';
import type { Apply, AsPromise } from '../commands/keyspace-methods.js';
import { isBlocking } from '../commands/keys.js';
import { commandRefusal } from '../commands/connection-state.js';
import { Connection } from '../connection/connection.js';
import { ConnectionPool } from '../connection/pool.js';
import type { EndpointSource } from '../connection/endpoint.js';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from '../connection/options.js';
import { Multi, Pipeline, type BatchExecutor, type CommandTuple } from '../batch/builders.js';
import { runSliced } from '../batch/slices.js';
import { readTransaction, transactionBlock } from '../batch/transaction.js';
import { runWatch, type WatchCallback, type WatchOptions } from '../batch/watch.js';
import { sendOne, sendPipeline, sendTransaction } from '../scripts/index.js';
import type { RespValue } from '../resp/types.js';

export interface ClientEvents {
  ready: [];
  error: [Error];
  reconnecting: [{ attempt: number; delay: number }];
  end: [];
  push: [RespValue[]];
}

export class Client extends CommandMethods<AsPromise> {
  /** Private: it holds the password, which nothing reachable from the client may show. */
  readonly #options: ResolvedOptions;
  readonly #conn: Connection;
  readonly #events = new EventEmitter<ClientEvents>();
  #pool: ConnectionPool | undefined;

  /** `endpoint` is for createSentinel: where to dial is asked before every open. */
  constructor(options: ClientOptions | string = {}, endpoint?: EndpointSource) {
    super();
    const resolved = resolveOptions(options);
    this.#options = endpoint === undefined ? resolved : { ...resolved, endpoint };
    this.#conn = new Connection(this.#options);
    for (const event of ['ready', 'reconnecting', 'end', 'push'] as const) {
      this.#conn.on(event, (...args: unknown[]) => (this.#events.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args));
    }
    this.#conn.on('error', (error) => this._emitError(error));
  }

  /** 'error' is informational (every command gets its own rejection): emitted only when listened to. */
  protected _emitError(error: Error): void {
    if (this.#events.listenerCount('error') > 0) this.#events.emit('error', error);
  }

  on<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): this {
    this.#events.on(event, listener as never);
    return this;
  }
  off<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): this {
    this.#events.off(event, listener as never);
    return this;
  }

  get status(): Connection['status'] {
    return this.#conn.status;
  }
  /** The RESP version the connection negotiated (3, or 2 on servers without HELLO). */
  get protocol(): 2 | 3 {
    return this.#conn.protocol;
  }

  async connect(): Promise<this> {
    await this.#conn.connect();
    return this;
  }

  /** Graceful: pending replies arrive, then QUIT. */
  async close(): Promise<void> {
    await Promise.all([this.#conn.close(), this.#pool?.close()]);
  }

  /** Immediate: pending commands are rejected with ConnectionError. */
  disconnect(): void {
    this.#conn.disconnect();
    this.#pool?.disconnect();
  }

  protected _run<T>(cmd: Command<T>): Apply<AsPromise, T> {
    const refusal = commandRefusal(cmd as Command<unknown>, 'client');
    if (refusal !== undefined) return Promise.reject(refusal);
    if (isBlocking(cmd.name, cmd.args)) return this.#runBlocking(cmd);
    return sendOne(this.#conn, cmd);
  }

  #runBlocking<T>(cmd: Command<T>): Promise<T> {
    return this.#poolOf().send(cmd);
  }

  #poolOf(): ConnectionPool {
    this.#pool ??= new ConnectionPool(this.#options);
    return this.#pool;
  }

  readonly #executor: BatchExecutor = {
    path: 'client',
    pipeline: (cmds) => runSliced(cmds, this.#options.maxBatch, (slice) => sendPipeline(this.#conn, slice)),
    transaction: async (cmds) => {
      const replies = await sendTransaction(this.#conn, cmds, transactionBlock(cmds));
      const outcome = readTransaction(replies, cmds);
      switch (outcome.kind) {
        case 'ran':
          return outcome.results;
        case 'watch-aborted':
          return null;
        case 'aborted':
        case 'redirected':
          throw outcome.error;
      }
    },
  };

  /** A non-atomic batch: `await client.pipeline().set('a', '1').get('a').exec()`. */
  pipeline(commands?: readonly CommandTuple[]): Pipeline {
    return new Pipeline(this.#executor, commands);
  }

  /** MULTI/EXEC: queue-time errors abort everything (ExecAbortError), exec-time errors stay in place. */
  multi(commands?: readonly CommandTuple[]): Multi {
    return new Multi(this.#executor, commands);
  }

  /**
   * Optimistic transaction on a dedicated connection: WATCH `keys`, read through `tx`, return
   * `tx.multi()...` to commit; retried with jittered backoff while a watched key changes.
   * Resolves with the EXEC results, or null when the callback returned nothing.
   */
  watch<R extends unknown[]>(keys: RedisKey | readonly RedisKey[], fn: WatchCallback<R>, options?: WatchOptions): Promise<R | null> {
    return runWatch(this.#poolOf(), keys, fn, options);
  }
}

export function createClient(options: ClientOptions | string = {}): Client {
  return new Client(options);
}
