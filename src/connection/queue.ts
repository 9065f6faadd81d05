/**
 * The commands of one connection as plain data, and the rules for settling them.
 * No sockets and no timers here: connection.ts moves entries between the lists and calls
 * settle/fail; tests drive this module directly.
 *
 *   caller ──send──▶ toWrite[] ──flush (one write per tick)──▶ inFlight (Denque, FIFO)
 *                      ▲                                          │ each reply settles
 *   offline (Denque) ──┘ on (re)connect                           ▼ the entry at the head
 *
 * An entry belongs to one caller (`sink` null: resolve/reject) or to a batch (`sink` set:
 * the reply is stored at `index` in the batch's results and the batch settles once, when
 * its last reply arrives). A timed-out entry stays in inFlight so its late reply is
 * consumed and dropped: replies stay aligned with commands.
 */
import { PipelineError, ReplyError } from '../errors.js';
import type { ReplyTransform } from '../commands/command.js';
import type { RedisArg, RespValue } from '../resp/types.js';

export const NO_ARGS: readonly RedisArg[] = Object.freeze([]);

/** Collects the replies of one batch (pipeline, transaction block) in order. */
export class BatchSink {
  readonly results: unknown[];
  remaining: number;
  /** How many of the batch's entries reached the socket. */
  written = 0;
  settled = false;
  constructor(
    readonly total: number,
    readonly resolve: (results: unknown[]) => void,
    readonly reject: (error: unknown) => void,
  ) {
    this.results = new Array<unknown>(total);
    this.remaining = total;
  }
}

export class Pending {
  /** Set for diagnostics and error messages; args are dropped once written to free memory. */
  args: readonly RedisArg[];
  timedOut = false;
  written = false;
  constructor(
    readonly name: string,
    args: readonly RedisArg[],
    readonly transform: ReplyTransform<unknown> | undefined,
    readonly returnBuffers: boolean,
    readonly resolve: ((value: unknown) => void) | null,
    readonly reject: ((error: unknown) => void) | null,
    readonly sink: BatchSink | null,
    readonly index: number,
    /** Epoch ms after which the command times out; 0 = never. */
    readonly deadline: number,
  ) {
    this.args = args;
  }
}

/** Hands a reply to its entry's owner. A throwing transform fails that entry only. */
export function settleReply(p: Pending, value: RespValue): void {
  if (p.timedOut) return;
  let out: unknown = value;
  if (p.transform !== undefined) {
    try {
      out = p.transform(value);
    } catch (error) {
      settleError(p, error);
      return;
    }
  }
  const sink = p.sink;
  if (sink === null) {
    p.resolve!(out);
    return;
  }
  sink.results[p.index] = out;
  if (--sink.remaining === 0 && !sink.settled) {
    sink.settled = true;
    sink.resolve(sink.results);
  }
}

/** An error reply: rejects a single command; stays a value in place for a batch. */
export function settleError(p: Pending, error: unknown): void {
  if (p.timedOut) return;
  if (error instanceof ReplyError && error.command === undefined) error.command = p.name;
  const sink = p.sink;
  if (sink === null) {
    p.reject!(error);
    return;
  }
  sink.results[p.index] = error;
  if (--sink.remaining === 0 && !sink.settled) {
    sink.settled = true;
    sink.resolve(sink.results);
  }
}

/** The whole entry failed for a reason other than its reply (connection lost, timeout). */
export function failEntry(p: Pending, error: unknown): void {
  if (p.timedOut) return;
  const sink = p.sink;
  if (sink === null) {
    p.reject!(error);
    return;
  }
  if (sink.settled) return;
  sink.settled = true;
  sink.reject(
    error instanceof PipelineError ? error : new PipelineError(describe(error), sink.written, sink.total, error),
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? `Batch failed: ${error.message}` : 'Batch failed';
}
