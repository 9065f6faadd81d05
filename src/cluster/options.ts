/**
 * Cluster options: the seeds, the address map and the routing knobs, on top of the client
 * options that every node connection inherits (TLS, auth, clientName, protocol, timeouts).
 * A seed given as a URL brings its credentials and TLS to every node, under the explicit
 * options. Pure: no sockets.
 */
import { InvalidOptionError } from '../errors.js';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from '../connection/options.js';
import { parseUrl, redactUrl } from '../connection/url.js';
import type { AddressMapper, NodeAddress } from './slot-map.js';

/** `'10.0.0.5:6379' → { host: '127.0.0.1', port: 7001 }`, or a function doing the same. */
export type NatMap = Readonly<Record<string, NodeAddress>> | ((addr: NodeAddress) => NodeAddress | undefined);

/**
 * Where read-only commands go (writes always go to the slot's primary):
 * - 'primary': the slot's primary;
 * - 'preferReplica': the shard's replicas take turns, the primary when none can serve;
 * - `{ az: 'zone-a' }`: the shard's replicas whose `availability-zone` (Valkey 8, read once per
 *   node connection from INFO server) is 'zone-a' take turns; when none, any replica; then the
 *   primary. A node that reports no zone (Redis, Valkey without the setting) is "another zone".
 */
export type ReadFrom = 'primary' | 'preferReplica' | { readonly az: string };

/** Client options that name one server or database, or that the cluster does not implement. */
type NotForCluster = 'host' | 'port' | 'db' | 'database' | 'url' | 'path' | 'socket' | 'lazyConnect';
const NOT_FOR_CLUSTER: readonly NotForCluster[] = ['host', 'port', 'db', 'database', 'url', 'path', 'socket', 'lazyConnect'];

/** Options for every node connection, for those who keep them apart (top-level options win). */
export type NodeOptions = Omit<ClientOptions, NotForCluster>;

export interface ClusterOptions extends NodeOptions {
  /** Seed nodes: any reachable one is enough to discover the rest. */
  nodes: ReadonlyArray<NodeAddress | string>;
  /** Rewrites the addresses the cluster announces (NAT, port forwards, proxies). */
  natMap?: NatMap;
  /** Where read-only commands go: 'primary' (default), 'preferReplica', or `{ az }` for same-zone replicas first. */
  readFrom?: ReadFrom;
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
  /** Options every node connection starts from; the same names at the top level win over these. */
  nodeOptions?: NodeOptions;
  /** ioredis's name for nodeOptions. */
  redisOptions?: NodeOptions;
  /** node-redis's name for nodeOptions. */
  defaults?: NodeOptions;
}

export interface ResolvedClusterOptions {
  readonly seeds: readonly NodeAddress[];
  readonly mapAddress: AddressMapper;
  readonly readFrom: ReadFrom;
  readonly maxRedirections: number;
  readonly refreshInterval: number;
  readonly minRefreshGap: number;
  readonly retryDelay: number;
  readonly retryTimeout: number;
  readonly failoverTimeout: number;
  /** Options every node connection starts from; host and port are set per node. */
  readonly node: ResolvedOptions;
}

/** What a seed URL says beyond its address: applied to every node, explicit options winning. */
type SeedSettings = Pick<ClientOptions, 'username' | 'password' | 'tls' | 'protocol' | 'clientName'>;
const SEED_SETTINGS = ['username', 'password', 'tls', 'protocol', 'clientName'] as const;

