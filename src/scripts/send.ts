/**
 * Sending commands that carry a script (EVALSHA) or a library (FCALL) over any connection:
 * the load goes in the same write as the first use, and a command the server could not run
 * because the script or function was missing is loaded and run again, once.
 * Owns the per-connection load decisions (through known.ts); must not import the client,
 * batch builders or cluster modules, so that a cluster client can call it per node.
 *
 * Pipeline, script S not held by this connection generation:
 *
 *   written: SCRIPT LOAD S, c1, EVALSHA S, c3        replies: sha, r1, r2, r3
 *   returned: [r1, r2, r3]                            (the load's reply is dropped)
 *
 * If r2 is still NOSCRIPT (flushed between the load and the call), a second write
 * `SCRIPT LOAD S, EVALSHA S` follows and its reply takes r2's place: that entry ran after c3.
 *
 * Transaction: the loads go inside the block, right after MULTI, so they run atomically with
 * the calls and nothing between them can flush the script:
 *
 *   written: MULTI, SCRIPT LOAD S, FUNCTION LOAD [REPLACE] L, c1 … cn, EXEC
 *   returned: the replies of MULTI, c1 … cn, EXEC, with the loads' entries taken out of the
 *   QUEUED replies and out of the EXEC array, as if only the caller's block had been sent.
 */
import { PipelineError, ReplyError } from '../errors.js';
import type { Command, LibraryRef, ScriptRef } from '../commands/command.js';
import type { BatchOptions, Connection } from '../connection/connection.js';
import type { RespValue } from '../resp/types.js';
import { forgetLibrary, forgetScript, holdsLibrary, holdsScript, markLibrary, markScript } from './known.js';

/** What the senders use of a connection; a Connection satisfies it, and so can a test double. */
export type ScriptConnection = Pick<Connection, 'send' | 'sendBatch' | 'generation'>;

type Load =
  | { readonly kind: 'script'; readonly ref: ScriptRef; readonly command: Command<unknown> }
  | { readonly kind: 'library'; readonly ref: LibraryRef; readonly command: Command<unknown>; readonly replace: boolean };

const scriptLoad = (ref: ScriptRef): Load => ({ kind: 'script', ref, command: { name: 'SCRIPT', args: ['LOAD', ref.lua] } });
const libraryLoad = (ref: LibraryRef, replace: boolean): Load => ({
  kind: 'library',
  ref,
  replace,
  command: { name: 'FUNCTION', args: replace ? ['LOAD', 'REPLACE', ref.code] : ['LOAD', ref.code] },
});

const carriesLoad = (c: Command<unknown>): boolean => c.script !== undefined || c.library !== undefined;

/** The key two commands share when they need the same load. */
function loadKey(c: Command<unknown>): string | undefined {
  if (c.script !== undefined) return `s:${c.script.sha}`;
  if (c.library !== undefined) return `l:${c.library.name}`;
  return undefined;
}
const keyOf = (l: Load): string => (l.kind === 'script' ? `s:${l.ref.sha}` : `l:${l.ref.name}`);

/** The server answered that this command's script or function does not exist. */
function isMissing(reply: unknown, c: Command<unknown>): reply is ReplyError {
  if (!(reply instanceof ReplyError)) return false;
  return (c.script !== undefined && reply.kind === 'noscript') || (c.library !== undefined && reply.kind === 'nofunction');
}

function holds(conn: ScriptConnection, c: Command<unknown>): boolean {
  return (c.script === undefined || holdsScript(conn, c.script.sha)) && (c.library === undefined || holdsLibrary(conn, c.library));
}

function forget(conn: ScriptConnection, c: Command<unknown>): void {
  if (c.script !== undefined) forgetScript(conn, c.script.sha);
  if (c.library !== undefined) forgetLibrary(conn, c.library);
}

function mark(conn: ScriptConnection, l: Load): void {
  if (l.kind === 'script') markScript(conn, l.ref.sha);
  else markLibrary(conn, l.ref);
}

function unmark(conn: ScriptConnection, l: Load): void {
  if (l.kind === 'script') forgetScript(conn, l.ref.sha);
  else forgetLibrary(conn, l.ref);
}

/**
 * The loads `cmds` need on this connection, each once. They are marked held right away: a
 * command sent later on the same connection is written after this batch (the connection keeps
 * FIFO order), so it may rely on the load without carrying it again.
 */
