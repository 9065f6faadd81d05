/**
 * How commands enter a connection: argument checks (a bad argument rejects, nothing is
 * written), tracing, and the entry built for the queue, abortable when the caller gave a signal.
 * The wire (wire.ts) takes it from there. No socket here.
 */
import { AbortError } from '../errors.js';
import { checkArgs } from '../resp/encoder.js';
import type { Command } from '../commands/command.js';
import { channels, commandContext, peerOf, type Stamps, type TracePeer } from '../diagnostics.js';
import type { ResolvedOptions } from './options.js';
import { abortUnit, batchOf, single, type Batch, type Unit } from './entries.js';
import type { Wire } from './wire.js';

export interface BatchOptions {
  /** Once written, an entry without a reply holds its error in place instead of failing the batch. */
  readonly errorsInPlace?: boolean;
  /** Aborting it before the batch is written keeps it off the wire; after, rejects it at once. */
  readonly signal?: AbortSignal | undefined;
  /** performance.now() when a cluster split the batch this is a lane of: BatchTiming.planned. */
  readonly plannedAt?: number | undefined;
}

export function submitOne<T>(wire: Wire, o: ResolvedOptions, address: string, cmd: Command<T>): Promise<T> {
  // A bad argument is the caller's bug, but it still arrives as a rejection like every other failure.
  try {
    checkArgs(cmd.name, cmd.args, o.maxArgumentBytes);
  } catch (error) {
    return Promise.reject(error);
  }
  if (channels.command.hasSubscribers) {
    const ctx = commandContext(cmd.name, cmd.args, peerOf(address, o.path, o.db), o.traceArguments);
    return channels.command.tracePromise(() => enqueueOne(wire, o, cmd), ctx);
  }
  return enqueueOne(wire, o, cmd);
}

function enqueueOne<T>(wire: Wire, o: ResolvedOptions, cmd: Command<T>): Promise<T> {
  const signal = cmd.signal;
  if (signal === undefined) {
    return new Promise<T>((resolve, reject) => {
      wire.enqueueOne(single(cmd as Command<unknown>, o.returnBuffers, wire.deadline(), resolve as (v: unknown) => void, reject));
    });
  }
  // The only path that listens to a signal, so the common one allocates nothing more.
  if (signal.aborted) return Promise.reject(new AbortError(cmd.name, false, signal.reason));
  return new Promise<T>((resolve, reject) => {
    const deadline = wire.deadline();
    wire.enqueueOne(abortable(signal, resolve, reject, (ok, fail) => single(cmd as Command<unknown>, o.returnBuffers, deadline, ok, fail)));
  });
}

export function submitBatch(wire: Wire, o: ResolvedOptions, address: string, cmds: readonly Command<unknown>[], options?: BatchOptions): Promise<unknown[]> {
  try {
    for (const c of cmds) checkArgs(c.name, c.args, o.maxArgumentBytes);
  } catch (error) {
    return Promise.reject(error);
  }
  if (cmds.length === 0) return Promise.resolve([]);
  const signal = options?.signal;
  if (signal?.aborted) return Promise.reject(new AbortError(`Batch of ${cmds.length}`, false, signal.reason));
  const run = (timing: Stamps | null): Promise<unknown[]> =>
    new Promise<unknown[]>((resolve, reject) => {
      const inPlace = options?.errorsInPlace === true;
      const deadline = wire.deadline();
      const make = (ok: (v: unknown) => void, fail: (e: unknown) => void): Batch => {
        const b = batchOf(cmds, o.returnBuffers, deadline, ok, fail, inPlace);
        b.timing = timing;
        return b;
      };
      wire.enqueue(signal === undefined ? make(resolve as (v: unknown) => void, reject) : abortable(signal, resolve, reject, make));
    });
  if (channels.batch.hasSubscribers || channels.command.hasSubscribers) return traced(run, o, address, cmds, options?.plannedAt);
  return run(null);
}

/**
 * A batch under the tracing channels: one `slotline:batch` operation, and inside it one
 * `slotline:command` per user command (as node-redis and ioredis publish them), each ending with
 * the batch and failing with its own error reply. A MULTI block's MULTI/EXEC frame (and what
 * precedes it: ASKING, script loads) is not a user command; its commands end with EXEC's reply.
 */
function traced(
  run: (timing: Stamps | null) => Promise<unknown[]>,
  o: ResolvedOptions,
  address: string,
  cmds: readonly Command<unknown>[],
  plannedAt: number | undefined,
): Promise<unknown[]> {
  const peer = peerOf(address, o.path, o.db);
  // A transaction block is the only batch that ends with EXEC.
  const multi = cmds[cmds.length - 1]!.name === 'EXEC' ? cmds.findIndex((c) => c.name === 'MULTI') : -1;
  const inner = multi >= 0 ? cmds.slice(multi + 1, -1) : cmds;
  const mode = multi >= 0 ? 'MULTI' : 'PIPELINE';
  const timing: Stamps | null = channels.batch.hasSubscribers ? { planned: plannedAt ?? performance.now() } : null;
  const body = (): Promise<unknown[]> => {
    const all = run(timing);
    if (channels.command.hasSubscribers) traceEach(all, inner, multi, peer, o.traceArguments, mode);
    return all;
  };
  if (timing === null) return body();
  const ctx = { ...peer, batchMode: mode, batchSize: inner.length, kind: multi >= 0 ? 'multi' : 'pipeline', size: cmds.length, timing } as const;
  return channels.batch.tracePromise(body, ctx);
}

function traceEach(all: Promise<unknown[]>, inner: readonly Command<unknown>[], multi: number, peer: TracePeer, showAll: boolean, mode: 'MULTI' | 'PIPELINE'): void {
  const batch = { mode, size: inner.length };
  inner.forEach((c, i) => {
    const ctx = commandContext(c.name, c.args, peer, showAll, batch);
    const own = (): Promise<unknown> => all.then((replies) => replyAt(replies, i, multi));
    // The caller awaits the batch, not this copy: its rejection is only for the subscribers.
    channels.command.tracePromise(own, ctx).catch(() => {});
  });
}

/** The i-th user command's reply in a batch's replies; an error reply rejects. */
function replyAt(replies: unknown[], i: number, multi: number): unknown {
  let reply = replies[i];
  if (multi >= 0) {
    const queued = replies[multi + 1 + i];
    const exec = replies[replies.length - 1];
    reply = queued instanceof Error ? queued : exec instanceof Error ? exec : Array.isArray(exec) ? exec[i] : exec;
  }
  if (reply instanceof Error) throw reply;
  return reply;
}

/**
 * A unit that `signal` can abort: `make` gets settle callbacks that also drop the abort
 * listener, so a settled unit leaves nothing behind on the signal.
 */
function abortable<U extends Unit>(
  signal: AbortSignal,
  resolve: (v: never) => void,
  reject: (e: unknown) => void,
  make: (resolve: (v: unknown) => void, reject: (e: unknown) => void) => U,
): U {
  const onAbort = (): void => abortUnit(unit, signal.reason);
  const unit = make(
    (v) => {
      signal.removeEventListener('abort', onAbort);
      (resolve as (v: unknown) => void)(v);
    },
    (e) => {
      signal.removeEventListener('abort', onAbort);
      reject(e);
    },
  );
  signal.addEventListener('abort', onAbort, { once: true });
  return unit;
}
