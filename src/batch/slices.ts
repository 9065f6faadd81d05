/**
 * Writes a long pipeline in slices of `maxBatch` commands, with at most two slices in flight, so
 * neither the server's output buffer nor our encode buffers grow with the pipeline's length.
 * Knows nothing about sockets: the caller's `run` / `send` does. Used by the standalone client
 * (runSliced: one result array) and by each cluster node lane (forEachSlice: replies filed per entry).
 */
import { PipelineError } from '../errors.js';
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

export async function runSliced(cmds: readonly Command<unknown>[], maxBatch: number, send: SliceSender): Promise<unknown[]> {
  if (cmds.length <= maxBatch) return send(cmds);
  const total = cmds.length;
  const results = new Array<unknown>(total);
  let completed = 0;
  let failure: { error: unknown; written: number } | undefined;
  await forEachSlice(total, maxBatch, async (start, end) => {
    try {
      const part = await send(cmds.slice(start, end));
      for (let i = 0; i < part.length; i++) results[start + i] = part[i];
      completed += end - start;
    } catch (error) {
      const written = error instanceof PipelineError ? error.written : 0;
      failure ??= { error, written };
      throw error;
    }
  }).catch(() => undefined); // the failure is kept above, with what was written
  if (failure !== undefined) {
    const cause = failure.error instanceof PipelineError ? (failure.error.cause ?? failure.error) : failure.error;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new PipelineError(`Pipeline failed: ${why}`, completed + failure.written, total, cause);
  }
  return results;
}
