/**
 * The cluster client: the same typed methods, pipeline(), multi() and watch() as the standalone
 * client, with every command sent where its slot lives. Thin on purpose: the topology (slot map,
 * node connections, refresh) is in topology.ts; the first attempt of each path in dispatch.ts
 * (single, pipeline) and units.ts (multi, blocking, watch); every redirect in redirect.ts;
 * planning and merging are pure (plan.ts, merge.ts).
 */
import { EventEmitter } from 'node:events';
import { ArgumentTypeError } from '../errors.js';
import type { Command } from '../commands/command.js';
import { CommandMethods } from '../commands/methods.js';
import { flattenKeys, type Apply, type AsPromise, type RedisKey } from '../commands/keyspace-methods.js';
import { commandRefusal } from '../commands/connection-state.js';
import { isBlocking } from '../commands/keys.js';
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
import { Topology, type ClusterStats } from './topology.js';

export interface ClusterEvents {
  /** The slot map was read again (periodic, after MOVED, after a node was lost). */
  refresh: [SlotMap];
  /** Background problems (a refresh that failed, a node's socket error); commands get their own errors. */
  error: [Error];
}

export class Cluster extends CommandMethods<AsPromise> {
  /** Private: it holds the password, which nothing reachable from the client may show. */
  readonly #options: ResolvedClusterOptions;
  readonly #topology: Topology;
  readonly #events = new EventEmitter<ClusterEvents>();

  constructor(options: ClusterOptions) {
    super();
    this.#options = resolveClusterOptions(options);
    this.#topology = new Topology(this.#options);
    this.#topology.on('refresh', (map) => this.#events.emit('refresh', map));
    this.#topology.on('error', (error) => {
      if (this.#events.listenerCount('error') > 0) this.#events.emit('error', error);
    });
  }

  on<E extends keyof ClusterEvents>(event: E, listener: (...args: ClusterEvents[E]) => void): this {
    this.#events.on(event, listener as never);
    return this;
  }
  off<E extends keyof ClusterEvents>(event: E, listener: (...args: ClusterEvents[E]) => void): this {
    this.#events.off(event, listener as never);
    return this;
  }

  /** Discovers the topology from the seeds; rejects naming every seed tried and why it failed. */
  async connect(): Promise<this> {
    await this.#topology.start();
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
    return scanPrimaries(this.#topology.slotMap.primaries(), (n) => this.#topology.connection(n), options);
  }

  /** Graceful: pending replies arrive on every node, then the connections close. */
  close(): Promise<void> {
    return this.#topology.close();
  }

  /** Immediate: pending commands are rejected. */
  disconnect(): void {
    this.#topology.disconnect();
  }

  protected _run<T>(cmd: Command<T>): Apply<AsPromise, T> {
    const refusal = commandRefusal(cmd as Command<unknown>, 'cluster');
    if (refusal !== undefined) return Promise.reject(refusal);
    if (isBlocking(cmd.name, cmd.args)) return runBlocking(this.#topology, cmd);
    return runCommand(this.#topology, cmd);
  }

  readonly #executor: BatchExecutor = {
    path: 'cluster',
    pipeline: (cmds) => runPipeline(this.#topology, cmds),
    transaction: (cmds) => runTransaction(this.#topology, cmds),
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
    return runClusterWatch(this.#topology, list, fn, options);
  }
}

export function createCluster(options: ClusterOptions): Cluster {
  return new Cluster(options);
}
