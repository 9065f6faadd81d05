/**
 * Where one command goes in a cluster, as a small discriminated union. A pure function of the
 * command (its keys' slots and the server's request/response policy tips); which node owns a
 * slot is the slot map's business, not this module's.
 *
 *   keys, one slot           → slot          (readOnly: a replica may serve it)
 *   keys, several slots      → cross-slot    (split: how to split and merge, when allowed)
 *   keyless, all_shards      → all-primaries (+ the response policy to merge with)
 *   keyless, all_nodes       → all-nodes     (+ the response policy)
 *   keyless, special (SCAN)  → special       (the caller must handle it by name)
 *   keyless, no policy       → any
 *
 * And which node of a shard serves a read-only command (chooseReader), from what the topology
 * knows of each node — its availability zone, whether its connection is down — given as input.
 *
 * Must not import connections, the slot map's owners or anything with I/O.
 */
import {
  isReadOnlySpec,
  keyIndexesOf,
  keyStepOf,
  lookupCommand,
  type CommandSpec,
  type ResponsePolicy,
} from '../commands/keys.js';
import type { RedisArg } from '../resp/types.js';
import type { LearnedKeyLookup } from './learned-keys.js';
import { keySlot } from './slot.js';
import type { ReadFrom } from './options.js';
import type { NodeInfo, ShardInfo } from './slot-map.js';

export type { ResponsePolicy } from '../commands/keys.js';

export interface RoutableCommand {
  readonly name: string;
  readonly args: readonly RedisArg[];
}

export interface RouteContext {
  /** Read-only commands may go to a replica (the cluster's readOnly / scaleReads option). */
  readonly readOnlyToReplica?: boolean | undefined;
  /** Key positions learned (COMMAND GETKEYS) for commands the table does not know. */
  readonly learned?: LearnedKeyLookup | undefined;
}

/** How the parts of a split command are merged: by the table's response policy, or by key order. */
export interface SplitRule {
  /** Arguments each key carries with it, the key included (MSET k v → 2). */
  readonly keyStep: number;
  /** undefined = replies are per key and go back in key order (MGET). */
  readonly response: ResponsePolicy | undefined;
}

export type Route =
  | { readonly kind: 'slot'; readonly slot: number; readonly readOnly: boolean }
  | {
      readonly kind: 'cross-slot';
      /** Indexes into args of the keys, and the slot of each (parallel arrays). */
      readonly keyIndexes: readonly number[];
      readonly slots: readonly number[];
      /** Set when the command may be split per slot (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH). */
      readonly split: SplitRule | undefined;
    }
  | { readonly kind: 'all-primaries'; readonly response: ResponsePolicy | undefined }
  | { readonly kind: 'all-nodes'; readonly response: ResponsePolicy | undefined }
  | { readonly kind: 'special' }
  | { readonly kind: 'any' };

const ANY: Route = Object.freeze({ kind: 'any' });
const SPECIAL: Route = Object.freeze({ kind: 'special' });

/**
 * Commands that are safe to split per slot: each key is independent and the server's answer
 * for several keys is a plain combination of the answers per key. MSETNX is not here although
 * the server tags it multi_shard: split, it would no longer be all-or-nothing.
 */
const SPLITTABLE: ReadonlySet<string> = new Set(['mget', 'mset', 'del', 'unlink', 'exists', 'touch']);

/**
 * Keyless commands the tips send to every shard, but which a client means for one connection:
 * ping() and info() answer for a node, and RANDOMKEY from every shard would be a list.
 */
const ONE_NODE: ReadonlySet<string> = new Set(['ping', 'info', 'randomkey']);

/** Loads that must reach every primary even on servers whose table has no tip for them. */
const LOAD_EVERYWHERE: ReadonlySet<string> = new Set(['script|load', 'function|load']);

