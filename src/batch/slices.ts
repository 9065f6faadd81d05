/**
 * Writes a long pipeline in slices of `maxBatch` commands, with at most two slices in flight, so
 * neither the server's output buffer nor our encode buffers grow with the pipeline's length.
 * Results land in one array in the caller's order. Knows nothing about sockets: `send` does.
 *
 * Errors in place, like the replies: `send` resolves a written slice even when the connection
 * was lost under it (each unanswered entry holds its ConnectionError or TimeoutError). Once a
 * slice meets such a failure, or is refused unwritten, no further slice is sent: its commands
 * would run after earlier ones that may not have. Each of those entries holds a ConnectionError
 * with `written: false`. The pipeline rejects only when none of it was written (PipelineError),
 * or when the caller aborted it (the AbortError itself).
 */
import { AbortError, ConnectionError, PipelineError, ProtocolError, TimeoutError } from '../errors.js';
import type { Command } from '../commands/command.js';

export type SliceSender = (slice: readonly Command<unknown>[]) => Promise<unknown[]>;

/** Slices kept in flight: one being answered while the next is on the wire. */
const WINDOW = 2;

/** An entry the connection could not answer: nothing after it is sent. */
const isLost = (r: unknown): boolean => r instanceof ConnectionError || r instanceof TimeoutError || r instanceof ProtocolError;

export async function runSliced(cmds: readonly Command<unknown>[], maxBatch: number, send: SliceSender): Promise<unknown[]> {
  if (cmds.length <= maxBatch) return send(cmds);
  const total = cmds.length;
  const results = new Array<unknown>(total);
  const settled = new Uint8Array(total);
  let next = 0;
  let written = 0;
  /** What ended the sending: the first lost entry, or a slice refused whole. */
  let stop: unknown;

  const runOne = async (): Promise<void> => {
    while (next < total && stop === undefined) {
      const start = next;
      const end = Math.min(total, start + maxBatch);
      next = end;
      try {
        const part = await send(cmds.slice(start, end));
        written += end - start;
        for (let i = 0; i < part.length; i++) {
          results[start + i] = part[i];
          settled[start + i] = 1;
          if (stop === undefined && isLost(part[i])) stop = part[i];
        }
      } catch (error) {
        stop ??= error;
        const cause = error instanceof PipelineError ? (error.cause ?? error) : error;
        written += error instanceof PipelineError ? error.written : 0;
        for (let i = start; i < end; i++) {
          results[i] = cause;
          settled[i] = 1;
        }
      }
    }
  };

  const lanes: Promise<void>[] = [];
  for (let i = 0; i < WINDOW; i++) lanes.push(runOne());
  await Promise.all(lanes);
  if (stop === undefined) return results;
  const cause = stop instanceof PipelineError ? (stop.cause ?? stop) : stop;
  if (cause instanceof AbortError) throw cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  if (written === 0) throw new PipelineError(`Pipeline failed: ${why}`, 0, total, cause);
  for (let i = 0; i < total; i++) {
    if (settled[i] === 1) continue;
    results[i] = new ConnectionError(`${cmds[i]!.name} not sent: an earlier part of the pipeline failed (${why})`, 'closed', { cause });
  }
  return results;
}
