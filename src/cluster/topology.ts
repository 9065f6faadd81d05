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
import { ClusterError, ConnectionError, ReplyError, TimeoutError } from '../errors.js';
import { Connection } from '../connection/connection.js';
import { ConnectionPool } from '../connection/pool.js';
import type { HandshakeSettings } from '../connection/handshake.js';
import type { ResolvedOptions } from '../connection/options.js';
import type { RespValue } from '../resp/types.js';
import type { ResolvedClusterOptions } from './options.js';
import { nodeKey, SlotMap, type NodeAddress, type NodeInfo, type ShardInfo } from './slot-map.js';

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
  error: [Error];
}

const READONLY = [{ name: 'READONLY', args: [] }] as const;

export class Topology extends EventEmitter<TopologyEvents> {
  readonly options: ResolvedClusterOptions;
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

  constructor(options: ResolvedClusterOptions) {
    super();
    this.options = options;
    this.#map = SlotMap.empty(options.mapAddress);
    // READONLY is harmless on a primary, so every node connection can carry it: a replica
    // promoted by a failover needs no new handshake, nor does a primary demoted to replica.
    this.#settings = options.readFrom === 'preferReplica' ? { extra: READONLY } : {};
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
    if (this.options.refreshInterval > 0 && this.#interval === undefined) {
      this.#interval = setInterval(() => this.refreshSoon(), this.options.refreshInterval);
      this.#interval.unref();
    }
  }

  // ── nodes ───────────────────────────────────────────────────────────────────────────

