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
import { flattenKeys, type Apply, type AsPromise, type RedisKey } from '../commands/keyspace-methods.js';
import { commandRefusal } from '../commands/connection-state.js';
import { isBlocking } from '../commands/keys.js';
import { prefixCommand, prefixCommands } from '../commands/key-prefix.js';
import { scanWords, ScanningMethods } from '../commands/scan-iterators.js';
import { Multi, Pipeline, type BatchExecutor, type CommandTuple } from '../batch/builders.js';
import type { WatchCallback, WatchOptions } from '../batch/watch.js';
import { runBulk, type BulkCommand, type BulkOptions, type BulkResult } from '../batch/bulk.js';
import { clusterBulkExecutor } from './bulk-chunks.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { runCommand, runPipeline } from './dispatch.js';
import { runBlocking, runClusterWatch, runTransaction } from './units.js';
import { resolveClusterOptions, type ClusterOptions, type ResolvedClusterOptions } from './options.js';
import { scanPrimaries, type ClusterScanOptions } from './scan.js';
import { keySlot } from './slot.js';
import type { NodeAddress, NodeInfo, SlotMap } from './slot-map.js';
import { keySpread, type KeySpread } from './spread.js';
import { Topology, type ClusterStats, type TopologyDiff } from './topology.js';
import type { LifecycleEvents } from '../connection/connection.js';
import type { CacheStats } from '../cache/store.js';
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
  /**
   * readFrom { az } only: a node's availability zone, first learned or changed (a NodeInfo when
   * the node is in the slot map). undefined: the node reports none (Redis, Valkey without the
   * `availability-zone` setting) or INFO failed; its reads count as another zone's.
   */
  'node zone': [NodeAddress, string | undefined];
  /** Subscriptions restored on another connection or node (a lost node, a moved slot); see docs/pubsub.md. */
  resubscribed: [ResubscribedEvent];
}

// The class is an EventEmitter at run time (KeyspaceMethods' root); this gives it the typed API.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Cluster extends EventEmitter<ClusterEvents>, PubSubMethods {}

/**
 * A cluster client (`createCluster`): the same API as Client, each command sent to the node that
 * owns its slot; pipelines split per node and run in parallel; MOVED / ASK / TRYAGAIN / CLUSTERDOWN
 * and failovers handled per command.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Cluster extends ScanningMethods {
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
    this.#topology.on('zone', (node, zone) => this.emit('node zone', node, zone));
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

  /** The client-side cache counters (clientCache), summed over every node's connection. See docs/caching.md. */
  cacheStats(): CacheStats {
    return this.#topology.cacheStats();
  }

  /** The primary that owns `key`'s slot now, if known. */
  nodeFor(key: RedisKey): NodeInfo | undefined {
    return this.#topology.slotMap.primaryOf(keySlot(key));
  }

  /** How `keys` spread over slots and nodes: spots hash tags that pin the load to one slot. */
  keySpread(keys: Iterable<RedisArg>): KeySpread {
    return keySpread(keys, this.#topology.slotMap);
  }

  /**
   * Every key of every primary (SCAN per node), one key per step:
   * `for await (const k of cluster.scanIterator({ match: 'user:*' }))`. With keyPrefix, only
   * the prefix's keys (they come back with the prefix). Options: match, count (default 100), type.
   */
  scanIterator(options?: ClusterScanOptions): AsyncGenerator<string, void, undefined> {
    const prefix = this.#options.node.keyPrefix;
    const topology = this.#topology;
    return (async function* () {
      const words = scanWords('SCAN', options, prefix !== undefined);
      const prefixed = prefixCommand({ name: 'SCAN', args: ['0', ...words] }, prefix).args.slice(1);
      yield* scanPrimaries(topology.slotMap.primaries(), (n) => topology.connection(n), prefixed);
    })();
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

  /** True once the topology was read and until the client is closed. */
  get isReady(): boolean {
    return this.#status === 'ready';
  }

  protected _run<T>(given: Command<T>): Apply<AsPromise, T> {
    const cmd = prefixCommand(given, this.#options.node.keyPrefix);
    const refusal = commandRefusal(cmd as Command<unknown>, 'cluster');
    if (refusal !== undefined) return Promise.reject(refusal);
    if (isBlocking(cmd.name, cmd.args)) return runBlocking(this.#topology, cmd);
    const learning = this.#topology.learnedKeys.learn([cmd as Command<unknown>], this.#askAnyNode);
    if (learning !== undefined) return learning.then(() => runCommand(this.#topology, cmd));
    return runCommand(this.#topology, cmd);
  }

  /** COMMAND GETKEYS for a command the table does not know, asked of any node. */
  readonly #askAnyNode = (cmd: Command<RespValue>): Promise<RespValue> => runCommand(this.#topology, cmd);

  readonly #executor: BatchExecutor = {
    path: 'cluster',
    pipeline: async (given) => {
      const cmds = prefixCommands(given, this.#options.node.keyPrefix);
      await this.#topology.learnedKeys.learn(cmds, this.#askAnyNode);
      return runPipeline(this.#topology, cmds);
    },
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
   * Streams commands of any number in constant memory, each chunk planned over the nodes like a
   * pipeline (redirects followed): at most `window` commands in flight per node, replies handed
   * to `onReply(reply, index)` in the source's order across nodes. See the standalone bulk().
   */
  bulk(source: Iterable<BulkCommand> | AsyncIterable<BulkCommand>, options?: BulkOptions): Promise<BulkResult> {
    this.#bulkExecutor ??= clusterBulkExecutor(this.#topology);
    return runBulk(source, options, this.#bulkExecutor);
  }
  #bulkExecutor: ReturnType<typeof clusterBulkExecutor> | undefined;

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

/** A cluster client. Any reachable node in `nodes` is enough: `connect()` learns the others from CLUSTER SHARDS (or CLUSTER SLOTS). */
export function createCluster(options: ClusterOptions): Cluster {
  return new Cluster(options);
}
