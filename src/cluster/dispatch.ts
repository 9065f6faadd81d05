/**
 * Single commands and pipelines on the cluster: the first attempt, then redirect.ts for every
 * reply that is not final, then merge.ts, then the reply transforms, once, here:
 *
 *   planBatch ──▶ one sub-pipeline per node, all at once, sliced by batch/slices.ts
 *             ──▶ final replies into MergeState at their original positions
 *             ──▶ the rest (MOVED, ASK, TRYAGAIN, lost unwritten…) to followRedirects, in rounds
 *             ──▶ result() in the caller's order ──▶ each command's transform
 *
 * Commands go to the nodes without their transforms (a split part or a fan-out copy has none
 * anyway), so every entry is transformed in the same place, after the merge. A lone command with
 * one known target is the exception that keeps the hot path one send: the connection applies
 * its transform, and only if it bounces does it join the engine.
 */
import type { Command } from '../commands/command.js';
import { sendEach, sendOne } from '../connection/send.js';
import { channels } from '../diagnostics.js';
import { forEachSlice } from '../batch/slices.js';
import type { RespValue } from '../resp/types.js';
import { MergeState, type Reply } from './merge.js';
import { planBatch, type BatchPlan, type EntryRef, type NodeBatch, type PlanOptions } from './plan.js';
import { followRedirects, outcomeOf, waitAndRefresh, type Bounce, type Entry, type Lane } from './redirect.js';
import { readsFromReplicas } from './options.js';
import { routeCommand, type RouteContext } from './route.js';
import type { NodeAddress, NodeInfo } from './slot-map.js';
import type { Topology } from './topology.js';

/** Each topology's route context, made once: the hot path allocates nothing for it. */
const contexts = new WeakMap<Topology, RouteContext>();
function routeContext(topology: Topology): RouteContext {
  let ctx = contexts.get(topology);
  if (ctx === undefined) {
    ctx = Object.freeze({ readOnlyToReplica: readsFromReplicas(topology.options.readFrom), learned: topology.learnedKeys });
    contexts.set(topology, ctx);
  }
  return ctx;
}

/** A pipeline entry as sent to a node: where its reply belongs. */
interface PipelineEntry extends Entry {
  readonly ref: EntryRef;
}

export function planOptions(topology: Topology): PlanOptions {
  return readsFromReplicas(topology.options.readFrom) ? { readOnlyToReplica: true, readFrom: topology.pickReader, learned: topology.learnedKeys } : { learned: topology.learnedKeys };
}

/**
 * The command as a node receives it: no transform (applied after the merge). One without a
 * transform goes as it is, which saves an object per command of a plain batch.
 */
function bare(c: Command<unknown>, returnBuffers: boolean | undefined): Command<unknown> {
  if (c.transform === undefined && c.returnBuffers === returnBuffers && c.signal === undefined) return c;
  return { name: c.name, args: c.args, returnBuffers, script: c.script, library: c.library };
}

