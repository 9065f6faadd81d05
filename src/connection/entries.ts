/**
 * One connection's commands as data, and the one way each ends. A Pending is one command on
 * its way (its promise, or its place in a Batch); a Batch is the commands of one pipeline
 * slice or MULTI…EXEC block, settling together. settle() is where every entry ends: its reply,
 * its error reply, or a failure (a batch fails whole, except an in-place one already written).
 * No lists, sockets or timers: queue.ts keeps the order, wire.ts matches replies.
 */
import { AbortError, PipelineError, ReplyError } from '../errors.js';
import type { ReplyTransform } from '../commands/command.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { Stamps } from '../diagnostics.js';

export const NO_ARGS: readonly RedisArg[] = Object.freeze([]);

/** 'queued': not written yet; 'written': on the wire, awaiting its reply; 'done': settled. */
export type Stage = 'queued' | 'written' | 'done';

/** One command on its way through the connection. */
export interface Pending {
  readonly name: string;
  /** Dropped (NO_ARGS) once written, to free memory; kept until then for error messages. */
  args: readonly RedisArg[];
  readonly transform: ReplyTransform<unknown> | undefined;
  readonly returnBuffers: boolean;
  /** Epoch ms after which the command times out; 0 = never. */
  readonly deadline: number;
  /** A command of its own: its promise. Null for an entry of a batch. */
  readonly resolve: ((value: unknown) => void) | null;
  readonly reject: ((error: unknown) => void) | null;
  /** An entry of a batch: the batch and the entry's place in it. */
  readonly batch: Batch | null;
  readonly index: number;
  stage: Stage;
  /** A subscribe-family command: the confirmations it still waits for (see wire.ts); else null. */
  readonly confirm: Confirmation | null;
}

/** The confirmation frames a subscribe-family command is answered by, one per name, in order. */
export interface Confirmation {
  readonly names: readonly string[];
  /** How many have arrived. */
  next: number;
}

/**
 * The replies of one batch, collected in order; it settles once, when its last entry settles.
 * `inPlace` (a pipeline): once written, an entry that gets no reply (connection lost, timeout)
 * holds its error at its index and the replies that arrived keep their values. Otherwise (a
 * MULTI block) the batch fails whole: all or nothing.
 */
export class Batch {
  readonly entries: Pending[] = [];
  readonly results: unknown[];
  remaining: number;
  /** Set when the batch reached the socket; a batch is written whole, so all or none. */
  written = false;
  done = false;
  /** Only when a tracing subscriber listens (diagnostics.ts BatchTiming); null costs one test per entry. */
  timing: Stamps | null = null;
  constructor(
    size: number,
    readonly resolve: (results: unknown[]) => void,
    readonly reject: (error: unknown) => void,
    readonly inPlace = false,
  ) {
    this.results = new Array<unknown>(size);
    this.remaining = size;
  }
}

export type Unit = Pending | Batch;

export interface CommandFields {
  readonly name: string;
  readonly args: readonly RedisArg[];
  readonly transform?: ReplyTransform<unknown> | undefined;
  readonly returnBuffers?: boolean | undefined;
  readonly confirmedBy?: readonly string[] | undefined;
}

/** One command with its own promise. */
export function single(cmd: CommandFields, returnBuffers: boolean, deadline: number, resolve: (v: unknown) => void, reject: (e: unknown) => void): Pending {
  return {
    name: cmd.name,
    args: cmd.args,
    transform: cmd.transform,
    returnBuffers: cmd.returnBuffers ?? returnBuffers,
    deadline,
    resolve,
    reject,
    batch: null,
    index: 0,
    stage: 'queued',
    confirm: cmd.confirmedBy === undefined ? null : { names: cmd.confirmedBy, next: 0 },
  };
}