function pendingLoads(conn: ScriptConnection, cmds: readonly Command<unknown>[]): Load[] {
  const loads: Load[] = [];
  for (const c of cmds) {
    if (c.script !== undefined && !holdsScript(conn, c.script.sha)) {
      const l = scriptLoad(c.script);
      mark(conn, l);
      loads.push(l);
    }
    if (c.library !== undefined && !holdsLibrary(conn, c.library)) {
      const l = libraryLoad(c.library, true);
      mark(conn, l);
      loads.push(l);
    }
  }
  return loads;
}

/** A batch failure counted in the caller's commands, not ours. */
function withoutLoads(error: unknown, loads: number, total: number): unknown {
  if (!(error instanceof PipelineError) || loads === 0) return error;
  const cause = error.cause ?? error;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new PipelineError(`Pipeline failed: ${why}`, Math.max(0, error.written - loads), total, cause);
}

/**
 * Reads the loads' replies: a load that failed is forgotten and its error kept, to stand in for
 * the NOSCRIPT its callers then get (a compile error says more). A load that succeeded is marked
 * again: the batch may have been written on a newer connection generation than it was planned on.
 */
function settleLoads(conn: ScriptConnection, loads: readonly Load[], replies: readonly unknown[], offset: number): Map<string, ReplyError> | undefined {
  let failed: Map<string, ReplyError> | undefined;
  for (let j = 0; j < loads.length; j++) {
    const l = loads[j]!;
    const r = replies[offset + j];
    if (r instanceof Error && !(r instanceof ReplyError)) {
      // No reply (the connection was lost): whether it loaded is unknown, so it is not held.
      unmark(conn, l);
    } else if (r instanceof ReplyError && !cannotLoadHere(l, r)) {
      unmark(conn, l);
      (failed ??= new Map()).set(keyOf(l), r);
    } else {
      mark(conn, l);
    }
  }
  return failed;
}

/**
 * A replica refuses FUNCTION LOAD (a write) but receives libraries from its primary, which is
 * where they belong. Trying again on every call would only resend the code: the library counts
 * as held, and a missing function then reports itself rather than the refused load.
 */
function cannotLoadHere(l: Load, error: ReplyError): boolean {
  return l.kind === 'library' && error.kind === 'readonly';
}

async function sendWithLoads(conn: ScriptConnection, cmds: readonly Command<unknown>[], repair: boolean, options?: BatchOptions): Promise<unknown[]> {
  const loads = pendingLoads(conn, cmds);
  const n = loads.length;
  let replies: unknown[];
  try {
    replies = await conn.sendBatch(n === 0 ? cmds : [...loads.map((l) => l.command), ...cmds], options);
  } catch (error) {
    for (const l of loads) unmark(conn, l);
    throw withoutLoads(error, n, cmds.length);
  }
  const failed = settleLoads(conn, loads, replies, 0);
  const results = n === 0 ? replies : replies.slice(n);
  let again: number[] | undefined;
  for (let i = 0; i < results.length; i++) {
    const c = cmds[i]!;
    if (!isMissing(results[i], c)) continue;
    forget(conn, c);
    const loadError = failed?.get(loadKey(c)!);
    if (loadError !== undefined) results[i] = loadError;
    else if (repair) (again ??= []).push(i);
  }
  if (again === undefined) return results;
  const retry = again.map((i) => cmds[i]!);
  let second: unknown[];
  try {
    second = await sendWithLoads(conn, retry, false, options);
  } catch (error) {
    const written = error instanceof PipelineError ? error.written : 0;
    const cause = error instanceof PipelineError ? (error.cause ?? error) : error;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new PipelineError(`Pipeline failed re-running ${retry.length} command(s) after a missing script: ${why}`, cmds.length - retry.length + written, cmds.length, cause);
  }
  for (let j = 0; j < again.length; j++) results[again[j]!] = second[j];
  return results;
}

/**
 * A pipeline on one connection: one result per command, in order, error replies in place as
 * ReplyError (like `conn.sendBatch`). Loads what the commands need in front of them, in the same
 * write; a command answered NOSCRIPT or "function not found" is loaded and re-run once, after the
 * rest of the batch, and its result put back at its index. Without scripts or libraries this is
 * exactly `conn.sendBatch(cmds, options)`.
 */
export function sendPipeline(conn: ScriptConnection, cmds: readonly Command<unknown>[], options?: BatchOptions): Promise<unknown[]> {
  for (let i = 0; i < cmds.length; i++) if (carriesLoad(cmds[i]!)) return sendWithLoads(conn, cmds, true, options);
  return conn.sendBatch(cmds, options);
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
  if (holds(conn, c)) {
    try {
      return await conn.send(cmd);
    } catch (error) {
      if (!isMissing(error, c)) throw error;
      forget(conn, c);
    }
    return single(conn, cmd, false);
  }
  return single(conn, cmd, true);
}

