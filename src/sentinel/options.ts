/**
 * createSentinel's options: the sentinels to ask, the master name, their own credentials, and
 * every client option for the data nodes. Pure: validation and the split into what the
 * sentinel connections and the data-node connections use. Must not import the client.
 */
import { InvalidOptionError } from '../errors.js';
import type { ClientOptions } from '../connection/options.js';
import type { Endpoint } from '../connection/endpoint.js';

/** Options of `createSentinel`: the sentinels to ask, the primary's name, sentinel credentials, and every client option except host and port. */
export interface SentinelOptions extends Omit<ClientOptions, 'host' | 'port'> {
  /** Sentinels to ask, tried in order (the last one that answered goes first next time). */
  sentinels: ReadonlyArray<{ host?: string; port: number }>;
  /** The master name the sentinels monitor (`sentinel monitor <name> ...`). */
  name: string;
  /** Which server commands go to: the primary (default) or a replica (`SENTINEL REPLICAS`, reads only). */
  role?: 'primary' | 'replica';
  /** ACL user for the sentinels; `username`/`password` are for the data nodes. */
  sentinelUsername?: string;
  sentinelPassword?: string;
}

/** Bound for one sentinel's answer when connectTimeout is not set (as connectTimeout's default). */
const DEFAULT_SENTINEL_TIMEOUT_MS = 10_000;

export interface SentinelSettings {
  readonly name: string;
  readonly sentinels: readonly Endpoint[];
  readonly role: 'primary' | 'replica';
  /** Options for connections to the sentinels (their credentials, no reconnect loop). */
  readonly sentinel: ClientOptions;
  /** Options for the data nodes, without host and port. */
  readonly data: ClientOptions;
}

export function sentinelSettings(o: SentinelOptions): SentinelSettings {
  if (o === null || typeof o !== 'object') throw new InvalidOptionError('sentinels', 'createSentinel takes an options object');
  const { sentinels, name, role, sentinelUsername, sentinelPassword, ...data } = o;
  for (const key of ['host', 'port'] as const) {
    if (key in data) throw new InvalidOptionError(key, `createSentinel: option ${key} is not used (the sentinels say where the server is); list the sentinels in 'sentinels'`);
  }
  if (!Array.isArray(sentinels) || sentinels.length === 0) {
    throw new InvalidOptionError('sentinels', "createSentinel: option 'sentinels' must be a non-empty array of { host, port }");
  }
  const list = sentinels.map((s: { host?: string; port: number } | null, i: number): Endpoint => {
    if (s === null || typeof s !== 'object' || !Number.isInteger(s.port) || s.port <= 0 || s.port > 65535 || (s.host !== undefined && typeof s.host !== 'string')) {
      throw new InvalidOptionError('sentinels', `createSentinel: sentinels[${i}] must be { host?: string, port: number }`);
    }
    return { host: s.host ?? '127.0.0.1', port: s.port };
  });
  if (typeof name !== 'string' || name === '') throw new InvalidOptionError('name', "createSentinel: option 'name' (the master name) must be a non-empty string");
  if (role !== undefined && role !== 'primary' && role !== 'replica') {
    throw new InvalidOptionError('role', `createSentinel: option role must be 'primary' or 'replica', got ${String(role)}`);
  }
  const sentinel: ClientOptions = {
    ...(sentinelUsername === undefined ? {} : { username: sentinelUsername }),
    ...(sentinelPassword === undefined ? {} : { password: sentinelPassword }),
    ...(data.tls === undefined ? {} : { tls: data.tls }),
    ...(data.connectTimeout === undefined ? {} : { connectTimeout: data.connectTimeout }),
    // A sentinel that accepts a connection and never answers must not stall discovery.
    commandTimeout: data.connectTimeout ?? DEFAULT_SENTINEL_TIMEOUT_MS,
    reconnect: false,
    offlineQueue: false,
  };
  return { name, sentinels: list, role: role ?? 'primary', sentinel, data };
}
