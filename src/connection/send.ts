/**
 * The path every command takes to the wire, for the standalone client, a WATCH connection and
 * each cluster node alike: one command, a pipeline, a MULTI block. Commands carrying a script
 * (EVALSHA) or a library (FCALL) get their load in the same write, and the NOSCRIPT /
 * missing-function repair of scripts/loads.ts runs here. Imports connection types and
 * scripts/loads.ts; must not import the batch builders, the client or the cluster.
 *
 * Pipeline, script S not held by this connection generation:
 *
 *   written: SCRIPT LOAD S, c1, EVALSHA S, c3        replies: sha, r1, r2, r3
 *   returned: [r1, r2, r3]                            (the load's reply is dropped)
 *
 * If r2 is still NOSCRIPT (flushed between the load and the call), a second write
 * `SCRIPT LOAD S, EVALSHA S` follows and its reply takes r2's place: that entry ran after c3.
 * When that second write fails, only r2's place gets the failure: c1 and c3 ran and keep theirs.
 *
 * `asking` (a cluster ASK redirect): every command is written right after its own ASKING, loads
 * stay in front (ASKING only covers the next command), and so does a repair:
 *
 *   written: SCRIPT LOAD S, ASKING, EVALSHA S          returned: [r]
 *
 * Transaction: the loads go inside the block, right after MULTI, so they run atomically with the
 * calls; with `asking`, one ASKING before MULTI covers the whole block (the server keeps the
 * flag until EXEC):
 *
 *   written: [ASKING,] MULTI, SCRIPT LOAD S, FUNCTION LOAD [REPLACE] L, c1 … cn, EXEC
 *   returned: the replies of MULTI, c1 … cn, EXEC, as if only the caller's block had been sent.
 */
import { ConnectionError, PipelineError } from '../errors.js';
import type { Command } from '../commands/command.js';
import type { GenerationSource } from '../scripts/known.js';
import { carriesLoad, forget, holds, isMissing, pendingLoads, settleLoads, stripTransactionLoads, transactionLoads, unmark } from '../scripts/loads.js';
import type { BatchOptions, Connection } from './connection.js';

/** How a batch is sent: after ASKING per command (a cluster ASK), errors in place, abortable. */
export interface SendOptions extends BatchOptions {
  readonly asking?: boolean;
}

const PLAIN: SendOptions = Object.freeze({});

/** What the senders use of a connection; a Connection satisfies it, and so can a test double. */
export type ScriptConnection = Pick<Connection, 'send' | 'sendBatch'> & GenerationSource;

const ASKING: Command<unknown> = Object.freeze({ name: 'ASKING', args: Object.freeze([]) as readonly never[] });

/**
 * The error one entry of a failed batch gets: its own, saying whether it was written. A
 * ConnectionError's `written` is set per entry; anything else (a timeout) is the cause itself.
 */
export function entryFailure(error: unknown, written: boolean): Error {
  const cause = error instanceof PipelineError && error.cause !== undefined ? error.cause : error;
  if (cause instanceof ConnectionError) {
    return cause.written === written ? cause : new ConnectionError(cause.message, cause.reason, { written, cause });
  }
  return cause instanceof Error ? cause : new Error(String(cause));
}

/** How many of `total` caller's commands a failed write reached, given `lead` commands in front and `stride` per command. */
function writtenOf(error: unknown, lead: number, stride: number, total: number): number {
  if (!(error instanceof PipelineError)) return 0;
  return Math.min(total, Math.max(0, Math.floor((error.written - lead) / stride)));
}

async function writeWithLoads(conn: ScriptConnection, cmds: readonly Command<unknown>[], options: SendOptions, repair: boolean): Promise<unknown[]> {
  const asking = options.asking === true;
  const loads = pendingLoads(conn, cmds);
  const n = loads.length;
  const stride = asking ? 2 : 1;
  let out: readonly Command<unknown>[] = cmds;
  if (n > 0 || asking) {
    const written: Command<unknown>[] = loads.map((l) => l.command);
    for (const c of cmds) {
      if (asking) written.push(ASKING);
      written.push(c);
    }
    out = written;
  }
  let replies: unknown[];
  try {
    replies = await conn.sendBatch(out, options);
  } catch (error) {
    for (const l of loads) unmark(conn, l);
    if (n === 0 && !asking) throw error;
    const cause = error instanceof PipelineError ? (error.cause ?? error) : error;
    const why = cause instanceof Error ? cause.message : String(cause);
    // Counted in the caller's commands, not ours.
    throw new PipelineError(`Pipeline failed: ${why}`, writtenOf(error, n, stride, cmds.length), cmds.length, cause);
  }
  let results = replies;
  if (n > 0 || asking) {
    results = new Array<unknown>(cmds.length);
    for (let i = 0; i < cmds.length; i++) results[i] = replies[n + i * stride + stride - 1];
  }
  const again = settleLoads(conn, loads, replies, cmds, results, repair);
  if (again === undefined) return results;
  const retry = again.map((i) => cmds[i]!);
  try {
    const second = await writeWithLoads(conn, retry, options, false);
    for (let j = 0; j < again.length; j++) results[again[j]!] = second[j];
  } catch (error) {
    // Only the re-run entries failed: everything else ran and keeps its reply.
    const written = writtenOf(error, 0, 1, retry.length);
    for (let j = 0; j < again.length; j++) results[again[j]!] = entryFailure(error, j < written);
  }
  return results;
}

