/**
 * The standalone client: typed methods over one multiplexed connection, `pipeline()`, `multi()`,
 * `watch()`, and a pool of dedicated connections for WATCH and blocking commands.
 * Thin on purpose: commands are built in commands/, written in connection/, batched in batch/.
 */
import { EventEmitter } from 'node:events';
import { InvalidOptionError } from '../errors.js';
import type { Command, RedisKey } from '../commands/command.js';
import { CommandMethods } from '../commands/methods.js';
import type { Apply, AsPromise } from '../commands/keyspace-methods.js';
import { isBlocking } from '../commands/keys.js';
import { blockingLimitMs } from '../commands/blocking.js';
import { commandRefusal } from '../commands/connection-state.js';
import { Connection, type ConnectionEvents } from '../connection/connection.js';
import { ConnectionPool } from '../connection/pool.js';
import type { EndpointSource } from '../connection/endpoint.js';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from '../connection/options.js';
import { Multi, Pipeline, type BatchExecutor, type CommandTuple } from '../batch/builders.js';
import { runSliced } from '../batch/slices.js';
import { ONE_NODE, runBulk, type BulkCommand, type BulkExecutor, type BulkOptions, type BulkResult } from '../batch/bulk.js';
import { readTransaction, transactionBlock } from '../batch/transaction.js';
import { prefixCommand, prefixCommands } from '../commands/key-prefix.js';
import { asItems, scanPage, scanWords, ScanningMethods, walkCursor, type ScanIteratorOptions } from '../commands/scan-iterators.js';
import { runWatch, type WatchCallback, type WatchOptions } from '../batch/watch.js';
import { sendOne, sendPipeline, sendTransaction } from '../connection/send.js';
import type { RespValue } from '../resp/types.js';
import { ClientCache, type CacheStats } from '../cache/store.js';
import { PubSubHub, type ResubscribedEvent } from '../pubsub/hub.js';
import { Lane } from '../pubsub/lane.js';
import { pubsubMethods, type PubSubMethods } from '../pubsub/api.js';

/** What the client emits: its connection's events (connection/connection.ts), and Pub/Sub's. */
export interface ClientEvents extends ConnectionEvents {
  /** After a reconnect, every subscription was restored on the new connection (docs/pubsub.md). */
  resubscribed: [ResubscribedEvent];
}

const FORWARDED = ['connect', 'ready', 'reconnecting', 'end', 'push'] as const;

// The class is an EventEmitter at run time (KeyspaceMethods' root); this gives it the typed API.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Client extends EventEmitter<ClientEvents>, PubSubMethods {}