  /** The shared connection to a node, opened on first use. Commands wait for its handshake. */
  connection(addr: NodeAddress): Connection {
    const key = nodeKey(addr);
    let conn = this.#conns.get(key);
    if (conn !== undefined && conn.status !== 'closed') return conn;
    if (this.#closed) throw new ConnectionError(`The cluster client is closed (${key})`, 'client-closed');
    conn = new Connection(this.#nodeOptions(addr), this.#settings);
    this.#conns.set(key, conn);
    // A node that stops answering may have failed over: look at the topology again.
    conn.on('reconnecting', () => this.refreshSoon());
    conn.on('error', (error) => this.#report(error));
    conn.connect().catch(() => this.refreshSoon());
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
    const primaries = this.#map.primaries();
    if (primaries.length === 0) return undefined;
    return primaries[this.#anyTurn++ % primaries.length];
  }

  /** readFrom 'preferReplica': the shard's replicas take turns; the primary when it has none. */
  readonly pickReader = (shard: ShardInfo): NodeInfo => {
    const replicas = shard.replicas;
    if (replicas.length === 0) return shard.primary;
    return replicas[this.#replicaTurn++ % replicas.length]!;
  };

  // ── topology changes ──────────────────────────────────────────────────────────────────

  /** MOVED replies: their slots are elsewhere now. One new snapshot for all, confirmed by a refresh. */
  learn(moves: ReadonlyArray<{ readonly slot: number } & NodeAddress>): void {
    if (moves.length === 0) return;
    this.#map = this.#map.withSlotsMoved(moves);
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
    for (const addr of this.#candidates()) {
      try {
        const map = await this.#fetch(addr);
        if (map.coveredSlots === 0) throw new ClusterError('it reports no slot assignments yet');
        this.#replace(map);
        return;
      } catch (error) {
        tried.push(`${nodeKey(addr)}: ${describeFailure(error)}`);
      }
    }
    throw new ClusterError(`Could not read the cluster topology from any node (${tried.join('; ')})`);
  }

  /** Known nodes first (they are the live cluster), then the seeds the user gave. */
  #candidates(): NodeAddress[] {
    const seen = new Set<string>();
    const out: NodeAddress[] = [];
    const add = (a: NodeAddress): void => {
      const k = nodeKey(a);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(a);
      }
    };
    for (const n of this.#map.primaries()) add(n);
    for (const n of this.#map.nodes()) add(n);
    for (const s of this.options.seeds) add(s);
    return out;
  }

  async #fetch(addr: NodeAddress): Promise<SlotMap> {
    const existing = this.#conns.get(nodeKey(addr));
    const useExisting = existing !== undefined && existing.status === 'ready';
    const conn = useExisting ? existing : new Connection({ ...this.#nodeOptions(addr), reconnect: false, commandTimeout: this.options.node.connectTimeout }, {});
    try {
      if (!useExisting) await conn.connect();
      const fromMap = { seedHost: addr.host, mapAddress: this.options.mapAddress, tls: this.options.node.tls !== undefined };
      let reply: RespValue;
      try {
        reply = await withTimeout(conn.send({ name: 'CLUSTER', args: ['SHARDS'] }), this.options.node.connectTimeout, addr);
      } catch (error) {
        // Servers before 7.0 only know CLUSTER SLOTS.
        if (!(error instanceof ReplyError) || !/unknown subcommand|unknown command/i.test(error.message)) throw error;
        return SlotMap.fromSlots(await withTimeout(conn.send({ name: 'CLUSTER', args: ['SLOTS'] }), this.options.node.connectTimeout, addr), fromMap);
      }
      return SlotMap.fromShards(reply, fromMap);
    } finally {
      if (!useExisting) conn.disconnect();
    }
  }

  #replace(map: SlotMap): void {
    const before = this.#map;
    this.#map = map;
    this.stats.refreshes++;
    const live = new Set(map.nodes().map(nodeKey));
    // Nodes that left the cluster (or failed) are closed; their pending commands are rejected
    // unwritten or wait for their replies, and the router re-sends what it may.
    for (const [key, conn] of this.#conns) {
      if (live.has(key)) continue;
      this.#conns.delete(key);
      void conn.close().catch(() => undefined);
    }
    for (const [key, pool] of this.#pools) {
      if (live.has(key)) continue;
      this.#pools.delete(key);
      void pool.close().catch(() => undefined);
    }
    const removed = before.nodes().filter((n) => !live.has(nodeKey(n)));
    const added = map.nodes().filter((n) => before.node(nodeKey(n)) === undefined);
    this.emit('refresh', map, { added, removed });
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
    this.#conns.clear();
    this.#pools.clear();
    await Promise.all([...conns.map((c) => c.close()), ...pools.map((p) => p.close())]);
  }

  disconnect(): void {
    this.#stopTimers();
    for (const c of this.#conns.values()) c.disconnect();
    for (const p of this.#pools.values()) p.disconnect();
    this.#conns.clear();
    this.#pools.clear();
  }
}

/** A node that accepts the socket but never answers must not hold every later refresh hostage. */
function withTimeout<T>(promise: Promise<T>, ms: number, addr: NodeAddress): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`CLUSTER SHARDS on ${nodeKey(addr)} timed out after ${ms} ms`, ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The real cause in a few words: refused, auth, TLS, timeout, or the server's own message. */
function describeFailure(error: unknown): string {
  if (error instanceof ConnectionError) {
    const cause = error.cause as NodeJS.ErrnoException | undefined;
    if (/timed out/.test(error.message)) return `timeout (${error.message})`;
    if (cause?.code === 'ECONNREFUSED') return 'refused';
    if (cause !== undefined && /SSL|TLS|CERT|certificate/i.test(`${cause.code ?? ''} ${cause.message}`)) return `tls: ${cause.message}`;
    if (error.reason === 'handshake') return /WRONGPASS|NOAUTH|NOPERM|AUTH/.test(error.message) ? `auth (${error.message})` : error.message;
    return `${error.reason}: ${error.message}`;
  }
  if (error instanceof TimeoutError) return `timeout (${error.message})`;
  if (error instanceof ReplyError) return error.kind === 'auth' ? `auth: ${error.message}` : error.message;
  return error instanceof Error ? error.message : String(error);
}
