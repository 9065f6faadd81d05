/**
 * The NOSCRIPT / missing-library repair, as decisions without I/O: which loads a batch needs on a
 * connection, how to read their replies, which entries must run again, and how a MULTI block
 * carries its loads. The send path (connection/send.ts) does the writing and calls these.
 * Owns the per-connection beliefs through known.ts; must not import connections or the cluster.
 */
import { ReplyError } from '../errors.js';
import type { Command, LibraryRef, ScriptRef } from '../commands/command.js';
import type { RespValue } from '../resp/types.js';
import { forgetLibrary, forgetScript, holdsLibrary, holdsScript, markLibrary, markScript, type GenerationSource } from './known.js';

export type Load =
  | { readonly kind: 'script'; readonly ref: ScriptRef; readonly command: Command<unknown> }
  | { readonly kind: 'library'; readonly ref: LibraryRef; readonly command: Command<unknown>; readonly replace: boolean };

const scriptLoad = (ref: ScriptRef): Load => ({ kind: 'script', ref, command: { name: 'SCRIPT', args: ['LOAD', ref.lua] } });
const libraryLoad = (ref: LibraryRef, replace: boolean): Load => ({
  kind: 'library',
  ref,
  replace,
  command: { name: 'FUNCTION', args: replace ? ['LOAD', 'REPLACE', ref.code] : ['LOAD', ref.code] },
});

export const carriesLoad = (c: Command<unknown>): boolean => c.script !== undefined || c.library !== undefined;

/** The key two commands share when they need the same load. */
function loadKey(c: Command<unknown>): string | undefined {
  if (c.script !== undefined) return `s:${c.script.sha}`;
  if (c.library !== undefined) return `l:${c.library.name}`;
  return undefined;
}
const keyOf = (l: Load): string => (l.kind === 'script' ? `s:${l.ref.sha}` : `l:${l.ref.name}`);

/** The server answered that this command's script or function does not exist. */
export function isMissing(reply: unknown, c: Command<unknown>): reply is ReplyError {
  if (!(reply instanceof ReplyError)) return false;
  return (c.script !== undefined && reply.kind === 'noscript') || (c.library !== undefined && reply.kind === 'nofunction');
}

/** The connection is believed to hold what `c` needs. */
export function holds(conn: GenerationSource, c: Command<unknown>): boolean {
  return (c.script === undefined || holdsScript(conn, c.script.sha)) && (c.library === undefined || holdsLibrary(conn, c.library));
}

export function forget(conn: GenerationSource, c: Command<unknown>): void {
  if (c.script !== undefined) forgetScript(conn, c.script.sha);
  if (c.library !== undefined) forgetLibrary(conn, c.library);
}

function mark(conn: GenerationSource, l: Load): void {
  if (l.kind === 'script') markScript(conn, l.ref.sha);
  else markLibrary(conn, l.ref);
}

export function unmark(conn: GenerationSource, l: Load): void {
  if (l.kind === 'script') forgetScript(conn, l.ref.sha);
  else forgetLibrary(conn, l.ref);
}

/**
 * The loads `cmds` need on this connection, each once. They are marked held right away: a
 * command sent later on the same connection is written after this batch (the connection keeps
 * FIFO order), so it may rely on the load without carrying it again.
 */
export function pendingLoads(conn: GenerationSource, cmds: readonly Command<unknown>[]): Load[] {
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

/**
 * A replica refuses FUNCTION LOAD (a write) but receives libraries from its primary, which is
 * where they belong. Trying again on every call would only resend the code: the library counts
 * as held, and a missing function then reports itself rather than the refused load.
 */
function cannotLoadHere(l: Load, error: ReplyError): boolean {
  return l.kind === 'library' && error.kind === 'readonly';
}

/**
 * Reads the loads' replies and the commands' results: a load that failed is forgotten and its
 * error stands in for the NOSCRIPT its callers then get (a compile error says more); a load that
 * succeeded is marked again (the batch may have been written on a newer connection generation).
 * Returns the indexes of `results` to run once more (`repair`), or undefined.
 */
export function settleLoads(
  conn: GenerationSource,
  loads: readonly Load[],
  loadReplies: readonly unknown[],
  cmds: readonly Command<unknown>[],
  results: unknown[],
  repair: boolean,
): number[] | undefined {
  let failed: Map<string, ReplyError> | undefined;
  for (let j = 0; j < loads.length; j++) {
    const l = loads[j]!;
    const r = loadReplies[j];
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
  let again: number[] | undefined;
  for (let i = 0; i < results.length; i++) {
    const c = cmds[i]!;
    if (!isMissing(results[i], c)) continue;
    forget(conn, c);
    const loadError = failed?.get(loadKey(c)!);
    if (loadError !== undefined) results[i] = loadError;
    else if (repair) (again ??= []).push(i);
  }
  return again;
}

/**
 * The loads of a MULTI block. Scripts are always loaded inside the block (SCRIPT LOAD of a script
 * the server holds only hashes it), so EXEC never meets NOSCRIPT, even after a SCRIPT FLUSH from
 * elsewhere. A library is loaded with FUNCTION LOAD REPLACE when this connection generation has
 * not loaded it, and otherwise with a plain FUNCTION LOAD, which the server refuses cheaply
 * ("already exists", ignored) unless the library was deleted meanwhile.
 */
export function transactionLoads(conn: GenerationSource, cmds: readonly Command<unknown>[]): Load[] {
  const loads: Load[] = [];
  const seen = new Set<string>();
  for (const c of cmds) {
    const key = loadKey(c);
    if (key === undefined || seen.has(key)) continue;
    seen.add(key);
    if (c.script !== undefined) loads.push(scriptLoad(c.script));
    else if (c.library !== undefined) loads.push(libraryLoad(c.library, !holdsLibrary(conn, c.library)));
  }
  return loads;
}

/**
 * The replies of a block written with `loads` right after MULTI (at index `at`), as if only the
 * caller's block had been sent: the loads' QUEUED replies and EXEC entries taken out.
 */
export function stripTransactionLoads(conn: GenerationSource, loads: readonly Load[], cmds: readonly Command<unknown>[], replies: readonly unknown[], at: number): unknown[] {
  const n = loads.length;
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
    if (!(r instanceof Error)) mark(conn, l);
    else if (!(r instanceof ReplyError)) unmark(conn, l); // no reply: unknown whether it loaded
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