async function single<T>(conn: ScriptConnection, cmd: Command<T>, repair: boolean): Promise<T> {
  let results: unknown[];
  try {
    results = await sendWithLoads(conn, [cmd as Command<unknown>], repair, cmd.signal === undefined ? undefined : { signal: cmd.signal });
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
 * `readTransaction(replies, cmds)`; rejects like `conn.sendBatch`.
 *
 * Scripts are always loaded inside the block (SCRIPT LOAD of a script the server holds only
 * hashes it), so EXEC never meets NOSCRIPT, even after a SCRIPT FLUSH from elsewhere. A library
 * is loaded with FUNCTION LOAD REPLACE when this connection generation has not loaded it, and
 * otherwise with a plain FUNCTION LOAD, which the server refuses cheaply ("already exists",
 * ignored) unless the library was deleted meanwhile, in which case it loads it back.
 */
export function sendTransaction(conn: ScriptConnection, cmds: readonly Command<unknown>[], block: readonly Command<unknown>[], signal?: AbortSignal): Promise<unknown[]> {
  // Both arguments are command arrays: catch them swapped before anything is written.
  if (block[block.length - 1]?.name !== 'EXEC') return Promise.reject(new TypeError('sendTransaction(conn, cmds, block): the block must end with EXEC'));
  // A MULTI block is all or nothing: never errors in place.
  const options = signal === undefined ? undefined : { signal };
  for (let i = 0; i < cmds.length; i++) if (carriesLoad(cmds[i]!)) return transactionWithLoads(conn, cmds, block, options);
  return conn.sendBatch(block, options);
}

async function transactionWithLoads(conn: ScriptConnection, cmds: readonly Command<unknown>[], block: readonly Command<unknown>[], options: BatchOptions | undefined): Promise<unknown[]> {
  const at = block.findIndex((c) => c.name === 'MULTI');
  if (at === -1) throw new TypeError('sendTransaction(conn, cmds, block): the block has no MULTI');
  const loads: Load[] = [];
  const seen = new Set<string>();
  for (const c of cmds) {
    const key = loadKey(c);
    if (key === undefined || seen.has(key)) continue;
    seen.add(key);
    if (c.script !== undefined) loads.push(scriptLoad(c.script));
    else if (c.library !== undefined) loads.push(libraryLoad(c.library, !holdsLibrary(conn, c.library)));
  }
  const n = loads.length;
  let replies: unknown[];
  try {
    replies = await conn.sendBatch([...block.slice(0, at + 1), ...loads.map((l) => l.command), ...block.slice(at + 1)], options);
  } catch (error) {
    throw withoutLoads(error, n, block.length);
  }
  const queued = replies.slice(at + 1, at + 1 + n);
  const out = [...replies.slice(0, at + 1), ...replies.slice(at + 1 + n)];
  // A load refused while queueing makes the server discard the block (EXECABORT); pin the reason
  // on the commands that needed it, so the ExecAbortError names them and says why.
  for (let j = 0; j < n; j++) {
    const q = queued[j];
    if (!(q instanceof ReplyError)) continue;
    const key = keyOf(loads[j]!);
    for (let i = 0; i < cmds.length; i++) {
      if (loadKey(cmds[i]!) === key && !(out[at + 1 + i] instanceof ReplyError)) out[at + 1 + i] = q;
    }
  }
  const last = out.length - 1;
  const exec = out[last];
  if (!Array.isArray(exec) || exec.length < n) return out;
  const results = (exec as RespValue[]).slice(n);
  out[last] = results;
  let failed: Map<string, ReplyError> | undefined;
  for (let j = 0; j < n; j++) {
    const l = loads[j]!;
    const r = exec[j];
    if (!(r instanceof ReplyError)) mark(conn, l);
    else if (l.kind === 'script' || l.replace) {
      unmark(conn, l);
      (failed ??= new Map()).set(keyOf(l), r);
    }
    // A plain FUNCTION LOAD failing means the library was already there: nothing to learn.
  }
  for (let i = 0; i < results.length && i < cmds.length; i++) {
    const c = cmds[i]!;
    if (!isMissing(results[i], c)) continue;
    forget(conn, c);
    const loadError = failed?.get(loadKey(c)!);
    if (loadError !== undefined) results[i] = loadError;
  }
  return out;
}
