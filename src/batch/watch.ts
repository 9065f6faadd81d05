/**
 * Optimistic transactions: WATCH on a dedicated pooled connection (WATCH is connection state,
 * so on the shared connection another caller's write would break it silently), a user callback
 * that reads through `tx` and returns `tx.multi()...`, EXEC, and a retry of the whole callback
 * with jittered backoff when EXEC answers null. The connection always goes back clean.
 */
import { ArgumentTypeError, UsageError, WatchConflictError, ReplyError } from '../errors.js';
import type { Command, RedisKey } from '../commands/command.js';
import { commandRefusal } from '../commands/connection-state.js';
import { CommandMethods } from '../commands/methods.js';
import { flattenKeys, type Apply, type AsPromise } from '../commands/keyspace-methods.js';
import type { Connection } from '../connection/connection.js';
import { Multi, type BatchExecutor } from './builders.js';
import { readTransaction, transactionBlock } from './transaction.js';
import { prefixCommand, prefixCommands, prefixKey } from '../commands/key-prefix.js';
import { sendOne, sendPipeline, sendTransaction } from '../connection/send.js';
import { backoffDelay } from '../connection/options.js';

/** How `watch()` retries when a watched key changed before EXEC. */
export interface WatchOptions {
  /** Attempts before WatchConflictError. Default 16. */
  maxAttempts?: number;
  /** Backoff between attempts in ms: a random delay in [0, min(maxDelay, baseDelay·2^attempt)]. */
  baseDelay?: number;
  maxDelay?: number;
  /** Called after each conflict (a watched key changed), e.g. to count them. */
  onConflict?: (attempt: number) => void;
}

/**
 * Where a WATCH callback reads and builds its transaction; bound to the dedicated connection and
 * to one attempt: only a Multi made by this object's multi() may be committed for it.
 */
export class WatchTransaction extends CommandMethods<AsPromise> {
  readonly #conn: Connection;
  readonly #executor: BatchExecutor;
  readonly #made = new WeakSet<Multi<unknown[]>>();
  #ended = false;

  readonly #keyPrefix: string | undefined;

  constructor(conn: Connection, keyPrefix?: string) {
    super();
    this.#conn = conn;
    this.#keyPrefix = keyPrefix;
    this.#executor = {
      path: 'watch',
      abortable: true,
      pipeline: (cmds, signal) => sendPipeline(conn, prefixCommands(cmds, keyPrefix), { signal }),
      transaction: async (given, signal) => {
        const cmds = prefixCommands(given, keyPrefix);
        const outcome = readTransaction(await sendTransaction(conn, cmds, transactionBlock(cmds), { signal }), cmds);
        if (outcome.kind === 'ran') return outcome.results;
        if (outcome.kind === 'watch-aborted') return null;
        throw outcome.error;
      },
    };
  }

  protected _run<T>(cmd: Command<T>): Apply<AsPromise, T> {
    if (this.#ended) return Promise.reject(new UsageError(`${cmd.name} through the tx of a finished watch() attempt: use the tx the callback was given this time`));
    const refusal = commandRefusal(cmd as Command<unknown>, 'watch');
    if (refusal !== undefined) return Promise.reject(refusal);
    return sendOne(this.#conn, prefixCommand(cmd, this.#keyPrefix));
  }

  /** The transaction to commit: return it from the callback (do not exec it yourself). */
  multi(): Multi {
    const m = new Multi(this.#executor);
    this.#made.add(m);
    return m;
  }

  /** Whether `m` is a Multi of this attempt: anything else would run without the WATCH. */
  owns(m: Multi<unknown[]>): boolean {
    return this.#made.has(m);
  }

  /** The attempt is over: this tx and its Multis are spent. */
  end(): void {
    this.#ended = true;
  }
}

/**
 * What `watch()` calls on each attempt, while a dedicated connection WATCHes the keys: read through
 * `tx`, then return `tx.multi()…` to commit it, or nothing to give up (watch() resolves null). When a
 * watched key changed before EXEC the callback runs again; after `maxAttempts`, WatchConflictError.
 */
export type WatchCallback<R extends unknown[]> = (
  tx: WatchTransaction,
  attempt: number,
) => Multi<R> | undefined | void | Promise<Multi<R> | undefined | void>;

export interface ConnectionSource {
  acquire(): Promise<Connection>;
  release(c: Connection): Promise<void>;
  destroy(c: Connection): Promise<void>;
}

export async function runWatch<R extends unknown[]>(
  source: ConnectionSource,
  keys: RedisKey | readonly RedisKey[],
  fn: WatchCallback<R>,
  options: WatchOptions = {},
  keyPrefix?: string,
): Promise<R | null> {
  const watched = flattenKeys([keys]).map((k) => prefixKey(k, keyPrefix));
  if (watched.length === 0) throw new ArgumentTypeError('watch', 0, keys, 'count', '(keys): at least one key is required');
  const maxAttempts = options.maxAttempts ?? 16;
  const baseDelay = options.baseDelay ?? 2;
  const maxDelay = options.maxDelay ?? 100;
  const conn = await source.acquire();
  let clean = false;
  try {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      await conn.send({ name: 'WATCH', args: watched });
      const tx = new WatchTransaction(conn, keyPrefix);
      let multi: Multi<R> | undefined | void;
      try {
        multi = await fn(tx, attempt);
      } finally {
        tx.end();
      }
      if (multi === undefined || multi === null) {
        await conn.send({ name: 'UNWATCH', args: [] });
        clean = true;
        return null;
      }
      // A Multi from client.multi() (or an earlier attempt) would commit without this WATCH:
      // a concurrent write to the watched keys would be lost. Only this attempt's may run.
      if (!(multi instanceof Multi) || !tx.owns(multi as Multi<unknown[]>)) {
        throw new UsageError(
          multi instanceof Multi
            ? 'watch(): the callback returned a Multi that is not the tx.multi() of this attempt (a client.multi() or an earlier attempt\'s would run without the WATCH); nothing was sent'
            : 'watch(): the callback must return tx.multi()... or nothing',
        );
      }
      const results = await multi.exec().catch((error: unknown) => {
        // EXEC (even an aborted one) clears WATCH on the server: the connection is clean.
        if (error instanceof ReplyError) clean = true;
        throw error;
      });
      if (results !== null) {
        clean = true;
        return results as R;
      }
      options.onConflict?.(attempt);
      if (attempt < maxAttempts) {
        // Full jitter: uniform in [0, min(maxDelay, baseDelay × 2^attempt)].
        const wait = backoffDelay({ initialDelay: baseDelay / 2, maxDelay: maxDelay / 2, jitter: 1 }, attempt);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    clean = true; // the last EXEC answered null, which also clears WATCH
    throw new WatchConflictError(maxAttempts, watched.map(String));
  } finally {
    if (!clean && conn.status === 'ready') {
      // The callback threw mid-way: drop the WATCH so the next borrower starts clean.
      clean = await conn.send({ name: 'UNWATCH', args: [] }).then(
        () => true,
        () => false,
      );
    }
    if (clean) await source.release(conn);
    else await source.destroy(conn);
  }
}
