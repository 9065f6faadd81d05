/**
 * The cluster paths that send one unit to one node at a time — a MULTI block on the shared
 * connection, a blocking command on a pooled connection, a whole WATCH attempt on a pooled
 * connection — each as a Lane of redirect.ts, so they meet MOVED, ASK and TRYAGAIN under the
 * same table as single commands and pipelines.
 *
 *   MULTI/EXEC under redirects (nothing ran in any of these rows; see batch/transaction.ts):
 *   reply                                        next
 *   -MOVED to MULTI / a queued command, EXECABORT  learn; the block again at the new owner
 *   -ASK   to a queued command, EXECABORT          ASKING, MULTI … EXEC at the importing node (the
 *                                                  server keeps ASKING for the whole block)
 *   -TRYAGAIN (keys split by a migration)          wait, the block again at the owner
 *   block lost before the write                    the owner after a refresh
 *   block lost after the write                     final: it may have run
 *
 * WATCH cannot carry ASKING through the user's callback (it would be needed before every read
 * and before MULTI), so a WATCH attempt that meets ASK waits like TRYAGAIN until the slot moved.
 */
import { ClusterError, CrossSlotError, PipelineError, ReplyError, TimeoutError } from '../errors.js';
import { blockingLimitMs } from '../commands/blocking.js';
import { timeLimit } from '../connection/socket.js';
import type { Command } from '../commands/command.js';
import { commandKeyIndexes } from '../commands/keys.js';
import { prefixKey } from '../commands/key-prefix.js';
import type { RedisKey } from '../commands/keyspace-methods.js';
import { entryFailure, sendEach, sendTransaction } from '../connection/send.js';
import { readTransaction, transactionBlock } from '../batch/transaction.js';
import { runWatch, type WatchCallback, type WatchOptions } from '../batch/watch.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { Reply } from './merge.js';
import { awaitOwner, followRedirects, noOwner, outcomeOf, type Entry, type Lane } from './redirect.js';
import { keySlot } from './slot.js';
import type { NodeAddress } from './slot-map.js';
import type { Topology } from './topology.js';

/**
 * The one slot every key of the commands lives in; CrossSlotError (naming two keys and their
 * slots) when they differ. undefined when no command has a key.
 */
export function commonSlotOf(what: string, cmds: readonly Command<unknown>[]): number | undefined {
  let slot: number | undefined;
  let firstKey: RedisArg | undefined;
  for (const c of cmds) {
    for (const i of commandKeyIndexes(c.name, c.args)) {
      const key = c.args[i]!;
      const s = keySlot(key);
      if (slot === undefined) {
        slot = s;
        firstKey = key;
      } else if (s !== slot) {
        throw new CrossSlotError(what, [String(firstKey), String(key)], [slot, s]);
      }
    }
  }
  return slot;
}

/** First attempt at the slot's owner (read again once when unknown), then the engine. */
async function runUnit(topology: Topology, entry: Entry, lane: Lane<Entry>): Promise<unknown> {
  let node: NodeAddress | undefined = entry.slot < 0 ? topology.anyPrimary() : topology.slotMap.primaryOf(entry.slot);
  if (node === undefined) {
    if (entry.slot >= 0) node = await awaitOwner(topology, entry.slot);
    else {
      await topology.refresh().catch(() => undefined);
      node = topology.anyPrimary();
    }
    if (node === undefined) throw noOwner(entry.cmd.name, entry.slot, entry.slot >= 0 && topology.slotMap.isFailingOver(entry.slot));
  }
  let [reply] = await lane(node, [entry], false);
  if (outcomeOf(reply, entry) !== 'final') [reply] = await followRedirects(topology, [{ entry, reply: reply!, from: node }], lane);
  if (reply instanceof Error) throw reply;
  return reply;
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

// ── MULTI/EXEC ───────────────────────────────────────────────────────────────────────

export async function runTransaction(topology: Topology, cmds: readonly Command<unknown>[]): Promise<unknown[]> {
  const slot = commonSlotOf('MULTI', cmds) ?? -1;
  const block = transactionBlock(cmds);
  const lane: Lane<Entry> = async (node, _entries, asking) => {
    let replies: unknown[];
    try {
      replies = await sendTransaction(topology.connection(node), cmds, block, { asking });
    } catch (error) {
      // Any part of the block written: it may have run (EXEC included), so it is never re-sent.
      return [entryFailure(error, error instanceof PipelineError && error.written > 0)];
    }
    const outcome = readTransaction(replies, cmds);
    switch (outcome.kind) {
      case 'ran':
        return [outcome.results as RespValue[]];
      case 'watch-aborted':
        return [new ClusterError('EXEC answered null outside watch()')];
      case 'aborted':
      case 'redirected':
        return [outcome.error];
    }
  };
  // Keyless blocks go to any primary; a lost one is not bound to its node.
  return (await runUnit(topology, { cmd: { name: 'MULTI', args: [] }, slot }, lane)) as unknown[];
}

// ── blocking commands ────────────────────────────────────────────────────────────────

/** Blocking commands wait on a dedicated connection to the slot's owner, never on the shared one. */
export function runBlocking<T>(topology: Topology, cmd: Command<T>): Promise<T> {
  const slot = commonSlotOf(cmd.name, [cmd as Command<unknown>]) ?? -1;
  const limitMs = blockingLimitMs(cmd.name, cmd.args, topology.options.node.commandTimeout);
  const lane: Lane<Entry> = async (node, entries, asking) => {
    const pool = topology.pool(node);
    let conn;
    try {
      conn = await pool.acquire();
    } catch (error) {
      return [entryFailure(error, false)];
    }
    const sent = sendEach(conn, [entries[0]!.cmd], { asking });
    // Its server timeout plus commandTimeout, as on a standalone client (commands/blocking.ts).
    const [reply] = limitMs > 0 ? await timeLimit(sent, limitMs, () => [new TimeoutError(`${cmd.name} timed out after ${limitMs} ms (its server timeout plus commandTimeout)`, limitMs)]) : await sent;
    // A reply error leaves the connection clean; a lost or timed-out one leaves it in doubt.
    if (reply instanceof ReplyError || !(reply instanceof Error)) await pool.release(conn).catch(() => undefined);
    else await pool.destroy(conn).catch(() => undefined);
    return [reply as Reply];
  };
  return runUnit(topology, { cmd: cmd as Command<unknown>, slot }, lane) as Promise<T>;
}

// ── WATCH ────────────────────────────────────────────────────────────────────────────

/** A whole watch() attempt (WATCH, the callback, EXEC) at the owner of the keys' slot. */
export function runClusterWatch<R extends unknown[]>(
  topology: Topology,
  keys: readonly RedisKey[],
  fn: WatchCallback<R>,
  options: WatchOptions | undefined,
  keyPrefix: string | undefined,
): Promise<R | null> {
  // The slot is the prefixed keys'; runWatch puts the prefix on the keys and the callback's commands.
  const cmd: Command<unknown> = { name: 'WATCH', args: keys.map((k) => prefixKey(k, keyPrefix)) };
  const slot = commonSlotOf('WATCH', [cmd])!;
  // A MOVED or TRYAGAIN to WATCH, a read or the queued block means nothing was committed.
  const lane: Lane<Entry> = (node) =>
    runWatch(topology.pool(node), keys, fn, options, keyPrefix).then(
      (result) => [result as Reply],
      (error: unknown) => [asError(error)],
    );
  return runUnit(topology, { cmd, slot, askable: false }, lane) as Promise<R | null>;
}
