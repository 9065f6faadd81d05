/**
 * Optimistic transactions: WATCH on a dedicated pooled connection (WATCH is connection state,
 * so on the shared connection another caller's write would break it silently), a user callback
 * that reads through `tx` and returns `tx.multi()...`, EXEC, and a retry of the whole callback
 * with jittered backoff when EXEC answers null. The connection always goes back clean.
 */
import { SlotlineError, WatchConflictError, ReplyError } from '../errors.js';
import type { Command } from '../commands/command.js';
import { CommandMethods } from '../commands/methods.js';
import { flattenKeys, type Apply, type AsPromise, type RedisKey } from '../commands/keyspace-methods.js';
import type { Connection } from '../connection/connection.js';
import { Multi, type BatchExecutor } from './builders.js';
import { readTransaction, transactionBlock } from './transaction.js';
import { sendOne, sendPipeline, sendTransaction } from '../connection/send.js';

export interface WatchOptions {
  /** Attempts before WatchConflictError. Default 16. */
  maxAttempts?: number;
  /** Backoff between attempts in ms: a random delay in [0, min(maxDelay, baseDelay·2^attempt)]. */
  baseDelay?: number;
  maxDelay?: number;
  /** Called after each conflict (a watched key changed), e.g. to count them. */
  onConflict?: (attempt: number) => void;
}

/** Where a WATCH callback reads and builds its transaction; bound to the dedicated connection. */
export class WatchTransaction extends CommandMethods<AsPromise> {
  readonly #conn: Connection;
  readonly #executor: BatchExecutor;

  constructor(conn: Connection) {
    super();
    this.#conn = conn;
    this.#executor = {
      pipeline: (cmds) => sendPipeline(conn, cmds),
      transaction: async (cmds) => {
        const outcome = readTransaction(await sendTransaction(conn, cmds, transactionBlock(cmds)), cmds);
        if (outcome.kind === 'ran') return outcome.results;
        if (outcome.kind === 'watch-aborted') return null;
        throw outcome.error;
      },
    };
  }

  protected _run<T>(cmd: Command<T>): Apply<AsPromise, T> {
    if (cmd.name === 'MULTI' || cmd.name === 'EXEC' || cmd.name === 'DISCARD' || cmd.name === 'WATCH' || cmd.name === 'UNWATCH') {
      return Promise.reject(new SlotlineError(`${cmd.name} inside watch(): return tx.multi()...; from the callback instead`));
    }
    return sendOne(this.#conn, cmd);
  }

  /** The transaction to commit: return it from the callback (do not exec it yourself). */
  multi(): Multi {
    return new Multi(this.#executor);
  }
}

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
): Promise<R | null> {
  const watched = flattenKeys([keys]);
  if (watched.length === 0) throw new TypeError('watch(): at least one key is required');
  const maxAttempts = options.maxAttempts ?? 16;
  const baseDelay = options.baseDelay ?? 2;
  const maxDelay = options.maxDelay ?? 100;
  const conn = await source.acquire();
  let clean = false;
  try {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      await conn.send({ name: 'WATCH', args: watched });
      const tx = new WatchTransaction(conn);
      const multi = await fn(tx, attempt);
      if (multi === undefined || multi === null) {
        await conn.send({ name: 'UNWATCH', args: [] });
        clean = true;
        return null;
      }
      if (!(multi instanceof Multi)) throw new TypeError('watch(): the callback must return tx.multi()... or nothing');
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
        const cap = Math.min(maxDelay, baseDelay * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
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
