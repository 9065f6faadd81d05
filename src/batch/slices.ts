/**
 * Writes a long pipeline in slices of `maxBatch` commands, with at most two slices in flight, so
 * neither the server's output buffer nor our encode buffers grow with the pipeline's length.
 * Results land in one array in the caller's order. Knows nothing about sockets: `send` does.
 */
import { PipelineError } from '../errors.js';
import type { Command } from '../commands/command.js';

export type SliceSender = (slice: readonly Command<unknown>[]) => Promise<unknown[]>;

/** Slices kept in flight: one being answered while the next is on the wire. */
const WINDOW = 2;

export async function runSliced(cmds: readonly Command<unknown>[], maxBatch: number, send: SliceSender): Promise<unknown[]> {
  if (cmds.length <= maxBatch) return send(cmds);
  const total = cmds.length;
  const results = new Array<unknown>(total);
  let next = 0;
  let completed = 0;
  let failure: { error: unknown; written: number } | undefined;

  const runOne = async (): Promise<void> => {
    while (next < total && failure === undefined) {
      const start = next;
      const end = Math.min(total, start + maxBatch);
      next = end;
      try {
        const part = await send(cmds.slice(start, end));
        for (let i = 0; i < part.length; i++) results[start + i] = part[i];
        completed += end - start;
      } catch (error) {
        const written = error instanceof PipelineError ? error.written : 0;
        failure ??= { error, written };
      }
    }
  };

  const lanes: Promise<void>[] = [];
  for (let i = 0; i < WINDOW; i++) lanes.push(runOne());
  await Promise.all(lanes);
  if (failure !== undefined) {
    const cause = failure.error instanceof PipelineError ? (failure.error.cause ?? failure.error) : failure.error;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new PipelineError(`Pipeline failed: ${why}`, completed + failure.written, total, cause);
  }
  return results;
}
