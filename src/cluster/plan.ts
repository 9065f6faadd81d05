/**
 * Splits a batch of commands into one sub-batch per node, with explicit index maps so the
 * replies can be put back in the caller's order (merge.ts). Pure: (commands, slot map) → data.
 *
 *   caller's commands   0 GET a   1 MGET a b c   2 DBSIZE   3 SUNION a b (cross-slot)
 *
 *   plan.nodes[n] = { key: 'host:port', commands: [...], refs: [...], slots: [...] }
 *     node A:  GET a          ref { whole, index 0 }
 *              MGET a c       ref { part, index 1, part 0 }
 *              DBSIZE         ref { part, index 2, part 0 }
 *     node B:  MGET b         ref { part, index 1, part 1 }
 *              DBSIZE         ref { part, index 2, part 1 }
 *
 *   plan.assembly[i], one per caller's command:
 *     0 { whole }
 *     1 { split, parts: [{ slot, keyOrdinals: [0, 2] }, { slot, keyOrdinals: [1] }], keyCount 3 }
 *     2 { fan-out, response 'agg_sum', nodes: ['A', 'B'] }
 *     3 { refused, reason 'cross-slot', error }   nothing is sent for it
 *
 * A node's `commands`, `refs` and `slots` are parallel arrays. Whole commands are the caller's
 * own objects (no copy); split parts and fan-out copies are new { name, args } records.
 * Must not import connections, sockets or timers.
 */
import { ClusterError, CrossSlotError } from '../errors.js';
import type { RedisArg } from '../resp/types.js';
import { routeCommand, type RoutableCommand, type Route, type RouteContext, type SplitRule } from './route.js';
import type { LearnedKeyLookup } from './learned-keys.js';
import { nodeKey, type NodeAddress, type NodeInfo, type ShardInfo, type SlotMap } from './slot-map.js';
import { isReadOnly, type ResponsePolicy } from '../commands/keys.js';

/** Where one sent command's reply belongs. */
export type EntryRef =
  | { readonly kind: 'whole'; readonly index: number }
  | { readonly kind: 'part'; readonly index: number; readonly part: number };

export interface NodeBatch {
  readonly key: string;
  readonly node: NodeInfo;
  readonly commands: RoutableCommand[];
  readonly refs: EntryRef[];
  /** The slot each command was routed by; -1 for keyless ones (fan-out, any node). */
  readonly slots: number[];
}

export interface SplitPart {
  readonly slot: number;
  readonly command: RoutableCommand;
  /** Which keys of the original, counted in key order (MGET a b c: b is 1). */
  readonly keyOrdinals: readonly number[];
}

export type RefusalReason =
  | 'cross-slot' // keys in several slots and the command cannot be split
  | 'no-owner' // a slot has no known owner (incomplete slot map): refresh and plan again
  | 'unsupported'; // request_policy special (SCAN): cannot be batched

export type Assembly =
  | { readonly kind: 'whole' }
  | {
      readonly kind: 'split';
      /** undefined: per-key replies, reassembled in key order (MGET). */
      readonly response: ResponsePolicy | undefined;
      readonly parts: readonly SplitPart[];
      readonly keyCount: number;
    }
  | { readonly kind: 'fan-out'; readonly response: ResponsePolicy | undefined; readonly nodes: readonly string[] }
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly error: Error };

export interface BatchPlan {
  /** The caller's command count; assembly has one entry per command. */
  readonly total: number;
  readonly nodes: readonly NodeBatch[];
  readonly assembly: readonly Assembly[];
}

export interface PlanOptions {
  /** Read-only commands may go to a replica; `readFrom` picks which. */
  readonly readOnlyToReplica?: boolean | undefined;
  /** Picks the node for a replica-eligible command; default the shard's primary. */
  readonly readFrom?: ((shard: ShardInfo, slot: number) => NodeInfo) | undefined;
  /** Node for keyless commands without a policy; default a node the plan already uses. */
  readonly anyNode?: NodeAddress | undefined;
  /** Key positions learned for commands the table does not know (learned-keys.ts). */
  readonly learned?: LearnedKeyLookup | undefined;
}

