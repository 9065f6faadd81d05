/**
 * Pub/Sub in a cluster: where each subscription lives, and bringing that back to what the user
 * asked for whenever the cluster changes, with no caller action. Listeners, iterators and the
 * registry (the desired state) are pubsub/'s; this module holds the actual state.
 *
 *   kind              lives on                           when it is lost
 *   channel, pattern  one node (any: PUBLISH reaches     the node's connection ended: a new
 *                     every node), one connection        connection to another node, all restored
 *   shard             the primary of each channel's      a sunsubscribe push (the slot moved), a
 *                     slot, one connection per node      MOVED reply, the node's connection ended,
 *                                                        a refresh naming another owner
 *
 * Shard channels are reconciled, never patched per event: every trigger above runs one routine
 * that compares each wanted channel's place (`#held`) with its slot's owner in the slot map and
 * subscribes where they differ (one SSUBSCRIBE per node and slot, as the server requires), drops
 * the old place (a demoted primary still relays its shard's messages: no duplicates), and retries
 * with a short backoff while anything is still unplaced. A MOVED reply teaches the slot map
 * (Topology.learn) and the routine runs again. Messages are taken only from a channel's current
 * place. Delivery is at most once: what is published while a channel has no place is lost.
 */
import { ConnectionError, ReplyError } from '../errors.js';
import type { Connection } from '../connection/connection.js';
import type { RespValue } from '../resp/types.js';
import { readFrame, subscribeCommand, unsubscribeCommand, type SubscriptionKind } from '../pubsub/frames.js';
import type { PubSubHub, PubSubRouter, ResubscribedEvent } from '../pubsub/hub.js';
import { Lane } from '../pubsub/lane.js';
import { keySlot } from './slot.js';
import { nodeKey, type NodeAddress } from './slot-map.js';
import type { Topology } from './topology.js';

/**
 * Backoff between reconcile rounds while a shard channel has no place (or the global lane no
 * node); each round asks for a refresh (rate-limited by minRefreshGap), so a promotion is seen
 * within this much. 1 s here left ~0.9 s of messages missed after a promotion on Valkey.
 */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 250;
/** MOVED replies followed within one reconcile before waiting for the next round. */
const PASSES = 5;

export interface ClusterPubSubEvents {
  resubscribed(event: ResubscribedEvent): void;
  error(error: Error): void;
}

interface ShardLane {
  readonly key: string;
  readonly conn: Connection;
}

interface Place {
  readonly lane: string;
  confirmed: boolean;
}

