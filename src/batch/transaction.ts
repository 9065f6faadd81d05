/**
 * MULTI/EXEC as data: the block to write and how to read the server's answer. Pure; no I/O.
 *
 * The block is written in one piece: MULTI, c1 … cn, EXEC. What comes back, and what it means:
 *
 *   reply to MULTI   replies to c1…cn          reply to EXEC            outcome
 *   +OK              +QUEUED for each           [r1 … rn]                ran; ri may be an error
 *                                                                       value (exec-time error,
 *                                                                       e.g. WRONGTYPE): in place,
 *                                                                       the others applied
 *   +OK              some -ERR (unknown          -EXECABORT              nothing ran: ExecAbortError
 *                    command, arity, OOM)                                listing each rejected index
 *   +OK              +QUEUED for each           null (*-1 / _)           a WATCHed key changed:
 *                                                                       nothing ran (watch() retries)
 *   +OK              -MOVED/-ASK for keys       -EXECABORT              cluster: the slot is elsewhere;
 *                    (the first keyed command)                           nothing ran, retry at the owner
 *   +OK              -TRYAGAIN (multi-key       -EXECABORT              nothing ran; retry later
 *                    during resharding)
 *   +OK              +QUEUED for each           -ASK / -TRYAGAIN /      the queued keys together met a
 *                                               -MOVED (EXEC itself)    migration: nothing ran, retry
 *   -NOPERM (MULTI   each command's own reply    -ERR EXEC without       each command ran ON ITS OWN:
 *    refused)        (it was not queued)          MULTI                  MultiRefusedError with results
 *
 * Per-command reply transforms cannot run on +QUEUED, so the block is sent raw and each
 * command's transform is applied to its slot of the EXEC array afterwards.
 */
import { ExecAbortError, MultiRefusedError, ReplyError } from '../errors.js';
import type { Command } from '../commands/command.js';
import type { RespValue } from '../resp/types.js';

const MULTI: Command<RespValue> = { name: 'MULTI', args: [] };
const EXEC: Command<RespValue> = { name: 'EXEC', args: [] };

/** The commands to write, transforms stripped (they are applied to the EXEC reply instead). */
export function transactionBlock(cmds: readonly Command<unknown>[]): Command<unknown>[] {
  const out: Command<unknown>[] = [MULTI];
  for (const c of cmds) out.push({ name: c.name, args: c.args, returnBuffers: c.returnBuffers });
  out.push(EXEC);
  return out;
}

export type TransactionOutcome =
  | { readonly kind: 'ran'; readonly results: unknown[] }
  | { readonly kind: 'watch-aborted' }
  /**
   * The block did not commit. ExecAbortError: nothing ran. MultiRefusedError: MULTI itself was
   * refused, so the server ran each command on its own; the error carries their results.
   */
  | { readonly kind: 'aborted'; readonly error: ExecAbortError | MultiRefusedError }
  /** The server redirected the block (cluster): nothing ran. */
  | { readonly kind: 'redirected'; readonly error: ReplyError };

/** Reads the replies of a transactionBlock (one per written command). */
export function readTransaction(replies: readonly unknown[], cmds: readonly Command<unknown>[]): TransactionOutcome {
  const execReply = replies[replies.length - 1];
  const multiReply = replies[0];
  if (multiReply instanceof ReplyError) {
    // MULTI has no key, so it is never redirected; a refusal (NOPERM, NOAUTH) leaves the rest of
    // the block, already written in the same write, to run command by command, and EXEC then
    // fails ("without MULTI"). Not sending the block until MULTI is answered would cost every
    // transaction a round trip, so the truth is reported instead: what each command answered.
    return { kind: 'aborted', error: new MultiRefusedError(multiReply, applyTransforms(replies.slice(1, 1 + cmds.length), cmds)) };
  }
  if (execReply === null || execReply === undefined) return { kind: 'watch-aborted' };
  if (execReply instanceof ReplyError) {
    // EXEC itself redirected (cluster: the queued keys as a whole met a migration): nothing ran.
    if (isRedirect(execReply)) return { kind: 'redirected', error: execReply };
    const rejected: Array<{ index: number; error: ReplyError }> = [];
    for (let i = 0; i < cmds.length; i++) {
      const r = replies[i + 1];
      if (r instanceof ReplyError) rejected.push({ index: i, error: withCommand(r, cmds[i]!.name) });
    }
    const redirect = rejected.find((e) => isRedirect(e.error));
    if (redirect !== undefined) return { kind: 'redirected', error: redirect.error };
    return { kind: 'aborted', error: new ExecAbortError(rejected, execReply) };
  }
  return { kind: 'ran', results: applyTransforms(execReply as RespValue[], cmds) };
}

/** Each command's transform on its own reply; error replies stay values in place. */
function applyTransforms(raw: readonly unknown[], cmds: readonly Command<unknown>[]): unknown[] {
  const results = new Array<unknown>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i];
    const c = cmds[i];
    if (r instanceof ReplyError) {
      results[i] = c === undefined ? r : withCommand(r, c.name);
    } else if (c?.transform !== undefined) {
      try {
        results[i] = c.transform(r as RespValue);
      } catch (error) {
        results[i] = error;
      }
    } else {
      results[i] = r;
    }
  }
  return results;
}

/** Errors inside the EXEC array come from the decoder without their command: a complete copy. */
function withCommand(r: ReplyError, name: string): ReplyError {
  return r.command !== undefined ? r : new ReplyError(r.message, name);
}

function isRedirect(e: ReplyError): boolean {
  return e.kind === 'moved' || e.kind === 'ask' || e.kind === 'tryagain' || e.kind === 'clusterdown';
}
