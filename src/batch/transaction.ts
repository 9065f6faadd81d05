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
 *   -MOVED/-ASK      -MOVED/-ASK for keys       -EXECABORT              cluster: the slot is elsewhere;
 *                    (the first keyed command)                           nothing ran, retry at the owner
 *   -TRYAGAIN        (multi-key during           -EXECABORT              nothing ran; retry later
 *                    resharding)
 *   +OK              +QUEUED for each           -ASK / -TRYAGAIN /      the queued keys together met a
 *                                               -MOVED (EXEC itself)    migration: nothing ran, retry
 *
 * Per-command reply transforms cannot run on +QUEUED, so the block is sent raw and each
 * command's transform is applied to its slot of the EXEC array afterwards.
 */
import { ExecAbortError, ReplyError } from '../errors.js';
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
  | { readonly kind: 'aborted'; readonly error: ExecAbortError }
  /** MULTI itself failed or the server redirected the block (cluster): nothing ran. */
  | { readonly kind: 'redirected'; readonly error: ReplyError };

/** Reads the replies of a transactionBlock (one per written command). */
export function readTransaction(replies: readonly unknown[], cmds: readonly Command<unknown>[]): TransactionOutcome {
  const execReply = replies[replies.length - 1];
  const multiReply = replies[0];
  if (multiReply instanceof ReplyError) return { kind: 'redirected', error: multiReply };
  if (execReply === null || execReply === undefined) return { kind: 'watch-aborted' };
  if (execReply instanceof ReplyError) {
    // EXEC itself redirected (cluster: the queued keys as a whole met a migration): nothing ran.
    if (isRedirect(execReply)) return { kind: 'redirected', error: execReply };
    const rejected: Array<{ index: number; error: ReplyError }> = [];
    for (let i = 0; i < cmds.length; i++) {
      const r = replies[i + 1];
      if (r instanceof ReplyError) {
        r.command ??= cmds[i]!.name;
        rejected.push({ index: i, error: r });
      }
    }
    const redirect = rejected.find((e) => isRedirect(e.error));
    if (redirect !== undefined) return { kind: 'redirected', error: redirect.error };
    return { kind: 'aborted', error: new ExecAbortError(rejected, execReply) };
  }
  const raw = execReply as RespValue[];
  const results = new Array<unknown>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]!;
    const c = cmds[i];
    if (r instanceof ReplyError) {
      r.command ??= c?.name;
      results[i] = r;
    } else if (c?.transform !== undefined) {
      try {
        results[i] = c.transform(r);
      } catch (error) {
        results[i] = error;
      }
    } else {
      results[i] = r;
    }
  }
  return { kind: 'ran', results };
}

function isRedirect(e: ReplyError): boolean {
  return e.kind === 'moved' || e.kind === 'ask' || e.kind === 'tryagain' || e.kind === 'clusterdown';
}