export function routeCommand(cmd: RoutableCommand, ctx?: RouteContext): Route {
  const spec = lookupCommand(cmd.name, cmd.args);
  if (spec === undefined) {
    // Unknown (module) commands: by the keys the server named, else any node; a MOVED reply
    // corrects us if it had keys after all.
    const learned = ctx?.learned?.keysOf(cmd.name, cmd.args);
    return learned === undefined || learned.length === 0 ? ANY : keyedRoute(undefined, cmd.args, learned, ctx);
  }
  const keys = keyIndexesOf(spec, cmd.args);
  if (keys.length > 0) return keyedRoute(spec, cmd.args, keys, ctx);
  return keylessRoute(spec);
}

function keyedRoute(
  spec: CommandSpec | undefined,
  args: readonly RedisArg[],
  keys: readonly number[],
  ctx: RouteContext | undefined,
): Route {
  const slot = keySlot(args[keys[0]!]!);
  for (let i = 1; i < keys.length; i++) {
    if (keySlot(args[keys[i]!]!) === slot) continue;
    const slots = keys.map((k) => keySlot(args[k]!));
    const split = spec !== undefined && SPLITTABLE.has(spec.name) ? { keyStep: keyStepOf(spec), response: spec.responsePolicy } : undefined;
    return { kind: 'cross-slot', keyIndexes: keys, slots, split };
  }
  return { kind: 'slot', slot, readOnly: ctx?.readOnlyToReplica === true && spec !== undefined && isReadOnlySpec(spec) };
}

function keylessRoute(spec: CommandSpec): Route {
  if (ONE_NODE.has(spec.name)) return ANY;
  switch (spec.requestPolicy) {
    case 'all_shards':
      return { kind: 'all-primaries', response: spec.responsePolicy };
    case 'all_nodes':
      return { kind: 'all-nodes', response: spec.responsePolicy };
    case 'special':
      return SPECIAL;
    default:
      if (LOAD_EVERYWHERE.has(spec.name)) return { kind: 'all-primaries', response: 'all_succeeded' };
      return ANY;
  }
}

// ── which node serves a read ───────────────────────────────────────────────────────────

/** What the topology knows of a node when choosing a reader. */
export interface ReaderFacts {
  /** The node's availability zone; undefined when it reports none or is not known yet. */
  zoneOf(node: NodeInfo): string | undefined;
  /** Its connection was lost and is reconnecting: a read sent there would only wait or bounce. */
  isDown(node: NodeInfo): boolean;
}

/**
 * The node of `shard` that serves a read-only command (`turn`: the caller's round-robin counter).
 * Writes never come here: they go to the primary.
 *
 *   readFrom         first choice (taking turns)        then                          last
 *   'primary'        the primary                        -                             -
 *   'preferReplica'  replicas not down                  -                             the primary
 *   { az }           replicas not down, zone = az       replicas not down, any zone   the primary
 *
 * The primary is last even when it is in `az`: GLIDE's AZAffinity order, so that reads leave the
 * primary alone while any replica can serve. A node that reports no zone matches no `az`.
 */
export function chooseReader(shard: ShardInfo, readFrom: ReadFrom, facts: ReaderFacts, turn: number): NodeInfo {
  const replicas = shard.replicas;
  if (readFrom === 'primary' || replicas.length === 0) return shard.primary;
  if (typeof readFrom === 'object') {
    const az = readFrom.az;
    const local = nthMatching(replicas, turn, (n) => !facts.isDown(n) && facts.zoneOf(n) === az);
    if (local !== undefined) return local;
  }
  return nthMatching(replicas, turn, (n) => !facts.isDown(n)) ?? shard.primary;
}

/** The (turn mod count)-th node that passes `ok`, without building a list: this runs per read. */
function nthMatching(nodes: readonly NodeInfo[], turn: number, ok: (n: NodeInfo) => boolean): NodeInfo | undefined {
  let count = 0;
  for (const n of nodes) if (ok(n)) count++;
  if (count === 0) return undefined;
  let skip = turn % count;
  for (const n of nodes) {
    if (!ok(n)) continue;
    if (skip-- === 0) return n;
  }
  return undefined;
}
