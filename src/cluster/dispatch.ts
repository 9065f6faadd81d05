/**
 * Sends commands to the nodes a plan names and brings every reply home, correcting course on
 * the way:
 *
 *   planBatch ──▶ one sub-pipeline per node, all written at once (latency = slowest node)
 *             ──▶ replies into MergeState at their original positions
 *             ──▶ entries answered MOVED / ASK / TRYAGAIN / CLUSTERDOWN, or never written
 *                 because their node was gone, are retried one by one at their new target
 *             ──▶ result(): one reply per caller's command, in the caller's order
 *
 * A command that was written and then lost with its connection is never re-sent: it may have
 * run. Retries stop after maxRedirections with an error naming the slot and the nodes visited.
 */
import { ClusterError, ConnectionError, CrossSlotError, PipelineError, ReplyError } from '../errors.js';
import type { Command } from '../commands/command.js';
import { commandKeyIndexes } from '../commands/keys.js';
import type { Connection } from '../connection/connection.js';
import { readTransaction, transactionBlock } from '../batch/transaction.js';
import { sendOne, sendPipeline, sendTransaction } from '../scripts/index.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { MergeState, type Reply } from './merge.js';
import { planBatch, type BatchPlan, type EntryRef, type NodeBatch, type PlanOptions } from './plan.js';
import { routeCommand } from './route.js';
import { keySlot } from './slot.js';
import { nodeKey, type NodeAddress, type NodeInfo } from './slot-map.js';
import type { Topology } from './topology.js';

const ASKING: Command<unknown> = { name: 'ASKING', args: [] };
const TO_REPLICA = Object.freeze({ readOnlyToReplica: true });

