/**
 * What the client knows about the cluster right now: the slot map snapshot, one multiplexed
 * connection per node (opened lazily), a pool of dedicated connections per node for WATCH and
 * blocking commands, and the refresh that replaces the snapshot.
 *
 * Refreshes are single-flight and rate-limited: a burst of MOVED replies or a dying node
 * triggers one CLUSTER SHARDS round trip, not one per command. The snapshot is replaced whole;
 * code that planned against the old one keeps a consistent view and is corrected by MOVED.
 */
import { EventEmitter } from 'node:events';
import { ClusterError, ConnectionError } from '../errors.js';
import { Connection } from '../connection/connection.js';
import { ConnectionPool } from '../connection/pool.js';
import type { HandshakeSettings } from '../connection/handshake.js';
import { LearnedKeys } from './learned-keys.js';
import type { ResolvedOptions } from '../connection/options.js';
import { addStats, ClientCache, emptyStats, type CacheStats } from '../cache/store.js';
import { readsFromReplicas, type ResolvedClusterOptions } from './options.js';
import { chooseReader, type ReaderFacts } from './route.js';
import { nodeKey, SlotMap, type NodeAddress, type NodeInfo, type ShardInfo } from './slot-map.js';
import { NodeZones } from './zones.js';
import { nodeRoles } from './node-roles.js';
import { describeFailure, readSlotMap, refreshCandidates, withTimeout } from './refresh.js';

/** Counters since the cluster client was created (`cluster.stats`): redirects seen, refreshes, retries. */
export interface ClusterStats {
  moved: number;
  ask: number;
  tryAgain: number;
  clusterDown: number;
  /** Topology refreshes that completed. */
  refreshes: number;
  /** Commands re-sent because their node could not be reached before they were written. */
  connectionRetries: number;
}

/** What a refresh changed: nodes that appeared in the slot map, and nodes that left it (or failed). */
export interface TopologyDiff {
  readonly added: readonly NodeInfo[];
  readonly removed: readonly NodeInfo[];
}

export interface TopologyEvents {
  refresh: [SlotMap, TopologyDiff];
  /** readFrom { az }: a node's zone was learned or changed (undefined: it reports none). */
  zone: [NodeAddress, string | undefined];
  error: [Error];
}

const READONLY = [{ name: 'READONLY', args: [] }] as const;
const INFO_SERVER = { name: 'INFO', args: ['server'] } as const;

export class Topology extends EventEmitter<TopologyEvents> {
  readonly options: ResolvedClusterOptions;
  /** Key positions of commands the table does not know, asked of the cluster (learned-keys.ts). */
  readonly learnedKeys = new LearnedKeys();
  readonly stats: ClusterStats = { moved: 0, ask: 0, tryAgain: 0, clusterDown: 0, refreshes: 0, connectionRetries: 0 };
  #map: SlotMap;
  readonly #conns = new Map<string, Connection>();
  readonly #pools = new Map<string, ConnectionPool>();
  readonly #settings: Partial<HandshakeSettings>;
  #refreshing: Promise<void> | undefined;
  #lastRefresh = 0;
  #soonTimer: NodeJS.Timeout | undefined;
  #interval: NodeJS.Timeout | undefined;
  #closed = false;
  #replicaTurn = 0;
  #anyTurn = 0;
  /** readFrom { az } only: each node's zone, learned once per node connection. */
  readonly #zones: NodeZones | undefined;
  /** Cache counters of node connections already dropped, so cacheStats() never goes back. */
  readonly #retiredCache = emptyStats();
  /**
   * MOVED replies not yet confirmed by a refresh that started after them. A refresh asks their
   * new owners first: a promoted replica knows its own promotion, while the nodes listed before
   * it (the demoted primary among them) may still describe the cluster as it was before the
   * failover. A refresh that was already under way when a MOVED came keeps that MOVED on top of
   * what it read. Without both, a stale view sent writes back to the node that had just
   * answered MOVED for that slot.
   */
  #moves: Array<{ readonly slot: number } & NodeAddress> = [];

