/**
 * The cluster client: the same typed methods, pipeline(), multi() and watch() as the standalone
 * client, with every command sent where its slot lives. Thin on purpose: the topology (slot map,
 * node connections, refresh) is in topology.ts; the first attempt of each path in dispatch.ts
 * (single, pipeline) and units.ts (multi, blocking, watch); every redirect in redirect.ts;
 * planning and merging are pure (plan.ts, merge.ts).
 */
import type { EventEmitter } from 'node:events';
import { ArgumentTypeError } from '../errors.js';
import type { Command } from '../commands/command.js';
import { CommandMethods } from '../commands/methods.js';
import { flattenKeys, type Apply, type AsPromise, type RedisKey } from '../commands/keyspace-methods.js';
import { commandRefusal } from '../commands/connection-state.js';
import { isBlocking } from '../commands/keys.js';
import { prefixCommand, prefixCommands, prefixKey } from '../commands/key-prefix.js';
import { Multi, Pipeline, type BatchExecutor, type CommandTuple } from '../batch/builders.js';
import type { WatchCallback, WatchOptions } from '../batch/watch.js';
import type { RedisArg } from '../resp/types.js';
import { runCommand, runPipeline } from './dispatch.js';
import { runBlocking, runClusterWatch, runTransaction } from './units.js';
import { resolveClusterOptions, type ClusterOptions, type ResolvedClusterOptions } from './options.js';
import { scanPrimaries, type ClusterScanOptions } from './scan.js';
import { keySlot } from './slot.js';
import type { NodeInfo, SlotMap } from './slot-map.js';
import { keySpread, type KeySpread } from './spread.js';
import { Topology, type ClusterStats, type TopologyDiff } from './topology.js';
import type { LifecycleEvents } from '../connection/connection.js';
import { PubSubHub, type ResubscribedEvent } from '../pubsub/hub.js';
import { pubsubMethods, type PubSubMethods } from '../pubsub/api.js';
import { ClusterPubSub } from './pubsub.js';

/** What the cluster client emits, besides ready / error / end (LifecycleEvents). */
export interface ClusterEvents extends LifecycleEvents {
  /** The slot map was read again (periodic, after MOVED, after a node was lost), with what changed. */
  refresh: [SlotMap, TopologyDiff];
  /** A node appeared in the slot map (a new shard, a promoted or added replica). */
  'node added': [NodeInfo];
  /** A node left the slot map, or is listed as failed; its connections are closed. */
  'node removed': [NodeInfo];
  /** Subscriptions restored on another connection or node (a lost node, a moved slot); see docs/pubsub.md. */
  resubscribed: [ResubscribedEvent];
}