/** Exponential, capped at 1 s: 50, 100, 200, … ms with the default retryDelay. */
function backoff(base: number, attempt: number): number {
  return Math.min(1000, base * 2 ** Math.min(Math.max(attempt - 1, 0), 5));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Why an entry may be sent again, or undefined when its reply is final. */
function retryReason(reply: unknown): 'moved' | 'ask' | 'wait' | 'reroute' | undefined {
  if (reply instanceof ReplyError) {
    switch (reply.kind) {
      case 'moved':
        return reply.redirect === undefined ? undefined : 'moved';
      case 'ask':
        return reply.redirect === undefined ? undefined : 'ask';
      case 'tryagain':
      case 'clusterdown':
      case 'loading':
      case 'masterdown':
        return 'wait';
      case 'readonly':
        // A write reached a node that is a replica now: a failover happened.
        return 'reroute';
      default:
        return undefined;
    }
  }
  // Never written: safe to send elsewhere (retryEntry stops when the user closed the client).
  // Refused credentials are final: no topology change makes a wrong password right.
  if (reply instanceof ConnectionError && !reply.written) return isAuthFailure(reply) ? undefined : 'reroute';
  return undefined;
}

function isAuthFailure(error: ConnectionError): boolean {
  return error.reason === 'handshake' && error.cause instanceof ReplyError && error.cause.kind === 'auth';
}

function planOptions(topology: Topology): PlanOptions {
  return topology.options.readFrom === 'preferReplica' ? { readOnlyToReplica: true, readFrom: topology.pickReader } : {};
}

/** A sent entry that came back with a redirect or without having been written. */
interface Retry {
  readonly ref: EntryRef;
  readonly cmd: Command<unknown>;
  readonly slot: number;
  readonly first: Reply;
  readonly from: string;
}

// ── one command ──────────────────────────────────────────────────────────────────────

/** Single commands take the short road when they have one target; else they are a batch of one. */
export function runCommand<T>(topology: Topology, cmd: Command<T>): Promise<T> {
  const route = routeCommand(cmd, topology.options.readFrom === 'preferReplica' ? TO_REPLICA : undefined);
  let node: NodeInfo | undefined;
  let slot = -1;
  if (route.kind === 'slot') {
    slot = route.slot;
    const shard = topology.slotMap.shardOf(slot);
    if (shard !== undefined) node = route.readOnly ? topology.pickReader(shard) : shard.primary;
  } else if (route.kind === 'any') {
    node = topology.anyPrimary();
  }
  if (node === undefined) return runPipeline(topology, [cmd]).then(([r]) => unwrap<T>(r));
  const target = node;
  const retry = (reply: Reply): Promise<T> => {
    if (retryReason(reply) === undefined) return Promise.reject(reply);
    return retryEntry(topology, { ref: { kind: 'whole', index: 0 }, cmd, slot, first: reply, from: nodeKey(target) }).then((r) => unwrap<T>(r));
  };
  let conn: Connection;
  try {
    conn = topology.connection(target);
  } catch (error) {
    return Promise.reject(error);
  }
  // Without a script the common case costs what it costs on a single server: one send.
  return sendOne(conn, cmd).catch(retry);
}

function unwrap<T>(reply: unknown): T {
  if (reply instanceof Error) throw reply;
  return reply as T;
}

/**
 * The error an entry gets when its batch failed as a whole; entries past `written` never left.
 * Anything but a PipelineError already is the entry's own error.
 */
function batchFailure(error: unknown, index: number): Error {
  if (!(error instanceof PipelineError)) return error instanceof Error ? error : new Error(String(error));
  const cause = error.cause instanceof Error ? error.cause : error;
  if (cause instanceof ConnectionError && index >= error.written) {
    return new ConnectionError(cause.message, cause.reason, { written: false, cause });
  }
  return cause;
}

// ── pipelines ────────────────────────────────────────────────────────────────────────

export async function runPipeline(topology: Topology, cmds: readonly Command<unknown>[]): Promise<unknown[]> {
  let plan = planBatch(cmds, topology.slotMap, planOptions(topology));
  if (plan.assembly.some((a) => a.kind === 'refused' && a.reason === 'no-owner')) {
    // The map has holes (first use, resharding): read it again once before refusing anything.
    await topology.refresh().catch(() => undefined);
    plan = planBatch(cmds, topology.slotMap, planOptions(topology));
  }
  const state = new MergeState(plan);
  const retries: Retry[] = [];
  await Promise.all(plan.nodes.map((batch) => sendNodeBatch(topology, cmds, batch, state, retries)));
  if (retries.length > 0) {
    await Promise.all(retries.map(async (r) => state.set(r.ref, await retryEntry(topology, r))));
  }
  return finish(plan, cmds, state.result());
}

/** Split and fan-out entries were sent as new records: their transforms run on the merged reply. */
function finish(plan: BatchPlan, cmds: readonly Command<unknown>[], replies: Reply[]): unknown[] {
  for (let i = 0; i < replies.length; i++) {
    const a = plan.assembly[i]!;
    const transform = cmds[i]!.transform;
    if ((a.kind === 'split' || a.kind === 'fan-out') && transform !== undefined && !(replies[i] instanceof Error)) {
      try {
        replies[i] = transform(replies[i] as RespValue) as Reply;
      } catch (error) {
        replies[i] = error instanceof Error ? error : new Error(String(error));
      }
    }
  }
  return replies;
}

/** The commands a node receives; parts of a split inherit the caller's returnBuffers. */
function nodeCommands(cmds: readonly Command<unknown>[], batch: NodeBatch): Command<unknown>[] {
  const out = new Array<Command<unknown>>(batch.commands.length);
  for (let i = 0; i < out.length; i++) {
    const c = batch.commands[i] as Command<unknown>;
    const ref = batch.refs[i]!;
    const wantBuffers = ref.kind === 'part' ? cmds[ref.index]!.returnBuffers : undefined;
    out[i] = wantBuffers === true ? { name: c.name, args: c.args, returnBuffers: true } : c;
  }
  return out;
}

/** Writes one node's share in slices of maxBatch (two in flight) and files every reply. */
async function sendNodeBatch(
  topology: Topology,
  cmds: readonly Command<unknown>[],
  batch: NodeBatch,
  state: MergeState,
  retries: Retry[],
): Promise<void> {
  const commands = nodeCommands(cmds, batch);
  const size = Math.max(1, topology.options.node.maxBatch);
  let conn: Connection;
  try {
    conn = topology.connection(batch.node);
  } catch (error) {
    for (const ref of batch.refs) state.set(ref, error instanceof Error ? error : new Error(String(error)));
    return;
  }
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < commands.length) {
      const start = next;
      const end = Math.min(commands.length, start + size);
      next = end;
      const slice = start === 0 && end === commands.length ? commands : commands.slice(start, end);
      let replies: readonly unknown[] | undefined;
      let failure: unknown;
      try {
        replies = await sendPipeline(conn, slice);
      } catch (error) {
        failure = error;
      }
      for (let i = start; i < end; i++) {
        const reply = replies !== undefined ? (replies[i - start] as Reply) : batchFailure(failure, i - start);
        if (retryReason(reply) === undefined) {
          state.set(batch.refs[i]!, reply);
        } else {
          retries.push({ ref: batch.refs[i]!, cmd: commands[i]!, slot: batch.slots[i]!, first: reply, from: batch.key });
        }
      }
    }
  };
  await Promise.all(commands.length > size ? [lane(), lane()] : [lane()]);
}