const WHOLE: Assembly = Object.freeze({ kind: 'whole' });

export function planBatch(commands: readonly RoutableCommand[], slotMap: SlotMap, options?: PlanOptions): BatchPlan {
  const builder = new PlanBuilder(slotMap, options);
  for (let i = 0; i < commands.length; i++) builder.add(commands[i]!, i);
  return { total: commands.length, nodes: builder.nodes, assembly: builder.assembly };
}

/**
 * Splits a multi-key command (MGET/MSET/DEL/UNLINK/EXISTS/TOUCH) into one sub-command per slot,
 * parts ordered by the first key of each slot, grouped so each part's node is `slotMap`'s
 * owner. undefined when the command is not splittable or its keys share a slot.
 */
export function splitMultiKey(
  cmd: RoutableCommand,
  slotMap?: SlotMap,
): Array<SplitPart & { readonly node: NodeInfo | undefined }> | undefined {
  const route = routeCommand(cmd);
  if (route.kind !== 'cross-slot' || route.split === undefined) return undefined;
  return splitParts(cmd, route.keyIndexes, route.slots, route.split).map((p) => ({
    ...p,
    node: slotMap?.primaryOf(p.slot),
  }));
}

function splitParts(
  cmd: RoutableCommand,
  keyIndexes: readonly number[],
  slots: readonly number[],
  rule: SplitRule,
): SplitPart[] {
  const { args } = cmd;
  const first = keyIndexes[0]!;
  const end = keyIndexes[keyIndexes.length - 1]! + rule.keyStep;
  // Arguments before the first key and after the last key's group go to every part.
  const prefix = args.slice(0, first);
  const suffix = args.slice(end);
  const bySlot = new Map<number, { args: RedisArg[]; ordinals: number[] }>();
  for (let k = 0; k < keyIndexes.length; k++) {
    const slot = slots[k]!;
    let part = bySlot.get(slot);
    if (part === undefined) {
      part = { args: [...prefix], ordinals: [] };
      bySlot.set(slot, part);
    }
    const at = keyIndexes[k]!;
    for (let j = 0; j < rule.keyStep; j++) part.args.push(args[at + j]!);
    part.ordinals.push(k);
  }
  const out: SplitPart[] = [];
  for (const [slot, part] of bySlot) {
    for (const a of suffix) part.args.push(a);
    out.push({ slot, command: { name: cmd.name, args: part.args }, keyOrdinals: part.ordinals });
  }
  return out;
}

class PlanBuilder {
  readonly nodes: NodeBatch[] = [];
  readonly assembly: Assembly[] = [];
  readonly #byKey = new Map<string, NodeBatch>();
  readonly #byNode = new Map<NodeInfo, NodeBatch>();
  readonly #slotMap: SlotMap;
  readonly #options: PlanOptions | undefined;
  readonly #readOnly: RouteContext;

  constructor(slotMap: SlotMap, options: PlanOptions | undefined) {
    this.#slotMap = slotMap;
    this.#options = options;
    this.#readOnly = { readOnlyToReplica: options?.readOnlyToReplica === true && options.readFrom !== undefined, learned: options?.learned };
  }