// The class is an EventEmitter at run time (KeyspaceMethods' root); this gives it the typed API.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Cluster extends EventEmitter<ClusterEvents>, PubSubMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Cluster extends CommandMethods<AsPromise> {
  /** Private: it holds the password, which nothing reachable from the client may show. */
  readonly #options: ResolvedClusterOptions;
  /** The options as given, for duplicate(); private for the same reason. */
  readonly #given: ClusterOptions;
  readonly #topology: Topology;
  #ended = false;
  #status: ClusterStatus = 'idle';
  /** Pub/Sub, made on the first subscribe (docs/pubsub.md). */
  #pubsub: { hub: PubSubHub; router: ClusterPubSub } | undefined;

  constructor(options: ClusterOptions) {
    super();
    this.#options = resolveClusterOptions(options);
    this.#given = { ...options };
    this.#topology = new Topology(this.#options);
    this.#topology.on('refresh', (map, diff) => {
      this.emit('refresh', map, diff);
      for (const node of diff.added) this.emit('node added', node);
      for (const node of diff.removed) this.emit('node removed', node);
    });
    this.#topology.on('error', (error) => this.#report(error));
    // Own properties rather than class methods: the overloads are declared once, in pubsub/api.ts.
    Object.assign(this, pubsubMethods(() => this.#hub()));
  }

  #report(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #hub(): PubSubHub {
    if (this.#pubsub !== undefined) return this.#pubsub.hub;
    const node = this.#options.node;
    const router = new ClusterPubSub(this.#topology, node.returnBuffers, Math.max(node.connectTimeout, this.#options.failoverTimeout), {
      resubscribed: (e) => this.emit('resubscribed', e),
      error: (e) => this.#report(e),
    });
    const hub = new PubSubHub(router, (e) => this.#report(e));
    router.hub = hub;
    this.#pubsub = { hub, router };
    return hub;
  }

  /** Discovers the topology from the seeds; rejects naming every seed tried and why it failed. */
  async connect(): Promise<this> {
    if (this.#status === 'idle') this.#status = 'connecting';
    try {
      await this.#topology.start();
    } catch (error) {
      if (this.#status === 'connecting') this.#status = 'idle';
      throw error;
    }
    if (this.#status === 'connecting') this.#status = 'ready';
    this.emit('ready');
    return this;
  }

  /** Reads the topology now. */
  refresh(): Promise<void> {
    return this.#topology.refresh();
  }

  /** The current slot map snapshot. */
  get slotMap(): SlotMap {
    return this.#topology.slotMap;
  }

  /** Counters of redirects, retries and refreshes since the client was created. */
  get stats(): Readonly<ClusterStats> {
    return this.#topology.stats;
  }

  /** The primary that owns `key`'s slot now, if known. */
  nodeFor(key: RedisKey): NodeInfo | undefined {
    return this.#topology.slotMap.primaryOf(keySlot(key));
  }

  /** How `keys` spread over slots and nodes: spots hash tags that pin the load to one slot. */
  keySpread(keys: Iterable<RedisArg>): KeySpread {
    return keySpread(keys, this.#topology.slotMap);
  }

  /** Every key of every primary (SCAN per node), e.g. `for await (const k of cluster.scanIterator({ match: 'user:*' }))`. */
  scanIterator(options?: ClusterScanOptions): AsyncGenerator<string, void, undefined> {
    const prefix = this.#options.node.keyPrefix;
    const scan = options?.match === undefined || prefix === undefined ? options : { ...options, match: String(prefixKey(options.match, prefix)) };
    return scanPrimaries(this.#topology.slotMap.primaries(), (n) => this.#topology.connection(n), scan);
  }

  /** Graceful: pending replies arrive on every node, then the connections close. */
  async close(): Promise<void> {
    this.#pubsub?.hub.close();
    await Promise.all([this.#topology.close(), this.#pubsub?.router.close()]);
    this.#end();
  }

  /** Immediate: pending commands are rejected. */
  disconnect(): void {
    this.#pubsub?.hub.close();
    this.#pubsub?.router.disconnect();
    this.#topology.disconnect();
    this.#end();
  }

  #end(): void {
    this.#status = 'closed';
    if (this.#ended) return;
    this.#ended = true;
    this.emit('end');
  }

  // ── Conveniences (issue 14 item 6): duplicate, quit, await using, isReady ──

  /** A new, unconnected cluster client with the same options and `overrides` on top. */
  duplicate(overrides: Partial<ClusterOptions> = {}): Cluster {
    return new Cluster({ ...this.#given, ...overrides });
  }

  /** The same as close(). */
  quit(): Promise<void> {
    return this.close();
  }

  /** `await using cluster = createCluster(...)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** 'idle' until connect(), 'ready' once the topology was read, 'closed' after close()/disconnect(). */
  get status(): ClusterStatus {
    return this.#status;
  }

  get isReady(): boolean {
    return this.#status === 'ready';
  }

  protected _run<T>(given: Command<T>): Apply<AsPromise, T> {
    const cmd = prefixCommand(given, this.#options.node.keyPrefix);
    const refusal = commandRefusal(cmd as Command<unknown>, 'cluster');
    if (refusal !== undefined) return Promise.reject(refusal);
    if (isBlocking(cmd.name, cmd.args)) return runBlocking(this.#topology, cmd);
    return runCommand(this.#topology, cmd);
  }

  readonly #executor: BatchExecutor = {
    path: 'cluster',
    pipeline: (cmds) => runPipeline(this.#topology, prefixCommands(cmds, this.#options.node.keyPrefix)),
    transaction: (cmds) => runTransaction(this.#topology, prefixCommands(cmds, this.#options.node.keyPrefix)),
  };

  /**
   * A non-atomic batch over any keys: one sub-pipeline per node, all sent at once, results in
   * the order the commands were added.
   */
  pipeline(commands?: readonly CommandTuple[]): Pipeline {
    return new Pipeline(this.#executor, commands);
  }

  /** MULTI/EXEC on the owner of the keys' slot; keys in several slots reject with CrossSlotError before anything is sent. */
  multi(commands?: readonly CommandTuple[]): Multi {
    return new Multi(this.#executor, commands);
  }

  /**
   * Optimistic transaction on a dedicated connection to the owner of `keys` (they must share a
   * slot: use a hash tag). Retried while a watched key changes, like the standalone `watch()`.
   */
  async watch<R extends unknown[]>(keys: RedisKey | readonly RedisKey[], fn: WatchCallback<R>, options?: WatchOptions): Promise<R | null> {
    const list = flattenKeys([keys]);
    if (list.length === 0) throw new ArgumentTypeError('watch', 0, keys, 'count', '(keys): at least one key is required');
    return runClusterWatch(this.#topology, list, fn, options, this.#options.node.keyPrefix);
  }
}

/** Where a cluster client is in its life. */
export type ClusterStatus = 'idle' | 'connecting' | 'ready' | 'closed';

export function createCluster(options: ClusterOptions): Cluster {
  return new Cluster(options);
}