function parseSeed(seed: NodeAddress | string, settings: SeedSettings): NodeAddress {
  if (typeof seed !== 'string') {
    if (typeof seed?.host !== 'string' || !Number.isInteger(seed.port)) {
      throw new InvalidOptionError('nodes', `createCluster: each seed must be { host, port } or 'host:port', got ${JSON.stringify(seed)}`);
    }
    return { host: seed.host, port: seed.port };
  }
  if (seed.includes('://')) {
    let url: ClientOptions;
    try {
      url = parseUrl(seed);
    } catch {
      throw new InvalidOptionError('nodes', `createCluster: bad seed URL '${redactUrl(seed)}'`);
    }
    if (url.path !== undefined) throw new InvalidOptionError('nodes', `createCluster: a cluster seed cannot be a unix socket ('${redactUrl(seed)}')`);
    if (url.db !== undefined && url.db !== 0) throw new InvalidOptionError('nodes', `createCluster: a cluster has only database 0 ('${redactUrl(seed)}')`);
    for (const key of SEED_SETTINGS) {
      const v = url[key];
      if (v === undefined) continue;
      // Two seeds that disagree would make every node's settings depend on the seed order.
      if (settings[key] !== undefined && settings[key] !== v) throw new InvalidOptionError('nodes', `createCluster: seed URLs disagree on ${key}`);
      (settings as Record<string, unknown>)[key] = v;
    }
    return { host: url.host ?? '127.0.0.1', port: url.port ?? 6379 };
  }
  const text = seed;
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

function checkReadFrom(readFrom: unknown): void {
  if (readFrom === undefined || readFrom === 'primary' || readFrom === 'preferReplica') return;
  const shown = typeof readFrom === 'object' && readFrom !== null ? JSON.stringify(readFrom) : String(readFrom);
  if (typeof readFrom === 'object' && readFrom !== null) {
    const { az, ...rest } = readFrom as { az?: unknown };
    // Any other key would be ignored: refuse it rather than route by half of what was asked.
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new InvalidOptionError('readFrom', `Option readFrom takes only { az }, got ${extra.map((k) => `'${k}'`).join(', ')} too`);
    if (typeof az === 'string' && az !== '') return;
    throw new InvalidOptionError('readFrom.az', `Option readFrom.az must be a non-empty string (the zone name the nodes' availability-zone setting uses), got ${shown}`);
  }
  throw new InvalidOptionError('readFrom', `Option readFrom must be 'primary', 'preferReplica' or { az: 'zone-name' }, got ${shown}`);
}

/** Read-only commands may leave the primary (every node connection then sends READONLY). */
export function readsFromReplicas(readFrom: ReadFrom): boolean {
  return readFrom !== 'primary';
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
  const { nodes, natMap, readFrom, maxRedirections, refreshInterval, minRefreshGap, retryDelay, retryTimeout, failoverTimeout, nodeOptions, redisOptions, defaults, ...client } = o;
  checkReadFrom(readFrom);
  const perNode = [['nodeOptions', nodeOptions], ['redisOptions', redisOptions], ['defaults', defaults]] as const;
  const given = perNode.filter(([, v]) => v !== undefined);
  if (given.length > 1) throw new InvalidOptionError(given[1]![0], `createCluster: give per-node options once (${given.map(([k]) => k).join(' and ')} were both given)`);
  for (const [where, opts] of [['', client], ...given.map(([k, v]) => [`${k}.`, v] as const)] as const) {
    for (const key of NOT_FOR_CLUSTER) {
      if (opts !== undefined && (opts as Record<string, unknown>)[key] !== undefined) {
        throw new InvalidOptionError(`${where}${key}`, `createCluster: option ${where}${key} does not apply to a cluster (seeds go in nodes; a cluster has only db 0)`);
      }
    }
  }
  const settings: SeedSettings = {};
  const seeds = nodes.map((seed) => parseSeed(seed, settings));
  const explicit = Object.fromEntries(Object.entries(client).filter(([, v]) => v !== undefined)) as NodeOptions;
  return {
    seeds,
    mapAddress: toMapper(natMap),
    readFrom: typeof readFrom === 'object' ? { az: readFrom.az } : (readFrom ?? 'primary'),
    maxRedirections: count('maxRedirections', maxRedirections, 16),
    refreshInterval: count('refreshInterval', refreshInterval, 5000),
    minRefreshGap: count('minRefreshGap', minRefreshGap, 100),
    retryDelay: count('retryDelay', retryDelay, 50),
    retryTimeout: count('retryTimeout', retryTimeout, 2000),
    failoverTimeout: count('failoverTimeout', failoverTimeout, 5000),
    node: resolveOptions({ ...settings, ...given[0]?.[1], ...explicit }),
  };
}
