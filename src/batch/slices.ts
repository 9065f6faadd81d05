/**
 * Writes a long pipeline in slices of `maxBatch` commands, with at most two slices in flight, so
 * neither the server's output buffer nor our encode buffers grow with the pipeline's length.
 * Knows nothing about sockets: the caller's `run` / `send` does. Used by the standalone client
 * (runSliced: one result array) and by each cluster node lane (forEachSlice: replies filed per entry).
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

/**
 * Calls `run(start, end)` for consecutive slices of [0, total), at most WINDOW at a time, in
 * order of start. A slice that throws stops new slices from starting; the first error is rethrown.
 */
export async function forEachSlice(total: number, maxBatch: number, run: (start: number, end: number) => Promise<void>): Promise<void> {
  const size = Math.max(1, maxBatch);
  if (total <= size) return run(0, total);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (next < total && !failed) {
      const start = next;
      const end = Math.min(total, start + size);
      next = end;
      try {
        await run(start, end);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const lanes: Promise<void>[] = [];
  for (let i = 0; i < WINDOW; i++) lanes.push(lane());
  const settled = await Promise.allSettled(lanes);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
}

/** An entry the connection could not answer: nothing after it is sent. */
/** Thrown inside forEachSlice to stop further slices; never leaves runSliced. */
const STOPPED = Symbol('stopped');

const isLost = (r: unknown): boolean => r instanceof ConnectionError || r instanceof TimeoutError || r instanceof ProtocolError;

export async function runSliced(cmds: readonly Command<unknown>[], maxBatch: number, send: SliceSender): Promise<unknown[]> {
  if (cmds.length <= maxBatch) return send(cmds);
  const total = cmds.length;
  const results = new Array<unknown>(total);
  const settled = new Uint8Array(total);
  let written = 0;
  /** What ended the sending: the first lost entry, or a slice refused whole. */
  let stop: unknown;
  await forEachSlice(total, maxBatch, async (start, end) => {
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
    // No later slice is sent: its commands would run after earlier ones that may not have.
    if (stop !== undefined) throw STOPPED;
  }).catch((error: unknown) => {
    if (error !== STOPPED) throw error;
  });
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
