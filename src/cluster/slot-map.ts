/**
 * The cluster's slot table as an immutable snapshot: which shard (a primary and its replicas)
 * owns each of the 16384 slots. Built from a CLUSTER SHARDS or CLUSTER SLOTS reply in either
 * protocol, replaced whole on refresh; a MOVED produces a new snapshot (withSlotMoved) and
 * never edits the one other code may be reading.
 *
 *   #table: Int32Array[16384]   slot → index into #shards, -1 = no owner known,
 *                               -2 = its shard lists no serving primary (failing over)
 *   #shards: ShardInfo[]        { primary, replicas } — NodeInfo objects are shared between
 *                               snapshots, so they can key caches
 *
 * Pure data: must not import connections, sockets or timers.
 */
import type { RespValue } from '../resp/types.js';
import { SLOT_COUNT } from './slot.js';

/** Where a node listens. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/** A node of the cluster as the slot map knows it. */
export interface NodeInfo extends NodeAddress {
  /** The cluster node id; '' when only the address is known (a MOVED to a new node). */
  readonly id: string;
  readonly role: 'primary' | 'replica';
  /** From CLUSTER SHARDS: 'online', 'loading' or 'fail' ('failed' in the docs); none from CLUSTER SLOTS. */
  readonly health?: string | undefined;
}

/** A primary and its replicas. */
export interface ShardInfo {
  readonly primary: NodeInfo;
  readonly replicas: readonly NodeInfo[];
}

/** Rewrites the addresses the cluster announces (natMap, Docker, SSH tunnels...). */
export type AddressMapper = (addr: NodeAddress) => NodeAddress;

export interface SlotMapOptions {
  /** The host the reply came from: an empty host in the reply means this one. */
  readonly seedHost: string;
  readonly mapAddress?: AddressMapper | undefined;
  /** CLUSTER SHARDS: connect to `tls-port` instead of `port`. */
  readonly tls?: boolean | undefined;
  /** The node that sent the reply (as the client dials it): it knows its own role for certain. */
  readonly answeredBy?: NodeAddress | undefined;
}