  add(cmd: RoutableCommand, index: number): void {
    const route = routeCommand(cmd, this.#readOnly);
    this.assembly.push(this.#place(cmd, index, route));
  }

  #place(cmd: RoutableCommand, index: number, route: Route): Assembly {
    switch (route.kind) {
      case 'slot': {
        const shard = this.#slotMap.shardOf(route.slot);
        if (shard === undefined) return noOwner(cmd, route.slot);
        const node = route.readOnly ? this.#options!.readFrom!(shard, route.slot) : shard.primary;
        this.#push(node, cmd, { kind: 'whole', index }, route.slot);
        return WHOLE;
      }
      case 'cross-slot': {
        if (route.split === undefined) {
          const k = route.slots.findIndex((s) => s !== route.slots[0]);
          const keys: [string, string] = [String(cmd.args[route.keyIndexes[0]!]), String(cmd.args[route.keyIndexes[k]!])];
          const error = new CrossSlotError(cmd.name, keys, [route.slots[0]!, route.slots[k]!]);
          return { kind: 'refused', reason: 'cross-slot', error };
        }
        const parts = splitParts(cmd, route.keyIndexes, route.slots, route.split);
        // A split read (MGET) may go to replicas like any single-slot read.
        const toReplica = this.#readOnly.readOnlyToReplica && isReadOnly(cmd.name, cmd.args);
        const owners = parts.map((p) => {
          const shard = this.#slotMap.shardOf(p.slot);
          return shard === undefined ? undefined : toReplica ? this.#options!.readFrom!(shard, p.slot) : shard.primary;
        });
        const missing = owners.indexOf(undefined);
        if (missing !== -1) return noOwner(cmd, parts[missing]!.slot);
        for (let p = 0; p < parts.length; p++) {
          this.#push(owners[p]!, parts[p]!.command, { kind: 'part', index, part: p }, parts[p]!.slot);
        }
        return { kind: 'split', response: route.split.response, parts, keyCount: route.keyIndexes.length };
      }
      case 'all-primaries':
      case 'all-nodes': {
        const targets = route.kind === 'all-primaries' ? this.#slotMap.primaries() : this.#slotMap.nodes();
        if (targets.length === 0) return noNode(cmd);
        for (let p = 0; p < targets.length; p++) {
          // Each node gets its own record: a coordinator may retry or annotate one part alone.
          this.#push(targets[p]!, { name: cmd.name, args: cmd.args }, { kind: 'part', index, part: p }, -1);
        }
        return { kind: 'fan-out', response: route.response, nodes: targets.map(nodeKey) };
      }
      case 'any': {
        const node = this.#anyNode();
        if (node === undefined) return noNode(cmd);
        this.#push(node, cmd, { kind: 'whole', index }, -1);
        return WHOLE;
      }
      case 'special':
        return {
          kind: 'refused',
          reason: 'unsupported',
          error: new ClusterError(
            `${cmd.name} must run on each node by itself; it cannot be part of a cluster batch${cmd.name === 'SCAN' ? ' (use cluster.scanIterator())' : ''}`,
          ),
        };
    }
  }

  /** Keyless commands ride along with a node this batch already talks to: no extra node. */
  #anyNode(): NodeInfo | undefined {
    const wanted = this.#options?.anyNode;
    if (wanted !== undefined) {
      const key = nodeKey(wanted);
      return this.#slotMap.node(key) ?? { id: '', host: wanted.host, port: wanted.port, role: 'primary' };
    }
    return this.nodes[0]?.node ?? this.#slotMap.primaries()[0];
  }

  #push(node: NodeInfo, cmd: RoutableCommand, ref: EntryRef, slot: number): void {
    // NodeInfo objects are shared by the snapshot, so identity finds the batch without
    // building an address string per command; the address is the fallback for copies.
    let batch = this.#byNode.get(node);
    if (batch === undefined) {
      const key = nodeKey(node);
      batch = this.#byKey.get(key);
      if (batch === undefined) {
        batch = { key, node, commands: [], refs: [], slots: [] };
        this.#byKey.set(key, batch);
        this.nodes.push(batch);
      }
      this.#byNode.set(node, batch);
    }
    batch.commands.push(cmd);
    batch.refs.push(ref);
    batch.slots.push(slot);
  }
}

function noOwner(cmd: RoutableCommand, slot: number): Assembly {
  return {
    kind: 'refused',
    reason: 'no-owner',
    error: new ClusterError(`${cmd.name}: slot ${slot} has no known owner`, { reason: 'no-owner' }),
  };
}

function noNode(cmd: RoutableCommand): Assembly {
  return { kind: 'refused', reason: 'no-owner', error: new ClusterError(`${cmd.name}: no cluster node is known`, { reason: 'no-owner' }) };
}