  constructor(options: ResolvedClusterOptions) {
    super();
    this.options = options;
    this.#map = SlotMap.empty(options.mapAddress);
    // READONLY is harmless on a primary, so every node connection can carry it: a replica
    // promoted by a failover needs no new handshake, nor does a primary demoted to replica.
    this.#settings = readsFromReplicas(options.readFrom) ? { extra: READONLY } : {};
    this.#zones = typeof options.readFrom === 'object' ? new NodeZones((addr, zone) => this.emit('zone', this.#map.node(nodeKey(addr)) ?? addr, zone)) : undefined;
  }

  get slotMap(): SlotMap {
    return this.#map;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** First discovery; starts the periodic refresh. */
  async start(): Promise<void> {
    await this.refresh();
    // readFrom { az }: the first reads already know where their zone's replicas are.
    if (this.#zones !== undefined) await this.#zonesLearned();
    if (this.options.refreshInterval > 0 && this.#interval === undefined) {
      this.#interval = setInterval(() => this.refreshSoon(), this.options.refreshInterval);
      this.#interval.unref();
    }
  }

  // ── nodes ───────────────────────────────────────────────────────────────────────────

  /**
   * The shared connection to a node, opened on first use. Commands wait for its handshake.
   * `background`: nobody waits on it (dialled ahead of use): a failed first open keeps retrying
   * like a lost connection instead of closing, and asks for no refresh of its own.
   */
  connection(addr: NodeAddress, background = false): Connection {
    const key = nodeKey(addr);
    let conn = this.#conns.get(key);
    if (conn !== undefined && conn.status !== 'closed') return conn;
    if (this.#closed) throw new ConnectionError(`The cluster client is closed (${key})`, 'client-closed');
    if (conn !== undefined) this.#retire(conn);
    const options = this.#nodeOptions(addr);
    // Each node's connection tracks the keys read on it, and holds their cache.
    conn = new Connection(options, this.#settings, options.clientCache === undefined ? undefined : new ClientCache(options.clientCache));
    this.#conns.set(key, conn);
    // A node that stops answering may have failed over: look at the topology again.
    conn.on('reconnecting', () => this.refreshSoon());
    conn.on('error', (error) => this.#report(error));
    // Before connect(), so the probe is under way when connect() resolves; again on every
    // reconnect, which may reach a restarted node with another setting.
    if (this.#zones !== undefined) conn.on('ready', () => void this.#askZone(addr, conn));
    conn.connect(background).catch(() => {
      if (!background) this.refreshSoon();
    });
    return conn;
  }

  /**
   * A connection of its own to a node, not opened yet (Pub/Sub): no reconnect, since its owner
   * moves to another node when it ends; an offline queue, so it takes commands while opening.
   */
  dedicated(addr: NodeAddress): Connection {
    if (this.#closed) throw new ConnectionError(`The cluster client is closed (${nodeKey(addr)})`, 'client-closed');
    return new Connection({ ...this.#nodeOptions(addr), reconnect: false, offlineQueue: true }, this.#settings);
  }

  /** Dedicated connections to a node (WATCH, blocking commands). */
  pool(addr: NodeAddress): ConnectionPool {
    const key = nodeKey(addr);
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      if (this.#closed) throw new ConnectionError(`The cluster client is closed (${key})`, 'client-closed');
      pool = new ConnectionPool(this.#nodeOptions(addr), this.#settings);
      this.#pools.set(key, pool);
    }
    return pool;
  }

  #nodeOptions(addr: NodeAddress): ResolvedOptions {
    // Every node inherits the seeds' TLS, auth, name, protocol and timeouts. No offline queue
    // once a node has been up: a command for a node that went away fails at once, unwritten,
    // and the router sends it wherever the refreshed topology says.
    return { ...this.options.node, host: addr.host, port: addr.port, db: 0, offlineQueue: false };
  }

  /** A node for keyless commands: the primaries take turns. */
  anyPrimary(): NodeInfo | undefined {
    // The snapshot's own shard list, not primaries(): that copies one entry per node on every
    // keyless command (3 µs per PING at 1,000 nodes, bench/src/scale).
    const shards = this.#map.shards();
    if (shards.length === 0) return undefined;
    return shards[this.#anyTurn++ % shards.length]!.primary;
  }

  /** The node that serves a read-only command of `shard`, by readFrom (see chooseReader). */
  readonly pickReader = (shard: ShardInfo): NodeInfo => chooseReader(shard, this.options.readFrom, this.#facts, this.#replicaTurn++);

  readonly #facts: ReaderFacts = {
    zoneOf: (node) => this.#zones?.zoneOf(node),
    // Not 'closed': a closed connection is replaced on use (connection()), so skipping it would
    // strand a node that came back.
    isDown: (node) => {
      const status = this.#conns.get(nodeKey(node))?.status;
      return status === 'reconnecting' || status === 'closing';
    },
  };

  #askZone(addr: NodeAddress, conn: Connection): Promise<void> {
    const ask = (): Promise<unknown> => withTimeout(conn.send(INFO_SERVER), this.options.node.connectTimeout, addr, 'INFO server');
    return this.#zones!.probe(addr, ask, (error) => this.#report(error));
  }

  /**
   * Every reachable node of the map has said its zone (or failed to). A node whose first open
   * fails is not waited for: reads avoid it while it reconnects, and it is asked once it is back.
   * Each wait is bounded by connectTimeout.
   */
  async #zonesLearned(): Promise<void> {
    const zones = this.#zones!;
    await Promise.all(
      this.#map.nodes().map(async (node) => {
        if (zones.known(node)) return;
        const conn = this.connection(node, true);
        if (conn.status === 'reconnecting') return;
        if (conn.status !== 'ready' && !(await firstOpen(conn, this.options.node.connectTimeout))) return;
        await zones.pending(node);
      }),
    );
  }

  // ── topology changes ──────────────────────────────────────────────────────────────────

  /** MOVED replies: their slots are elsewhere now. One new snapshot for all, confirmed by a refresh. */
  learn(moves: ReadonlyArray<{ readonly slot: number } & NodeAddress>): void {
    if (moves.length === 0) return;
    const before = this.#map;
    this.#map = this.#map.withSlotsMoved(moves);
    this.#flushChanged(before, this.#map);
    this.#moves.push(...moves);
    this.refreshSoon();
  }

  /** Asks for a refresh without waiting for it; bursts collapse into one. */
  refreshSoon(): void {
    if (this.#closed || this.#refreshing !== undefined || this.#soonTimer !== undefined) return;
    const wait = this.#lastRefresh + this.options.minRefreshGap - Date.now();
    if (wait <= 0) {
      this.refresh().catch((error: unknown) => this.#report(error));
      return;
    }
    this.#soonTimer = setTimeout(() => {
      this.#soonTimer = undefined;
      this.refresh().catch((error: unknown) => this.#report(error));
    }, wait);
    this.#soonTimer.unref();
  }

  /** Reads the topology now (or joins the refresh in flight) and replaces the snapshot. */
  refresh(): Promise<void> {
    if (this.#closed) return Promise.reject(new ConnectionError('The cluster client is closed', 'client-closed'));
    this.#refreshing ??= this.#discover().finally(() => {
      this.#refreshing = undefined;
      this.#lastRefresh = Date.now();
    });
    return this.#refreshing;
  }

  async #discover(): Promise<void> {
    const tried: string[] = [];
    const known = this.#moves.length;
    for (const addr of refreshCandidates({ map: this.#map, moves: this.#moves, conns: this.#conns, seeds: this.options.seeds })) {
      try {
        const map = await this.#fetch(addr);
        if (map.coveredSlots === 0) throw new ClusterError('it reports no slot assignments yet');
        const later = this.#moves.slice(known);
        this.#moves = later;
        this.#replace(later.length === 0 ? map : map.withSlotsMoved(later));
        return;
      } catch (error) {
        tried.push(`${nodeKey(addr)}: ${describeFailure(error)}`);
      }
    }
    throw new ClusterError(`Could not read the cluster topology from any node (${tried.join('; ')})`);
  }

  #fetch(addr: NodeAddress): Promise<SlotMap> {
    const { connectTimeout, tls } = this.options.node;
    return readSlotMap(addr, {
      existing: this.#conns.get(nodeKey(addr)),
      open: () => new Connection({ ...this.#nodeOptions(addr), reconnect: false, commandTimeout: connectTimeout }, {}),
      timeout: connectTimeout,
      mapAddress: this.options.mapAddress,
      tls: tls !== undefined,
    });
  }

  #replace(map: SlotMap): void {
    const before = this.#map;
    this.#map = map;
    this.stats.refreshes++;
    this.#flushChanged(before, map);
    // map.node() looks keys up in the snapshot's own index: no second set of every node's key.
    const live = { has: (key: string): boolean => map.node(key) !== undefined };
    // Nodes that left the cluster (or failed) are closed; their pending commands are rejected
    // unwritten or wait for their replies, and the router re-sends what it may.
    for (const [key, conn] of this.#conns) {
      if (live.has(key)) continue;
      this.#conns.delete(key);
      this.#retire(conn);
      void conn.close().catch(() => undefined);
    }
    for (const [key, pool] of this.#pools) {
      if (live.has(key)) continue;
      this.#pools.delete(key);
      void pool.close().catch(() => undefined);
    }
    if (this.#zones !== undefined && !this.#closed) {
      this.#zones.retain(live);
      // Nodes are otherwise dialled on first use; a replica nobody reads from yet must say its
      // zone before reads can prefer it.
      for (const node of map.nodes()) if ((this.#conns.get(nodeKey(node))?.status ?? 'closed') === 'closed') this.connection(node, true);
    }
    const removed = before.nodes().filter((n) => !live.has(nodeKey(n)));
    const added = map.nodes().filter((n) => before.node(nodeKey(n)) === undefined);
    this.emit('refresh', map, { added, removed });
  }

  /**
   * A node whose role or slots changed (a failover, a migration, a MOVED) may have missed or
   * will never send invalidations for what its connection cached: that cache is flushed whole.
   */
  #flushChanged(before: SlotMap, after: SlotMap): void {
    if (this.options.node.clientCache === undefined) return;
    const was = nodeRoles(before);
    const now = nodeRoles(after);
    for (const [key, conn] of this.#conns) {
      if (was.get(key) !== now.get(key)) conn.flushCache();
    }
  }

  #retire(conn: Connection): void {
    addStats(this.#retiredCache, { ...conn.cacheStats, entries: 0 });
  }

  /** The client-side cache counters of every node connection, summed (retired ones included). */
  cacheStats(): CacheStats {
    const out = { ...this.#retiredCache };
    for (const conn of this.#conns.values()) addStats(out, conn.cacheStats);
    return out;
  }

  #report(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
  }

  // ── shutdown ──────────────────────────────────────────────────────────────────────────

  #stopTimers(): void {
    this.#closed = true;
    if (this.#interval !== undefined) clearInterval(this.#interval);
    if (this.#soonTimer !== undefined) clearTimeout(this.#soonTimer);
    this.#interval = undefined;
    this.#soonTimer = undefined;
  }

  async close(): Promise<void> {
    this.#stopTimers();
    const conns = [...this.#conns.values()];
    const pools = [...this.#pools.values()];
    for (const c of conns) this.#retire(c);
    this.#conns.clear();
    this.#pools.clear();
    await Promise.all([...conns.map((c) => c.close()), ...pools.map((p) => p.close())]);
  }

  disconnect(): void {
    this.#stopTimers();
    for (const c of this.#conns.values()) {
      c.disconnect();
      this.#retire(c);
    }
    for (const p of this.#pools.values()) p.disconnect();
    this.#conns.clear();
    this.#pools.clear();
  }
}

/** Resolves true once `conn` is ready, false when its open fails or `ms` pass first. */
function firstOpen(conn: Connection, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (ready: boolean) => (): void => {
      clearTimeout(timer);
      conn.off('ready', onReady);
      conn.off('reconnecting', onFail);
      conn.off('end', onFail);
      resolve(ready);
    };
    const onReady = settle(true);
    const onFail = settle(false);
    const timer = setTimeout(onFail, ms);
    conn.on('ready', onReady);
    conn.on('reconnecting', onFail);
    conn.on('end', onFail);
  });
}