/** A batch of commands settling together (one result per command, error replies in place). */
export function batchOf(
  cmds: readonly CommandFields[],
  returnBuffers: boolean,
  deadline: number,
  resolve: (r: unknown[]) => void,
  reject: (e: unknown) => void,
  inPlace = false,
): Batch {
  const b = new Batch(cmds.length, resolve, reject, inPlace);
  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[i]!;
    b.entries.push({
      name: c.name,
      args: c.args,
      transform: c.transform,
      returnBuffers: c.returnBuffers ?? returnBuffers,
      deadline,
      resolve: null,
      reject: null,
      batch: b,
      index: i,
      stage: 'queued',
      // The subscribe family is refused in batches (commands/connection-state.ts).
      confirm: null,
    });
  }
  return b;
}


/**
 * The one place an entry ends:
 *   'value'   its reply;
 *   'error'   its error reply (a ReplyError, completed with the command's name) or a failing
 *             transform: rejects a command of its own, stays a value in place in a batch;
 *   'failure' no reply will be used (timeout, connection lost, refused): a batch fails whole,
 *             except an in-place batch already written, where the error takes the entry's place.
 * An entry already done (timed out) is left as it is: its late reply is dropped.
 */
export function settle(p: Pending, kind: 'value' | 'error' | 'failure', result: unknown): void {
  if (p.stage === 'done') return;
  const batch = p.batch;
  // The common case first: a plain reply to a command of its own.
  if (kind === 'value' && batch === null && p.transform === undefined) {
    p.stage = 'done';
    p.resolve!(result);
    return;
  }
  if (kind === 'failure') {
    if (batch !== null && !(batch.inPlace && p.stage === 'written')) failBatch(batch, result);
    else if (batch !== null) {
      p.stage = 'done';
      place(batch, p.index, result);
    }
    else {
      p.stage = 'done';
      p.reject!(result);
    }
    return;
  }
  p.stage = 'done';
  let out = result;
  if (kind === 'error') {
    if (out instanceof ReplyError && out.command === undefined) out = new ReplyError(out.message, p.name);
  } else if (p.transform !== undefined) {
    try {
      out = p.transform(result as RespValue);
    } catch (error) {
      out = error;
      kind = 'error';
    }
  }
  if (batch === null) {
    if (kind === 'error') p.reject!(out);
    else p.resolve!(out);
    return;
  }
  place(batch, p.index, out);
}

/** An entry's result at its index; the batch resolves with its last one. */
function place(b: Batch, index: number, result: unknown): void {
  b.results[index] = result;
  // Traced: the clock is read for the first and the last entry only.
  const t = b.timing;
  if (t !== null && (t.firstReply === undefined || b.remaining === 1)) {
    const now = performance.now();
    t.firstReply ??= now;
    if (b.remaining === 1) t.lastReply = now;
  }
  if (--b.remaining === 0 && !b.done) {
    b.done = true;
    b.resolve(b.results);
  }
}

/** A batch fails as a whole; its entries on the wire stay to consume their replies. */
function failBatch(b: Batch, error: unknown): void {
  if (b.done) return;
  b.done = true;
  for (const e of b.entries) e.stage = 'done';
  const total = b.entries.length;
  // The caller's own abort comes back as itself, not wrapped.
  b.reject(
    error instanceof PipelineError || error instanceof AbortError
      ? error
      : new PipelineError(error instanceof Error ? `Batch failed: ${error.message}` : 'Batch failed', b.written ? total : 0, total, error),
  );
}

/**
 * The caller aborted: a unit not yet written is marked done, so take() and admit() skip it and
 * it is never sent; a written one is settled now and its reply, when it comes, is dropped.
 */
export function abortUnit(u: Unit, reason: unknown): void {
  if (u instanceof Batch) {
    if (!u.done) failBatch(u, new AbortError(`Batch of ${u.entries.length}`, u.written, reason));
  } else if (u.stage !== 'done') {
    settle(u, 'failure', new AbortError(u.name, u.stage === 'written', reason));
  }
}

/** Ends a whole unit without a reply (refused, timed out, connection gone). */
export function failUnit(u: Unit, error: unknown): void {
  if (u instanceof Batch) failBatch(u, error);
  else settle(u, 'failure', error);
}