/** The one place a cluster reply is transformed; a throwing transform fails that entry only. */
function transformed(cmd: Command<unknown>, reply: Reply): Reply {
  if (cmd.transform === undefined || reply instanceof Error) return reply;
  try {
    return cmd.transform(reply as RespValue) as Reply;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Sends entries on a node's shared connection; every entry gets its own reply or failure. */
export function sharedLane<E extends Entry>(topology: Topology, plannedAt?: number): Lane<E> {
  return async (node, entries, asking) => {
    const cmds = entries.map((e) => e.cmd);
    try {
      return (await sendEach(topology.connection(node), cmds, { asking, plannedAt })) as Reply[];
    } catch (error) {
      return cmds.map(() => (error instanceof Error ? error : new Error(String(error))));
    }
  };
}

// ── one command ──────────────────────────────────────────────────────────────────────

/** Single commands take the short road when they have one target; else they are a batch of one. */
export function runCommand<T>(topology: Topology, cmd: Command<T>): Promise<T> {
  const route = routeCommand(cmd, routeContext(topology));
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
  let conn;
  try {
    conn = topology.connection(target);
  } catch (error) {
    return Promise.reject(error);
  }
  // Without a script the common case costs what it costs on a single server: one send.
  return sendOne(conn, cmd).catch((reply: unknown) => bounced(topology, cmd as Command<unknown>, slot, reply as Reply, target));
}

async function bounced<T>(topology: Topology, cmd: Command<unknown>, slot: number, reply: Reply, from: NodeAddress): Promise<T> {
  const entry: Entry = { cmd: bare(cmd, cmd.returnBuffers), slot };
  if (outcomeOf(reply, entry) === 'final') throw reply;
  const [final] = await followRedirects(topology, [{ entry, reply, from }], sharedLane(topology));
  return unwrap<T>(transformed(cmd, final!));
}

export function hasNoOwner(a: BatchPlan['assembly'][number]): boolean {
  return a.kind === 'refused' && a.reason === 'no-owner';
}

function unwrap<T>(reply: unknown): T {
  if (reply instanceof Error) throw reply;
  return reply as T;
}

// ── pipelines ────────────────────────────────────────────────────────────────────────

export async function runPipeline(topology: Topology, cmds: readonly Command<unknown>[]): Promise<unknown[]> {
  let plan = planBatch(cmds, topology.slotMap, planOptions(topology));
  // The map has holes (a shard failing over lists no online primary, resharding): wait and read
  // it again, within failoverTimeout, before refusing anything.
  const started = Date.now();
  for (let waits = 1; plan.assembly.some(hasNoOwner); waits++) {
    if (!(await waitAndRefresh(topology, started, waits))) break;
    plan = planBatch(cmds, topology.slotMap, planOptions(topology));
  }
  return runPlan(topology, cmds, plan);
}

/**
 * Runs a plan of `cmds` made by planBatch: first attempts, redirects, merge, transforms.
 * `answered(key)` hears each node's first attempt end (bulk() gives that node room again).
 */
export async function runPlan(topology: Topology, cmds: readonly Command<unknown>[], plan: BatchPlan, answered?: (node: string) => void): Promise<unknown[]> {
  // A traced lane's BatchTiming starts here, when the batch has been split by node.
  const plannedAt = channels.batch.hasSubscribers ? performance.now() : undefined;
  const state = new MergeState(plan);
  const bounces: Bounce<PipelineEntry>[] = [];
  const lane = sharedLane<PipelineEntry>(topology, plannedAt);
  const attempt = (batch: NodeBatch): Promise<void> => firstAttempt(topology, cmds, batch, lane, state, bounces);
  await Promise.all(plan.nodes.map(answered === undefined ? attempt : (batch) => attempt(batch).finally(() => answered(batch.key))));
  if (bounces.length > 0) {
    // A re-sent share is planned anew: its timing starts when the engine sends it.
    const finals = await followRedirects(topology, bounces, sharedLane<PipelineEntry>(topology));
    for (let i = 0; i < bounces.length; i++) state.set(bounces[i]!.entry.ref, finals[i]!);
  }
  const replies = state.result();
  for (let i = 0; i < replies.length; i++) replies[i] = transformed(cmds[i]!, replies[i]!);
  return replies;
}

/** One node's share, in slices of maxBatch (two in flight): final replies filed, the rest bounced. */
async function firstAttempt(
  topology: Topology,
  cmds: readonly Command<unknown>[],
  batch: NodeBatch,
  lane: Lane<PipelineEntry>,
  state: MergeState,
  bounces: Bounce<PipelineEntry>[],
): Promise<void> {
  const entries = new Array<PipelineEntry>(batch.commands.length);
  for (let i = 0; i < entries.length; i++) {
    const ref = batch.refs[i]!;
    // Parts of a split inherit the caller's returnBuffers; whole entries carry their own.
    const returnBuffers = cmds[ref.index]!.returnBuffers;
    entries[i] = { cmd: bare(batch.commands[i] as Command<unknown>, returnBuffers), slot: batch.slots[i]!, ref };
  }
  await forEachSlice(entries.length, topology.options.node.maxBatch, async (start, end) => {
    const slice = start === 0 && end === entries.length ? entries : entries.slice(start, end);
    const replies = await lane(batch.node, slice, false);
    for (let i = 0; i < slice.length; i++) {
      const entry = slice[i]!;
      const reply = replies[i]!;
      if (outcomeOf(reply, entry) === 'final') state.set(entry.ref, reply);
      else bounces.push({ entry, reply, from: batch.node });
    }
  });
}
