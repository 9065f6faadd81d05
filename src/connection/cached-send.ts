/**
 * The one place the client-side cache meets the send path: a connection with a cache sends
 * every single command through sendCached() and tells noteBatch() about every batch. A read
 * the cache holds is answered here without a write; a miss is sent without its transform, its
 * raw reply stored (a copy) under the race rules of cache/store.ts, then transformed for the
 * caller; a write drops its keys before it is sent, so a read of them already in flight is not
 * stored and a later read goes to the server. Batches (pipelines, MULTI blocks) are never
 * answered from the cache; their writes invalidate like any other.
 */
import { AbortError, CommandRefusedError } from '../errors.js';
import { checkArgs } from '../resp/encoder.js';
import type { RespValue } from '../resp/types.js';
import type { Command } from '../commands/command.js';
import { classify, readInvalidation } from '../cache/commands.js';
import { cloneReply } from '../cache/clone.js';
import type { ClientCache } from '../cache/store.js';
import type { ResolvedOptions } from './options.js';

type Send = <T>(cmd: Command<T>) => Promise<T>;

export function sendCached<T>(cache: ClientCache, o: ResolvedOptions, cmd: Command<T>, send: Send): Promise<T> {
  const access = classify(cmd.name, cmd.args, cmd.returnBuffers ?? o.returnBuffers);
  switch (access.kind) {
    case 'none':
      return send(cmd);
    case 'write':
      cache.invalidate(access.keys);
      return send(cmd);
    case 'flush':
      cache.flush();
      return send(cmd);
    case 'refused':
      return Promise.reject(new CommandRefusedError(cmd.name, access.why));
    case 'read':
      break;
  }
  try {
    // A hit must refuse what a send would refuse: bad arguments, an aborted signal.
    checkArgs(cmd.name, cmd.args, o.maxArgumentBytes);
    if (cmd.signal?.aborted === true) throw new AbortError(cmd.name, false, cmd.signal.reason);
  } catch (error) {
    return Promise.reject(error);
  }
  const found = cache.lookup(access.keys, access.entries, Date.now());
  if (Array.isArray(found)) {
    try {
      const raw = access.perKey ? found.map(cloneReply) : cloneReply(found[0]!);
      return Promise.resolve(cmd.transform === undefined ? (raw as T) : cmd.transform(raw));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const ticket = found;
  const bare = cmd.transform === undefined ? (cmd as Command<unknown>) : { ...cmd, transform: undefined };
  return send(bare).then(
    (reply) => {
      const r = reply as RespValue;
      if (!access.perKey) cache.complete(ticket, [cloneReply(r)]);
      else if (Array.isArray(r) && r.length === ticket.entries.length) cache.complete(ticket, r.map(cloneReply));
      else cache.abandon(ticket);
      return cmd.transform === undefined ? (r as T) : cmd.transform(r);
    },
    (error: unknown) => {
      cache.abandon(ticket);
      throw error;
    },
  );
}

/** A batch on a cached connection: its writes invalidate now; a command that would switch tracking off refuses it. */
export function noteBatch(cache: ClientCache, o: ResolvedOptions, cmds: readonly Command<unknown>[]): CommandRefusedError | undefined {
  // Each command classified once; nothing is invalidated before the whole batch is known to go.
  const accesses = cmds.map((c) => classify(c.name, c.args, c.returnBuffers ?? o.returnBuffers));
  for (let i = 0; i < accesses.length; i++) {
    const access = accesses[i]!;
    if (access.kind === 'refused') return new CommandRefusedError(cmds[i]!.name, access.why, i);
  }
  for (const access of accesses) {
    if (access.kind === 'write') cache.invalidate(access.keys);
    else if (access.kind === 'flush') cache.flush();
  }
  return undefined;
}

/**
 * Applies an invalidation push (RESP3 tracking) to the cache; other pushes leave it alone.
 * Called before any 'push' listener runs, in the order pushes arrive relative to replies.
 */
export function applyInvalidation(cache: ClientCache, push: RespValue[]): void {
  const keys = readInvalidation(push);
  if (keys === 'all') cache.flush();
  else if (keys !== undefined) cache.invalidate(keys);
}