interface Waiter {
  readonly names: readonly string[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

interface Global {
  readonly lane: Lane;
  readonly conn: Connection;
  readonly key: string;
}

export class ClusterPubSub implements PubSubRouter {
  readonly #topology: Topology;
  readonly #asBuffers: boolean;
  readonly #events: ClusterPubSubEvents;
  /** How long a subscribe call waits for its shard channels to be placed. */
  readonly #waitLimit: number;
  #hub: PubSubHub | undefined;
  #closed = false;

  #global: Global | undefined;
  #globalMoves = 0;
  #globalTimer: NodeJS.Timeout | undefined;
  #globalDelay = RETRY_MIN_MS;
  #globalTurn = 0;
  #lastDead: string | undefined;

  readonly #lanes = new Map<string, ShardLane>();
  /** Where each wanted shard channel is subscribed (or being subscribed). */
  readonly #held = new Map<string, Place>();
  /** Shard channels that lost their place: announced in 'resubscribed' once placed again. */
  readonly #lost = new Set<string>();
  /** A refusal (not a redirect, not a lost connection) per shard channel, for its waiting call. */
  readonly #refused = new Map<string, Error>();
  readonly #waiters = new Set<Waiter>();
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #delay = RETRY_MIN_MS;

  constructor(topology: Topology, asBuffers: boolean, waitLimit: number, events: ClusterPubSubEvents) {
    this.#topology = topology;
    this.#asBuffers = asBuffers;
    this.#waitLimit = waitLimit;
    this.#events = events;
    topology.on('refresh', () => void this.#reconcile());
  }

  set hub(hub: PubSubHub) {
    this.#hub = hub;
  }

  subscribe(kind: SubscriptionKind, names: readonly string[]): Promise<void> {
    return kind === 'shard' ? this.#subscribeShards(names) : this.#subscribeGlobal(kind, names);
  }

  async unsubscribe(kind: SubscriptionKind, names: readonly string[]): Promise<void> {
    if (kind !== 'shard') {
      await this.#global?.lane.unsubscribe(kind, names);
      return;
    }
    const byLane = new Map<string, Map<number, string[]>>();
    for (const name of names) {
      const place = this.#held.get(name);
      this.#held.delete(name);
      this.#lost.delete(name);
      if (place === undefined) continue;
      const slots = byLane.get(place.lane) ?? new Map<number, string[]>();
      byLane.set(place.lane, slots);
      const slot = keySlot(name);
      slots.set(slot, [...(slots.get(slot) ?? []), name]);
    }
    await Promise.all([...byLane].flatMap(([key, slots]) => [...slots.values()].map((group) => this.#drop(key, group))));
  }

  /** SUNSUBSCRIBE on a lane if it is still up; nothing to do on a lane that is gone. */
  async #drop(key: string, names: readonly string[]): Promise<void> {
    const lane = this.#lanes.get(key);
    if (lane === undefined || lane.conn.status !== 'ready') return;
    await lane.conn.send(unsubscribeCommand('shard', names)).catch((error: unknown) => {
      if (!(error instanceof ConnectionError)) this.#events.error(asError(error));
    });
  }

  // ── channels and patterns: one lane, on one node ─────────────────────────────────────

  async #subscribeGlobal(kind: SubscriptionKind, names: readonly string[]): Promise<void> {
    await this.#known();
    // A lane lost under the call: the names stay wanted and its successor restores them.
    for (let attempt = 1; ; attempt++) {
      const lane = this.#globalLane();
      try {
        await lane.subscribe(kind, names);
        return;
      } catch (error) {
        if (!(error instanceof ConnectionError) || this.#closed || attempt >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.#globalDelay));
      }
    }
  }

  #globalLane(): Lane {
    if (this.#global !== undefined) return this.#global.lane;
    const node = this.#pickGlobalNode();
    const conn = this.#topology.dedicated(node);
    conn.markSubscriber();
    const events = { resubscribed: (e: ResubscribedEvent) => this.#events.resubscribed(e), error: (e: Error) => this.#events.error(e) };
    const lane = new Lane(conn, this.#asBuffers, events, () => undefined, { kinds: ['channel', 'pattern'], announceFirst: this.#globalMoves > 0 });
    lane.hub = this.#hub;
    const g: Global = { lane, conn, key: nodeKey(node) };
    this.#global = g;
    conn.on('error', (e) => this.#events.error(e));
    conn.on('end', () => this.#globalLost(g));
    conn.on('ready', () => (this.#globalDelay = RETRY_MIN_MS));
    conn.connect().catch(() => undefined); // a failed open ends the connection: 'end' moves on
    return lane;
  }

  /** The primaries take turns; the node that just failed is skipped while there is another. */
  #pickGlobalNode(): NodeAddress {
    const primaries = this.#topology.slotMap.primaries();
    const nodes = primaries.length > 0 ? primaries : this.#topology.options.seeds;
    const usable = nodes.filter((n) => nodeKey(n) !== this.#lastDead);
    const from = usable.length > 0 ? usable : nodes;
    return from[this.#globalTurn++ % from.length]!;
  }

  #globalLost(g: Global): void {
    if (this.#global !== g) return;
    this.#global = undefined;
    g.lane.hub = undefined;
    this.#lastDead = g.key;
    if (this.#closed) return;
    this.#topology.refreshSoon();
    const hub = this.#hub;
    if (hub === undefined || hub.registry.names('channel').length + hub.registry.names('pattern').length === 0) return;
    // Moved to another node after a short wait; its handshake restores every name and says so.
    const delay = this.#globalDelay;
    this.#globalDelay = Math.min(RETRY_MAX_MS, delay * 2);
    this.#globalTimer = setTimeout(() => {
      this.#globalTimer = undefined;
      if (this.#closed || this.#global !== undefined) return;
      this.#globalMoves++;
      this.#globalLane();
    }, delay);
  }

  // ── shard channels: on the owner of each slot ────────────────────────────────────────

  async #known(): Promise<void> {
    if (this.#topology.slotMap.primaries().length === 0) await this.#topology.refresh();
  }

  /** Resolves once every name is placed; rejects on a refusal, or when not placed within the bound. */
  async #subscribeShards(names: readonly string[]): Promise<void> {
    await this.#known();
    for (const n of names) this.#refused.delete(n);
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new ConnectionError(`SSUBSCRIBE ${names.join(' ')}: not confirmed by the owner of the slot within ${this.#waitLimit} ms; still trying`, 'unresponsive'));
      }, this.#waitLimit);
      const waiter: Waiter = { names, resolve, reject, timer };
      this.#waiters.add(waiter);
    });
    void this.#reconcile();
    return done;
  }

  /** One routine for every trigger; single-flight, run again if asked while running. */
  #reconcile(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        let passes = 0;
        do {
          this.#again = false;
          await this.#pass();
        } while (this.#again && ++passes < PASSES && !this.#closed);
      } finally {
        this.#running = undefined;
      }
      this.#afterPass();
    })();
    return this.#running;
  }

  async #pass(): Promise<void> {
    const hub = this.#hub;
    if (hub === undefined) return;
    const map = this.#topology.slotMap;
    const groups = new Map<string, { node: NodeAddress; names: string[] }>();
    const stale = new Map<string, string[]>();
    for (const name of hub.registry.names('shard')) {
      const slot = keySlot(name);
      const owner = map.primaryOf(slot);
      if (owner === undefined) continue; // no owner known: the retry round asks again
      const key = nodeKey(owner);
      const place = this.#held.get(name);
      if (place?.lane === key) continue;
      if (place !== undefined) {
        this.#held.delete(name);
        this.#lost.add(name);
        const at = `${place.lane}/${slot}`;
        stale.set(at, [...(stale.get(at) ?? []), name]);
      }
      const at = `${key}/${slot}`;
      const g = groups.get(at) ?? { node: owner, names: [] };
      g.names.push(name);
      groups.set(at, g);
    }
    for (const [at, names] of stale) void this.#drop(at.slice(0, at.lastIndexOf('/')), names);
    await Promise.all([...groups.values()].map((g) => this.#place(g.node, g.names)));
  }

  /** SSUBSCRIBE `names` (one slot) on `node`; what it learns decides the next round. */
  async #place(node: NodeAddress, names: readonly string[]): Promise<void> {
    let lane: ShardLane;
    try {
      lane = this.#shardLane(node);
    } catch {
      return; // closed
    }
    for (const n of names) this.#held.set(n, { lane: lane.key, confirmed: false });
    try {
      await lane.conn.send(subscribeCommand('shard', names));
      const back: string[] = [];
      for (const n of names) {
        const place = this.#held.get(n);
        if (place?.lane !== lane.key) continue;
        place.confirmed = true;
        if (this.#lost.delete(n)) back.push(n);
      }
      if (back.length > 0) this.#events.resubscribed({ server: lane.key, channels: [], patterns: [], shardChannels: back });
    } catch (error) {
      for (const n of names) if (this.#held.get(n)?.lane === lane.key) this.#held.delete(n);
      if (error instanceof ReplyError && error.redirect !== undefined && error.kind === 'moved') {
        const r = error.redirect;
        this.#topology.learn([{ slot: r.slot, host: r.host, port: r.port }]);
        this.#again = true;
      } else if (error instanceof ReplyError && error.kind !== 'clusterdown' && error.kind !== 'tryagain' && error.kind !== 'ask') {
        for (const n of names) this.#refused.set(n, error);
      } else {
        this.#topology.refreshSoon();
      }
    }
  }

  #shardLane(node: NodeAddress): ShardLane {
    const key = nodeKey(node);
    const existing = this.#lanes.get(key);
    if (existing !== undefined && existing.conn.status !== 'closed' && existing.conn.status !== 'closing') return existing;
    const conn = this.#topology.dedicated(node);
    conn.markSubscriber();
    const lane: ShardLane = { key, conn };
    this.#lanes.set(key, lane);
    conn.on('push', (frame) => this.#onShardFrame(lane, frame));
    conn.on('error', (e) => this.#events.error(e));
    conn.on('end', () => this.#laneLost(lane));
    conn.connect().catch(() => undefined); // a failed open ends it: 'end' follows
    return lane;
  }

  #onShardFrame(lane: ShardLane, raw: RespValue[]): void {
    const frame = readFrame(raw, this.#asBuffers);
    const hub = this.#hub;
    if (frame === undefined || hub === undefined) return;
    if (frame.type === 'message') {
      // Only from the channel's current place: an old place may still relay during a move.
      if (frame.kind === 'shard' && this.#held.get(frame.key)?.lane === lane.key) hub.deliver('shard', frame.key, frame.message);
      return;
    }
    if (frame.type === 'dropped' && frame.kind === 'shard' && this.#held.get(frame.name)?.lane === lane.key) {
      // The server let go: the slot moved away, so the slot map is stale by definition. Read it
      // (one refresh for the burst of pushes a move sends), then place the channel again.
      this.#held.delete(frame.name);
      this.#lost.add(frame.name);
      this.#topology
        .refresh()
        .catch((error: unknown) => this.#events.error(asError(error)))
        .finally(() => void this.#reconcile());
    }
  }

  #laneLost(lane: ShardLane): void {
    if (this.#lanes.get(lane.key) === lane) this.#lanes.delete(lane.key);
    for (const [name, place] of this.#held) {
      if (place.lane !== lane.key) continue;
      this.#held.delete(name);
      this.#lost.add(name);
    }
    if (this.#closed) return;
    this.#topology.refreshSoon();
    void this.#reconcile();
  }

  /** Settles the calls waiting for their names, closes lanes left with nothing, plans the next round. */
  #afterPass(): void {
    if (this.#closed) return;
    const hub = this.#hub;
    for (const w of this.#waiters) {
      const refused = w.names.map((n) => this.#refused.get(n)).find((e) => e !== undefined);
      if (refused !== undefined) {
        this.#waiters.delete(w);
        clearTimeout(w.timer);
        w.reject(refused);
      } else if (w.names.every((n) => this.#held.get(n)?.confirmed === true || hub?.registry.has('shard', n) !== true)) {
        this.#waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve();
      }
    }
    const used = new Set([...this.#held.values()].map((p) => p.lane));
    for (const [key, lane] of this.#lanes) {
      if (used.has(key)) continue;
      this.#lanes.delete(key);
      void lane.conn.close().catch(() => undefined);
    }
    const unplaced = hub?.registry.names('shard').some((n) => this.#held.get(n)?.confirmed !== true && !this.#refused.has(n)) ?? false;
    if (!unplaced) {
      this.#delay = RETRY_MIN_MS;
      return;
    }
    if (this.#timer !== undefined) return;
    const delay = this.#delay;
    this.#delay = Math.min(RETRY_MAX_MS, delay * 2);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#topology.refreshSoon();
      void this.#reconcile();
    }, delay);
  }

  // ── the end ──────────────────────────────────────────────────────────────────────────

  #stop(): Connection[] {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#globalTimer !== undefined) clearTimeout(this.#globalTimer);
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.reject(new ConnectionError('The cluster client was closed before the subscription was confirmed', 'client-closed'));
    }
    this.#waiters.clear();
    const conns = [...this.#lanes.values()].map((l) => l.conn);
    if (this.#global !== undefined) conns.push(this.#global.conn);
    this.#lanes.clear();
    this.#global = undefined;
    return conns;
  }

  async close(): Promise<void> {
    await Promise.all(this.#stop().map((c) => c.close()));
  }

  disconnect(): void {
    for (const c of this.#stop()) c.disconnect();
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