/**
 * A pipeline on one connection: one result per command, in order, error replies in place as
 * ReplyError (like `conn.sendBatch`); rejects with PipelineError when the write as a whole
 * failed. Without scripts, libraries or `asking` this is exactly `conn.sendBatch(cmds)`.
 */
export function sendPipeline(conn: ScriptConnection, cmds: readonly Command<unknown>[], options: SendOptions = PLAIN): Promise<unknown[]> {
  if (options.asking === true) return writeWithLoads(conn, cmds, options, true);
  for (let i = 0; i < cmds.length; i++) if (carriesLoad(cmds[i]!)) return writeWithLoads(conn, cmds, options, true);
  return conn.sendBatch(cmds, options);
}

/** Like sendPipeline, but never rejects: a failed write becomes each entry's own error. */
export async function sendEach(conn: ScriptConnection, cmds: readonly Command<unknown>[], options: SendOptions = PLAIN): Promise<unknown[]> {
  try {
    return await sendPipeline(conn, cmds, options);
  } catch (error) {
    const written = writtenOf(error, 0, 1, cmds.length);
    const out = new Array<unknown>(cmds.length);
    for (let i = 0; i < cmds.length; i++) out[i] = entryFailure(error, i < written);
    return out;
  }
}

/**
 * One command, resolving with its reply or rejecting with its error, like `conn.send`. When the
 * connection is not known to hold the script or library, the load goes in the same write; when
 * it was believed held and the server says otherwise, load and command are sent once more.
 */
export function sendOne<T>(conn: ScriptConnection, cmd: Command<T>): Promise<T> {
  if (cmd.script === undefined && cmd.library === undefined) return conn.send(cmd);
  return runOne(conn, cmd);
}

async function runOne<T>(conn: ScriptConnection, cmd: Command<T>): Promise<T> {
  const c = cmd as Command<unknown>;
  let repair = true;
  if (holds(conn, c)) {
    try {
      return await conn.send(cmd);
    } catch (error) {
      if (!isMissing(error, c)) throw error;
      forget(conn, c);
    }
    repair = false;
  }
  let results: unknown[];
  try {
    results = await writeWithLoads(conn, [c], c.signal === undefined ? PLAIN : { signal: c.signal }, repair);
  } catch (error) {
    // A lone command fails the way conn.send fails it, not as a one-entry pipeline.
    throw error instanceof PipelineError && error.cause !== undefined ? error.cause : error;
  }
  const r = results[0];
  if (r instanceof Error) throw r;
  return r as T;
}

/**
 * A MULTI/EXEC block on one connection. `cmds` are the queued commands and `block` what the
 * caller would write (anything before MULTI, MULTI, the queued commands, EXEC last), `cmds[i]`
 * being the entry right after MULTI plus i. Resolves with one reply per entry of `block`, ready for
 * `readTransaction(replies, cmds)`; rejects like `conn.sendBatch`. With `asking`, one ASKING is
 * written before the block and its reply taken out.
 */
export async function sendTransaction(
  conn: ScriptConnection,
  cmds: readonly Command<unknown>[],
  block: readonly Command<unknown>[],
  options: SendOptions = PLAIN,
): Promise<unknown[]> {
  const asking = options.asking === true;
  // A MULTI block is all or nothing: never errors in place.
  const batch: BatchOptions = options.signal === undefined ? PLAIN : { signal: options.signal };
  // Both arguments are command arrays: catch them swapped before anything is written.
  if (block[block.length - 1]?.name !== 'EXEC') throw new TypeError('sendTransaction(conn, cmds, block): the block must end with EXEC');
  const at = block.findIndex((c) => c.name === 'MULTI');
  if (at === -1) throw new TypeError('sendTransaction(conn, cmds, block): the block has no MULTI');
  const loads = cmds.some(carriesLoad) ? transactionLoads(conn, cmds) : [];
  if (loads.length === 0 && !asking) return conn.sendBatch(block, batch);
  const lead = asking ? [ASKING] : [];
  const written = [...lead, ...block.slice(0, at + 1), ...loads.map((l) => l.command), ...block.slice(at + 1)];
  let replies: unknown[];
  try {
    replies = await conn.sendBatch(written, batch);
  } catch (error) {
    if (!(error instanceof PipelineError)) throw error;
    const cause = error.cause ?? error;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new PipelineError(`Transaction failed: ${why}`, Math.max(0, error.written - lead.length - loads.length), block.length, cause);
  }
  if (asking) replies = replies.slice(1);
  return loads.length === 0 ? replies : stripTransactionLoads(conn, loads, cmds, replies, at);
}
