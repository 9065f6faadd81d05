/**
 * Cluster options: the seeds, the address map and the routing knobs, on top of the client
 * options that every node connection inherits (TLS, auth, clientName, protocol, timeouts).
 * Pure: no sockets.
 */
import { InvalidOptionError } from '../errors.js';
import { redactUrl, resolveOptions, type ClientOptions, type ResolvedOptions } from '../connection/options.js';
import type { AddressMapper, NodeAddress } from './slot-map.js';

/** `'10.0.0.5:6379' → { host: '127.0.0.1', port: 7001 }`, or a function doing the same. */
export type NatMap = Readonly<Record<string, NodeAddress>> | ((addr: NodeAddress) => NodeAddress | undefined);

export interface ClusterOptions extends Omit<ClientOptions, 'host' | 'port' | 'db'> {
  /** Seed nodes: any reachable one is enough to discover the rest. */
  nodes: ReadonlyArray<NodeAddress | string>;
  /** Rewrites the addresses the cluster announces (NAT, port forwards, proxies). */
  natMap?: NatMap;
  /** 'preferReplica': read-only commands go to a replica of the slot's shard when it has one. */
  readFrom?: 'primary' | 'preferReplica';
  /** A command redirected more often than this fails with ClusterError. Default 16. */
  maxRedirections?: number;
  /** Periodic topology refresh in ms; 0 disables. Default 5000. */
  refreshInterval?: number;
  /** Least time between two refreshes triggered by MOVED or errors, in ms. Default 100. */
  minRefreshGap?: number;
  /** First delay before retrying after TRYAGAIN / CLUSTERDOWN / a lost node, in ms (doubling, at most 100). Default 50. */
  retryDelay?: number;
  /** No retry wait ends later than this many ms after a command's first redirect: it fails with ClusterError. Default 2000. */
  retryTimeout?: number;
  /**
   * How long a command waits for its shard to serve again when its node cannot be reached or no
   * serving primary is listed (a failover: ~2.5 s with cluster-node-timeout 1000, about
   * node-timeout + 1-2 s in general). These waits do not spend maxRedirections. Default 5000.
   */
  failoverTimeout?: number;
}

export interface ResolvedClusterOptions {
  readonly seeds: readonly NodeAddress[];
  readonly mapAddress: AddressMapper;
  readonly readFrom: 'primary' | 'preferReplica';
  readonly maxRedirections: number;
  readonly refreshInterval: number;
  readonly minRefreshGap: number;
  readonly retryDelay: number;
  readonly retryTimeout: number;
  readonly failoverTimeout: number;
  /** Options every node connection starts from; host and port are set per node. */
  readonly node: ResolvedOptions;
}

function parseSeed(seed: NodeAddress | string): NodeAddress {
  if (typeof seed !== 'string') {
    if (typeof seed?.host !== 'string' || !Number.isInteger(seed.port)) {
      throw new InvalidOptionError('nodes', `createCluster: each seed must be { host, port } or 'host:port', got ${JSON.stringify(seed)}`);
    }
    return { host: seed.host, port: seed.port };
  }
  let text = seed;
  if (seed.includes('://')) {
    try {
      text = new URL(seed).host;
    } catch {
      throw new InvalidOptionError('nodes', `createCluster: bad seed URL '${redactUrl(seed)}'`);
    }
  }
  const colon = text.lastIndexOf(':');
  const port = colon === -1 ? 6379 : Number(text.slice(colon + 1));
  const host = (colon === -1 ? text : text.slice(0, colon)).replace(/^\[|\]$/g, '');
  if (!Number.isInteger(port) || host === '') throw new InvalidOptionError('nodes', `createCluster: bad seed address '${redactUrl(seed)}'`);
  return { host, port };
}

export function toMapper(natMap: NatMap | undefined): AddressMapper {
  if (natMap === undefined) return (addr) => addr;
  if (typeof natMap === 'function') return (addr) => natMap(addr) ?? addr;
  return (addr) => natMap[`${addr.host}:${addr.port}`] ?? addr;
}

export function resolveClusterOptions(o: ClusterOptions): ResolvedClusterOptions {
  if (!Array.isArray(o?.nodes) || o.nodes.length === 0) {
    throw new InvalidOptionError('nodes', 'createCluster: give at least one seed node, e.g. { nodes: [{ host: "127.0.0.1", port: 7000 }] }');
  }
  const count = (name: string, v: number | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidOptionError(name, `Option ${name} must be a non-negative number`);
    return v;
  };
  const { nodes, natMap, readFrom, maxRedirections, refreshInterval, minRefreshGap, retryDelay, retryTimeout, failoverTimeout, ...client } = o;
  if (readFrom !== undefined && readFrom !== 'primary' && readFrom !== 'preferReplica') {
    throw new InvalidOptionError('readFrom', `Option readFrom must be 'primary' or 'preferReplica', got ${String(readFrom)}`);
  }
  return {
    seeds: nodes.map(parseSeed),
    mapAddress: toMapper(natMap),
    readFrom: readFrom ?? 'primary',
    maxRedirections: count('maxRedirections', maxRedirections, 16),
    refreshInterval: count('refreshInterval', refreshInterval, 5000),
    minRefreshGap: count('minRefreshGap', minRefreshGap, 100),
    retryDelay: count('retryDelay', retryDelay, 50),
    retryTimeout: count('retryTimeout', retryTimeout, 2000),
    failoverTimeout: count('failoverTimeout', failoverTimeout, 5000),
    node: resolveOptions(client),
  };
}