/**
 * A client for one server (`createClient`): typed methods, `call()` for any command, `pipeline()`,
 * `multi()`, `watch()`, scripts and functions, over one multiplexed connection with automatic
 * pipelining; WATCH and blocking commands use a small pool of dedicated connections.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Client extends ScanningMethods {
  /** Private: it holds the password, which nothing reachable from the client may show. */
  readonly #options: ResolvedOptions;
  /** The options as given, for duplicate(); private for the same reason. */
  readonly #given: ClientOptions;
  readonly #conn: Connection;
  #pool: ConnectionPool | undefined;
  /** Pub/Sub, made on the first subscribe (docs/pubsub.md). */
  #pubsub: PubSubHub | undefined;
  /** Under RESP2 the subscriptions' own connection; under RESP3 they share #conn. */
  #subscriber: Connection | undefined;

  /** `endpoint` is for createSentinel: where to dial is asked before every open. */
  constructor(options: ClientOptions | string = {}, endpoint?: EndpointSource) {
    super();
    const resolved = resolveOptions(options);
    this.#options = endpoint === undefined ? resolved : { ...resolved, endpoint };
    this.#given = typeof options === 'string' ? { url: options } : { ...options };
    const cache = this.#options.clientCache;
    this.#conn = new Connection(this.#options, undefined, cache === undefined ? undefined : new ClientCache(cache));
    for (const event of FORWARDED) {
      this.#conn.on(event, (...args: unknown[]) => (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args));
    }
    this.#conn.on('error', (error) => this._emitError(error));
    // Own properties rather than class methods: the overloads are declared once, in pubsub/api.ts.
    Object.assign(this, pubsubMethods(() => this.#hub()));
    if (!this.#options.lazyConnect) this.#start();
  }

  #hub(): PubSubHub {
    if (this.#pubsub !== undefined) return this.#pubsub;
    let conn = this.#conn;
    let start = (): void => {
      if (this.#conn.status === 'idle') this.#start();
    };
    if (this.#options.protocol === 2) {
      const sub = (this.#subscriber = new Connection(this.#options));
      sub.markSubscriber();
      sub.on('error', (error) => this._emitError(error));
      conn = sub;
      start = () => {
        if (sub.status === 'idle') sub.connect(true).catch((error: unknown) => this._emitError(error));
      };
    }
    const lane = new Lane(conn, this.#options.returnBuffers, { resubscribed: (e) => this.emit('resubscribed', e), error: (e) => this._emitError(e) }, start);
    this.#pubsub = lane.hub = new PubSubHub(lane, (e) => this._emitError(e));
    return this.#pubsub;
  }

  /** 'error' is informational (every command gets its own rejection): emitted only when listened to. */
  protected _emitError(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
  }

  /**
   * Starts the connection without a caller awaiting it (lazy connect, lazyConnect: false): a
   * failed first open is retried like a lost connection, what waits in the offline queue bounded
   * by commandTimeout; only the server refusing the handshake (auth, SELECT) ends the client.
   */
  #start(): void {
    this.#conn.connect(true).catch((error: unknown) => this._emitError(error));
  }

  /** Where the connection is in its life: 'idle', 'connecting', 'ready', 'reconnecting', 'closing' or 'closed'. */
  get status(): Connection['status'] {
    return this.#conn.status;
  }
  /** The RESP version the connection negotiated (3, or 2 on servers without HELLO). */
  get protocol(): 2 | 3 {
    return this.#conn.protocol;
  }

  /** The client-side cache's counters (clientCache; all zero without it). See docs/caching.md. */
  cacheStats(): CacheStats {
    return this.#conn.cacheStats;
  }

  /** Opens the connection (handshake included) and resolves with the client once it is ready; rejects with ConnectionError when it cannot. */
  async connect(): Promise<this> {
    await this.#conn.connect();
    return this;
  }

  /** Graceful: pending replies arrive, then QUIT. */
  async close(): Promise<void> {
    this.#pubsub?.close();
    await Promise.all([this.#conn.close(), this.#pool?.close(), this.#subscriber?.close()]);
  }

  /** Immediate: pending commands are rejected with ConnectionError. */
  disconnect(): void {
    this.#pubsub?.close();
    this.#subscriber?.disconnect();
    this.#conn.disconnect();
    this.#pool?.disconnect();
  }

  // ── Conveniences (issue 14 item 6): duplicate, quit, await using, isReady ──

  /** A new client with the same options and `overrides` on top, as createClient() would make it. */
  duplicate(overrides: ClientOptions = {}): Client {
    return new Client({ ...this.#given, ...overrides });
  }

  /** The same as close() (ioredis and node-redis spell it quit). */
  quit(): Promise<void> {
    return this.close();
  }

  /** `await using client = createClient(...)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** True while the connection is open and its handshake done: commands go out at once. */
  get isReady(): boolean {
    return this.#conn.status === 'ready';
  }

  protected _run<T>(given: Command<T>): Apply<AsPromise, T> {
    const cmd = prefixCommand(given, this.#options.keyPrefix);
    const refusal = commandRefusal(cmd as Command<unknown>, 'client');
    if (refusal !== undefined) return Promise.reject(refusal);
    if (isBlocking(cmd.name, cmd.args)) return this.#runBlocking(cmd);
    if (this.#conn.status === 'idle') this.#start();
    return sendOne(this.#conn, cmd);
  }

  /** On a pooled connection, limited to the command's own server timeout plus commandTimeout. */
  #runBlocking<T>(cmd: Command<T>): Promise<T> {
    return this.#poolOf().send(cmd, blockingLimitMs(cmd.name, cmd.args, this.#options.commandTimeout));
  }

  #poolOf(): ConnectionPool {
    this.#pool ??= new ConnectionPool(this.#options);
    return this.#pool;
  }

  /**
   * Every key (SCAN), one per step: `for await (const k of client.scanIterator({ match: 'user:*' }))`.
   * With keyPrefix, only the prefix's keys (they come back with the prefix). Options: match,
   * count (default 100), type.
   */
  scanIterator(options?: ScanIteratorOptions): AsyncGenerator<string, void, undefined> {
    const run = <R>(cmd: Command<R>): Promise<R> => this._run(cmd);
    const anyKey = this.#options.keyPrefix !== undefined;
    return (async function* () {
      const words = scanWords('SCAN', options, anyKey);
      yield* walkCursor((cursor) => run(scanPage('SCAN', undefined, cursor, words)), asItems);
    })();
  }

  /**
   * The typed methods and `call()` with per-call options:
   * `await client.withOptions({ signal }).get(key)`. Cheap (one small object); the options
   * apply to every command issued through it. See CallOptions.
   */
  withOptions(options: CallOptions): CommandMethods<AsPromise> {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('withOptions', 'withOptions() takes an object such as { signal }');
    const { signal } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError('signal', 'Option signal must be an AbortSignal');
    return new WithOptions((cmd) => this._run(signal === undefined ? cmd : { ...cmd, signal }));
  }

  readonly #executor: BatchExecutor = {
    path: 'client',
    abortable: true,
    // A pipeline keeps errors in place: a lost connection leaves the replies that arrived.
    pipeline: (given, signal) => {
      const cmds = prefixCommands(given, this.#options.keyPrefix);
      if (this.#conn.status === 'idle') this.#start();
      return runSliced(cmds, this.#options.maxBatch, (slice) => sendPipeline(this.#conn, slice, { errorsInPlace: true, signal }));
    },
    transaction: async (given, signal) => {
      const cmds = prefixCommands(given, this.#options.keyPrefix);
      if (this.#conn.status === 'idle') this.#start();
      const replies = await sendTransaction(this.#conn, cmds, transactionBlock(cmds), { signal });
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
   * Streams commands of any number in constant memory: `source` is read lazily, at most
   * `window` commands are in flight, replies (errors in place) go to `onReply(reply, index)` in
   * the source's order. Resolves with { sent, ok, errors }; rejects with BulkError when it ends
   * early. See BulkOptions and docs/pipelining-transactions-scripts.md.
   */
  bulk(source: Iterable<BulkCommand> | AsyncIterable<BulkCommand>, options?: BulkOptions): Promise<BulkResult> {
    this.#bulkExecutor ??= {
      path: 'client',
      maxBatch: this.#options.maxBatch,
      maxArgumentBytes: this.#options.maxArgumentBytes,
      maxWindow: this.#options.offlineQueue ? this.#options.maxOfflineQueue : Number.POSITIVE_INFINITY,
      // A chunk is at most maxBatch long: one slice of the pipeline path, abortable until written.
      prepare: (cmds, signal) => ({ loads: [[ONE_NODE, cmds.length]], run: () => this.#executor.pipeline(cmds, signal) }),
    };
    return runBulk(source, options, this.#bulkExecutor);
  }
  #bulkExecutor: BulkExecutor | undefined;

  /**
   * Optimistic transaction on a dedicated connection: WATCH `keys`, read through `tx`, return
   * `tx.multi()...` to commit; retried with jittered backoff while a watched key changes.
   * Resolves with the EXEC results, or null when the callback returned nothing.
   */
  watch<R extends unknown[]>(keys: RedisKey | readonly RedisKey[], fn: WatchCallback<R>, options?: WatchOptions): Promise<R | null> {
    return runWatch(this.#poolOf(), keys, fn, options, this.#options.keyPrefix);
  }
}

/** Options for the commands issued through `client.withOptions(...)`. */
export interface CallOptions {
  /**
   * Cancels the command. Aborted before it was written: never sent, rejects with AbortError
   * (written: false). After: rejects at once with AbortError (written: true, it may have run);
   * its late reply is read and dropped, never handed to another command.
   */
  readonly signal?: AbortSignal | undefined;
}

/** The client's commands, with the per-call options of withOptions() applied. */
class WithOptions extends CommandMethods<AsPromise> {
  readonly #run: <T>(cmd: Command<T>) => Promise<T>;
  constructor(run: <T>(cmd: Command<T>) => Promise<T>) {
    super();
    this.#run = run;
  }
  protected _run<T>(cmd: Command<T>): Apply<AsPromise, T> {
    return this.#run(cmd);
  }
}

/**
 * A client for one server, from a `redis://` / `rediss://` URL or options. By default it connects on
 * first use (`lazyConnect: true`); `await client.connect()` connects now and waits until it is ready.
 */
export function createClient(options: ClientOptions | string = {}): Client {
  return new Client(options);
}