/** Follows one entry's redirects until it gets a final reply (or runs out of redirections). */
async function retryEntry(topology: Topology, r: Retry): Promise<Reply> {
  const { maxRedirections, retryDelay } = topology.options;
  const visited = [r.from];
  let reply: Reply = r.first;
  for (let attempt = 1; attempt <= maxRedirections; attempt++) {
    const reason = retryReason(reply);
    if (reason === undefined || topology.closed) return reply;
    let target: NodeAddress | undefined;
    let asking = false;
    if (reason === 'moved') {
      const to = (reply as ReplyError).redirect!;
      topology.moved(to.slot, to);
      target = topology.options.mapAddress(to);
      // Sent back to a node already tried: two nodes disagree mid-failover. Give them time.
      if (visited.includes(nodeKey(target))) await delay(backoff(retryDelay, attempt));
    } else if (reason === 'ask') {
      topology.stats.ask++;
      target = topology.options.mapAddress((reply as ReplyError).redirect!);
      asking = true;
    } else {
      if (reply instanceof ReplyError) {
        if (reply.kind === 'clusterdown') topology.stats.clusterDown++;
        else topology.stats.tryAgain++;
      } else {
        topology.stats.connectionRetries++;
      }
      await delay(backoff(retryDelay, attempt));
      if (reason === 'reroute' || (reply instanceof ReplyError && reply.kind === 'clusterdown')) {
        await topology.refresh().catch(() => undefined);
      }
      if (r.slot < 0) return reply; // keyless fan-out parts belong to one node: nowhere else to go
      target = topology.slotMap.primaryOf(r.slot);
      if (target === undefined) continue;
    }
    visited.push(nodeKey(target));
    try {
      const conn = topology.connection(target);
      if (asking) {
        const replies = await sendPipeline(conn, [ASKING, r.cmd]);
        reply = replies[1] as Reply;
      } else {
        reply = (await sendOne(conn, r.cmd).catch((error: unknown) => batchFailure(error, 0))) as Reply;
      }
    } catch (error) {
      reply = batchFailure(error, 0);
    }
  }
  if (retryReason(reply) === undefined) return reply;
  const slot = r.slot >= 0 ? `slot ${r.slot}` : 'a keyless command';
  return new ClusterError(
    `${r.cmd.name}: ${slot} was redirected more than ${maxRedirections} times (nodes: ${visited.join(' → ')}); last: ${reply instanceof Error ? reply.message : String(reply)}`,
  );
}

// ── transactions ─────────────────────────────────────────────────────────────────────

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

/** MULTI/EXEC at the owner of the commands' slot; a redirected block ran nowhere and is re-sent. */
export async function runTransaction(topology: Topology, cmds: readonly Command<unknown>[]): Promise<unknown[]> {
  const slot = commonSlotOf('MULTI', cmds);
  const { maxRedirections, retryDelay } = topology.options;
  const visited: string[] = [];
  let last: ReplyError | undefined;
  for (let attempt = 0; attempt <= maxRedirections; attempt++) {
    const node = slot === undefined ? topology.anyPrimary() : topology.slotMap.primaryOf(slot);
    if (node === undefined) {
      await topology.refresh();
      continue;
    }
    visited.push(nodeKey(node));
    let replies: unknown[];
    try {
      replies = await sendTransaction(topology.connection(node), cmds, transactionBlock(cmds));
    } catch (error) {
      // Nothing of the block was written (its node was gone): it ran nowhere, send it again.
      const failure = batchFailure(error, 0);
      if (retryReason(failure) !== 'reroute' || topology.closed) throw failure;
      topology.stats.connectionRetries++;
      await delay(backoff(retryDelay, attempt + 1));
      await topology.refresh().catch(() => undefined);
      continue;
    }
    const outcome = readTransaction(replies, cmds);
    switch (outcome.kind) {
      case 'ran':
        return outcome.results;
      case 'aborted':
        throw outcome.error;
      case 'watch-aborted':
        throw new ClusterError('EXEC answered null outside watch()');
      case 'redirected': {
        last = outcome.error;
        const to = last.redirect;
        if (last.kind === 'moved' && to !== undefined) {
          topology.moved(to.slot, to);
          const next = topology.slotMap.primaryOf(to.slot);
          if (next !== undefined && visited.includes(nodeKey(next))) await delay(backoff(retryDelay, attempt));
          continue;
        }
        if (last.kind === 'ask') topology.stats.ask++;
        else if (last.kind === 'clusterdown') topology.stats.clusterDown++;
        else if (last.kind === 'tryagain') topology.stats.tryAgain++;
        else throw last;
        // ASK mid-migration: the keys are split between two nodes; wait for the move to finish.
        await delay(backoff(retryDelay, attempt + 1));
        if (last.kind === 'clusterdown') await topology.refresh().catch(() => undefined);
      }
    }
  }
  throw new ClusterError(
    `MULTI: slot ${slot ?? '(none)'} was redirected more than ${maxRedirections} times (nodes: ${visited.join(' → ')}); last: ${last?.message ?? 'no owner known'}`,
  );
}