/** The key that names a node everywhere (plans, pools): 'host:port', '[v6]:port'. */
export function nodeKey(addr: NodeAddress): string {
  return addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

const identity: AddressMapper = (addr) => addr;

/** The table's mark for a slot whose shard lists no serving primary. */
const FAILING_OVER = -2;

/** Which shard owns each of the 16,384 slots: an immutable snapshot of the topology, replaced whole on each refresh (`cluster.slotMap`, the `refresh` event). */
export class SlotMap {
  readonly #shards: readonly ShardInfo[];
  readonly #table: Int32Array;
  readonly #covered: number;
  readonly #failingOver: boolean;
  readonly #mapAddress: AddressMapper;
  #nodes: Map<string, NodeInfo> | undefined;

  private constructor(shards: readonly ShardInfo[], table: Int32Array, mapAddress: AddressMapper) {
    this.#shards = shards;
    this.#table = table;
    this.#mapAddress = mapAddress;
    let covered = 0;
    let failing = false;
    for (let i = 0; i < SLOT_COUNT; i++) {
      if (table[i]! >= 0) covered++;
      else if (table[i] === FAILING_OVER) failing = true;
    }
    this.#covered = covered;
    this.#failingOver = failing;
  }

  static empty(mapAddress?: AddressMapper): SlotMap {
    return new SlotMap([], new Int32Array(SLOT_COUNT).fill(-1), mapAddress ?? identity);
  }

  /** From explicit ranges (tests, static configurations). Later ranges win on overlap. */
  static fromRanges(
    ranges: ReadonlyArray<{ readonly start: number; readonly end: number; readonly shard: ShardInfo }>,
    mapAddress?: AddressMapper,
  ): SlotMap {
    const builder = new Builder(mapAddress ?? identity);
    for (const r of ranges) {
      const index = builder.shard(r.shard.primary, r.shard.replicas);
      builder.assign(index, r.start, r.end);
    }
    return SlotMap.#from(builder);
  }

  /**
   * From a CLUSTER SHARDS reply: a list of shards, each { slots: [start, end, …], nodes: [{ id,
   * port, ip, endpoint, role, health, … }] }; maps arrive as plain objects or Maps (RESP3) or
   * as flat [key, value, …] arrays (RESP2).
   */
  static fromShards(reply: RespValue, options: SlotMapOptions): SlotMap {
    const builder = new Builder(options.mapAddress ?? identity);
    for (const shard of list(reply)) {
      const nodes = list(field(shard, 'nodes')).map((n) => shardsNode(n, options));
      // After a failover Redis 7 and Valkey 8 both list the dead old primary as `master` with
      // health `fail`, often before the promoted one (recorded in test/fixtures/cluster-shards).
      // Only a serving node is a target; a shard without one is failing over: its slots stay
      // without an owner, and the router waits for a refresh instead of dialling a dead node.
      // Mid-failover the promoted replica lists itself and the old primary (which has not yet
      // announced its demotion) both as serving primaries, the old one first. The node that
      // answered knows its own role for certain: when it is one of them, it is the owner.
      const primaries = nodes.filter((n) => n.role === 'primary' && serving(n));
      const mapAddress = options.mapAddress ?? identity;
      const self = options.answeredBy === undefined ? undefined : nodeKey(options.answeredBy);
      const primary = primaries.find((n) => nodeKey(mapAddress(n)) === self) ?? primaries[0];
      const index = primary === undefined ? FAILING_OVER : builder.shard(primary, nodes.filter((n) => n.role === 'replica' && serving(n)));
      const slots = list(field(shard, 'slots'));
      for (let i = 0; i + 1 < slots.length; i += 2) builder.assign(index, num(slots[i]), num(slots[i + 1]));
    }
    return SlotMap.#from(builder);
  }

  /** From a CLUSTER SLOTS reply: [[start, end, [host, port, id, meta], replica…], …]. */
  static fromSlots(reply: RespValue, options: SlotMapOptions): SlotMap {
    const builder = new Builder(options.mapAddress ?? identity);
    for (const range of list(reply)) {
      const parts = list(range);
      if (parts.length < 3) continue;
      const primary = slotsNode(parts[2]!, 'primary', options.seedHost);
      const replicas = parts.slice(3).map((r) => slotsNode(r, 'replica', options.seedHost));
      const index = builder.shard(primary, replicas);
      builder.assign(index, num(parts[0]), num(parts[1]));
    }
    return SlotMap.#from(builder);
  }

  /** The shard that owns `slot`, or undefined when no shard lists it. */
  shardOf(slot: number): ShardInfo | undefined {
    const index = this.#table[slot];
    return index === undefined || index < 0 ? undefined : this.#shards[index];
  }

  /**
   * The slot's shard is listed without a serving primary: a failover is under way, and waiting
   * makes sense. A slot no shard lists at all is uncovered instead (CLUSTERDOWN territory).
   */
  isFailingOver(slot: number): boolean {
    return this.#table[slot] === FAILING_OVER;
  }

  /** Some shard is failing over. */
  get failingOver(): boolean {
    return this.#failingOver;
  }

  /** The primary of `slot`'s shard, or undefined. */
  primaryOf(slot: number): NodeInfo | undefined {
    return this.shardOf(slot)?.primary;
  }

  /** Every slot has an owner. */
  isComplete(): boolean {
    return this.#covered === SLOT_COUNT;
  }

  /** How many slots have an owner. */
  get coveredSlots(): number {
    return this.#covered;
  }

  /** Every shard, once. */
  shards(): readonly ShardInfo[] {
    return this.#shards;
  }

  /** Every shard's primary. */
  primaries(): NodeInfo[] {
    return this.#shards.map((s) => s.primary);
  }

  /** Every known node, primaries first, each once. */
  nodes(): NodeInfo[] {
    return [...this.#index().values()];
  }

  /** The node with this nodeKey(), if known. */
  node(key: string): NodeInfo | undefined {
    return this.#index().get(key);
  }

  /** Contiguous ranges per shard, for logs and tests. */
  ranges(): Array<{ start: number; end: number; shard: ShardInfo }> {
    const out: Array<{ start: number; end: number; shard: ShardInfo }> = [];
    let start = 0;
    for (let slot = 1; slot <= SLOT_COUNT; slot++) {
      if (slot < SLOT_COUNT && this.#table[slot] === this.#table[start]) continue;
      const index = this.#table[start]!;
      if (index >= 0) out.push({ start, end: slot - 1, shard: this.#shards[index]! });
      start = slot;
    }
    return out;
  }

  /** The snapshot after `MOVED slot host:port` (address as the server wrote it). */
  withSlotMoved(slot: number, addr: NodeAddress): SlotMap {
    return this.withSlotsMoved([{ slot, host: addr.host, port: addr.port }]);
  }

  /**
   * Several MOVED at once (a pipeline's worth), one copy of the table. An address that is a
   * known primary takes the slot; a known replica is promoted into a shard of its own (a
   * failover happened); an unknown address becomes a new shard without replicas.
   */
  withSlotsMoved(moves: ReadonlyArray<{ readonly slot: number } & NodeAddress>): SlotMap {
    const shards = [...this.#shards];
    const table = this.#table.slice();
    // Addresses are looked up in maps built once per call: scanning every shard per move made
    // a round of 1,000 MOVED on a 1,000-node map cost ~40 ms (bench/src/scale).
    let primaries: Map<string, number> | undefined;
    let replicas: Map<string, number> | undefined;
    for (const move of moves) {
      if (!Number.isInteger(move.slot) || move.slot < 0 || move.slot >= SLOT_COUNT) continue;
      const addr = this.#mapAddress({ host: move.host, port: move.port });
      const key = nodeKey(addr);
      primaries ??= primaryIndex(shards);
      let index = primaries.get(key);
      if (index === undefined) {
        replicas ??= replicaIndex(shards);
        let promoted: NodeInfo | undefined;
        const i = replicas.get(key);
        if (i !== undefined) {
          const s = shards[i]!;
          const at = s.replicas.findIndex((r) => nodeKey(r) === key);
          promoted = { ...s.replicas[at]!, role: 'primary' };
          shards[i] = { primary: s.primary, replicas: s.replicas.filter((_, j) => j !== at) };
          replicas.delete(key);
        }
        shards.push({ primary: promoted ?? { id: '', host: addr.host, port: addr.port, role: 'primary' }, replicas: [] });
        index = shards.length - 1;
        primaries.set(key, index);
      }
      table[move.slot] = index;
    }
    return new SlotMap(shards, table, this.#mapAddress);
  }

  #index(): Map<string, NodeInfo> {
    if (this.#nodes === undefined) {
      const nodes = new Map<string, NodeInfo>();
      for (const s of this.#shards) if (!nodes.has(nodeKey(s.primary))) nodes.set(nodeKey(s.primary), s.primary);
      for (const s of this.#shards) for (const r of s.replicas) if (!nodes.has(nodeKey(r))) nodes.set(nodeKey(r), r);
      this.#nodes = nodes;
    }
    return this.#nodes;
  }

  static #from(builder: Builder): SlotMap {
    return new SlotMap(builder.shards, builder.table, builder.map);
  }
}

/** Each primary address's shard (the first, as a scan in order would find). */
function primaryIndex(shards: readonly ShardInfo[]): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < shards.length; i++) if (!out.has(nodeKey(shards[i]!.primary))) out.set(nodeKey(shards[i]!.primary), i);
  return out;
}

/** Which shard lists each replica address (the first one, as a scan in order would find). */
function replicaIndex(shards: readonly ShardInfo[]): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < shards.length; i++) for (const r of shards[i]!.replicas) if (!out.has(nodeKey(r))) out.set(nodeKey(r), i);
  return out;
}

/** Collects shards by primary address, so SLOTS ranges of one primary share a shard. */
class Builder {
  readonly shards: ShardInfo[] = [];
  readonly table = new Int32Array(SLOT_COUNT).fill(-1);
  readonly map: AddressMapper;
  readonly #byPrimary = new Map<string, number>();

  constructor(map: AddressMapper) {
    this.map = map;
  }

  #mapped(node: NodeInfo): NodeInfo {
    if (this.map === identity) return node;
    const { host, port } = this.map({ host: node.host, port: node.port });
    return { ...node, host, port };
  }

  shard(primary: NodeInfo, replicas: readonly NodeInfo[]): number {
    const p = this.#mapped(primary);
    const key = nodeKey(p);
    const known = this.#byPrimary.get(key);
    const mappedReplicas = replicas.map((r) => this.#mapped(r));
    if (known !== undefined) {
      const s = this.shards[known]!;
      const have = new Set(s.replicas.map(nodeKey));
      const added = mappedReplicas.filter((r) => !have.has(nodeKey(r)));
      if (added.length > 0) this.shards[known] = { primary: s.primary, replicas: [...s.replicas, ...added] };
      return known;
    }
    this.shards.push({ primary: p, replicas: mappedReplicas });
    this.#byPrimary.set(key, this.shards.length - 1);
    return this.shards.length - 1;
  }

  assign(index: number, start: number, end: number): void {
    const from = Math.max(0, start);
    const to = Math.min(SLOT_COUNT - 1, end);
    if (Number.isInteger(from) && Number.isInteger(to) && from <= to) this.table.fill(index, from, to + 1);
  }
}

// ---- reading replies in either protocol

function list(v: RespValue | undefined): RespValue[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  return [];
}

/** A field of a RESP3 map (plain object or Map) or of a RESP2 flat [k, v, k, v] array. */
function field(v: RespValue | undefined, name: string): RespValue | undefined {
  if (v === null || v === undefined || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i + 1 < v.length; i += 2) if (str(v[i]) === name) return v[i + 1];
    return undefined;
  }
  if (v instanceof Map) {
    for (const [k, value] of v) if (str(k) === name) return value;
    return undefined;
  }
  if (Buffer.isBuffer(v) || v instanceof Set || v instanceof Error) return undefined;
  return Object.hasOwn(v, name) ? (v as { [key: string]: RespValue })[name] : undefined;
}

function str(v: RespValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v !== null && typeof v === 'object' && 'format' in v && 'text' in v) return v.toString();
  return undefined;
}

function num(v: RespValue | undefined): number {
  if (typeof v === 'number') return v;
  const s = str(v);
  return s === undefined ? NaN : Number(s);
}

/** A usable host: not missing, not empty, not '?' (the server's "unknown endpoint"). */
function known(host: string | undefined): string | undefined {
  return host === undefined || host === '' || host === '?' ? undefined : host;
}

/**
 * A node that can take commands now. CLUSTER SHARDS says `online`; `fail` is dead and `loading`
 * has no data set yet (both servers also call a replica that never received a write `loading`:
 * reads then go to the primary, which has the same empty data). CLUSTER SLOTS lists only
 * serving nodes and carries no health.
 */
function serving(node: NodeInfo): boolean {
  return node.health === undefined || node.health === 'online';
}

function shardsNode(v: RespValue, options: SlotMapOptions): NodeInfo {
  const port = num(field(v, options.tls === true ? 'tls-port' : 'port') ?? field(v, 'port'));
  const role = str(field(v, 'role')) === 'master' ? 'primary' : 'replica';
  return {
    id: str(field(v, 'id')) ?? '',
    // With cluster-preferred-endpoint-type unknown-endpoint the endpoint is '' and ip is set;
    // a node that does not know its own address has neither: then it is the one we asked.
    host: known(str(field(v, 'endpoint'))) ?? known(str(field(v, 'ip'))) ?? options.seedHost,
    port,
    role,
    health: str(field(v, 'health')),
  };
}

function slotsNode(v: RespValue, role: 'primary' | 'replica', seedHost: string): NodeInfo {
  const parts = list(v);
  const meta = parts[3];
  return {
    id: str(parts[2]) ?? '',
    host: slotsHost(parts[0], meta, seedHost),
    port: num(parts[1]),
    role,
  };
}

/**
 * CLUSTER SLOTS host: '' means "the address you asked" (the node does not know its own ip);
 * null or '?' means the preferred endpoint is unknown, and the metadata may carry the ip.
 */
function slotsHost(host: RespValue | undefined, meta: RespValue | undefined, seedHost: string): string {
  const h = host === null ? undefined : str(host);
  if (h === '') return seedHost;
  return known(h) ?? known(str(field(meta, 'ip'))) ?? seedHost;
}
