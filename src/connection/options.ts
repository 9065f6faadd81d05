/**
 * Client options: the public option types, `redis://` / `rediss://` URL parsing and defaults.
 * Pure: no sockets. Every other connection module reads the resolved form only.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { InvalidOptionError } from '../errors.js';
import { resolveCacheOptions, type ClientCacheOptions, type ResolvedCacheOptions } from '../cache/options.js';
import { MAX_ARGUMENT_BYTES } from '../resp/encoder.js';
import type { EndpointSource } from './endpoint.js';
import { parseUrl } from './url.js';

/**
 * Decides, before reconnect attempt `attempt` (1 = the first after the connection was lost),
 * how long to wait in ms, or an Error to stop reconnecting (every waiting command is then
 * rejected with ConnectionError 'reconnect-gave-up', the Error as its cause). `false` stops too,
 * as node-redis's strategy may return. `lastError` is why the previous attempt failed.
 */
export type ReconnectStrategy = (attempt: number, lastError: Error | undefined) => number | Error | false;

/** The reconnect backoff, as an object (`reconnect: { maxDelay: 5000 }`); `reconnectStrategy` replaces it with a function. */
export interface ReconnectOptions {
  /** First delay after a lost connection, in ms. Default 50. */
  initialDelay?: number;
  /** Upper bound of the exponential backoff, in ms. Default 2000. */
  maxDelay?: number;
  /** Give up after this many failed attempts in a row (waiting commands rejected). Default Infinity: never. */
  maxAttempts?: number;
  /** Random spread applied to each delay, 0..1 (0.2 = ±20%). Default 0.2. */
  jitter?: number;
}

/** Other clients' spellings, accepted as they are unambiguous (OPTION_ALIASES); ours are preferred. */
export interface OptionAliases {
  /** node-redis: same as `db`. */
  database?: number;
  /** node-redis: same as `clientName`. */
  name?: string;
  /** ioredis: same as `clientName`. */
  connectionName?: string;
  /** ioredis: same as `offlineQueue`. */
  enableOfflineQueue?: boolean;
  /** node-redis: the opposite of `offlineQueue`. */
  disableOfflineQueue?: boolean;
  /** node-redis 5: same as `protocol`. */
  RESP?: 2 | 3;
  /** node-redis: these keys mean what the top-level options of the same name do. */
  socket?: { host?: string; port?: number; path?: string; tls?: boolean | TlsOptions; connectTimeout?: number; reconnectStrategy?: ReconnectStrategy };
}

export interface ClientOptions extends OptionAliases {
  /**
   * `redis://[[user]:password@]host[:port][/db][?db=&protocol=&name=]`, `rediss://` (TLS),
   * `valkey://`, `valkeys://`, or `unix:///path/to/socket[?db=]`. The other options given with it
   * win over what the URL says.
   */
  url?: string;
  host?: string;
  port?: number;
  /** A unix socket path; when set, host and port are not used. */
  path?: string;
  username?: string;
  password?: string;
  /** Logical database, selected after the handshake (standalone only). */
  db?: number;
  /** `true` or Node TLS options to connect over TLS. */
  tls?: boolean | TlsOptions;
  /** Sent with HELLO SETNAME / CLIENT SETNAME. */
  clientName?: string;
  /** RESP version. Default 3, falling back to 2 when the server has no HELLO. */
  protocol?: 2 | 3;
  /** ms to establish the connection and finish the handshake. Default 10000. */
  connectTimeout?: number;
  /**
   * ms a command may wait for its reply, counted from when it was issued (so time spent in the
   * offline queue counts); 0 = no limit. Default 10000. A blocking command (BLPOP, XREAD BLOCK,
   * WAIT, ...) gets its own server-side timeout plus this; with a server timeout of 0 it waits forever.
   */
  commandTimeout?: number;
  /**
   * Half-open detection, in ms (0 disables). While commands wait for replies, the connection
   * checks every interval that some byte arrived. After one silent interval it writes a PING
   * (a peer that is gone then resets the socket at once); after a second one it gives the
   * connection up as half-open (a dead NAT entry, a frozen host), fails the written commands
   * with ConnectionError (reason 'unresponsive', written: true; never re-sent) and reconnects.
   * Detection takes 2 to 3 intervals of silence. Default 5000: twice that is above the 5 s
   * after which a server busy in a script answers BUSY, so a merely slow server is not cut.
   * An idle connection is not checked; pooled (blocking) connections never are.
   */
  healthCheckInterval?: number;
  /** Reconnect with exponential backoff and jitter, forever by default; `false` to disable. */
  reconnect?: false | ReconnectOptions;
  /** Replaces the backoff: see ReconnectStrategy. */
  reconnectStrategy?: ReconnectStrategy;
  /**
   * true (default): no socket until connect() or the first command, which starts the connection.
   * false: the connection starts when the client is created (ioredis's default); connect() then
   * waits for it. A connection started this way (not by connect()) that cannot be opened is
   * retried like a lost one; only the server refusing the handshake (auth, SELECT) ends it.
   * An explicit connect() rejects at once on any failure, so a misconfiguration at start is loud.
   */
  lazyConnect?: boolean;
  /** Queue commands issued while disconnected. Default true. */
  offlineQueue?: boolean;
  /** Most commands the offline queue holds before rejecting new ones. Default 10000. */
  maxOfflineQueue?: number;
  /** Most commands written and awaiting replies on one connection. Default 100000. */
  maxInFlight?: number;
  /** What a command does when maxInFlight is reached: wait for room (default) or fail at once. */
  onBackpressure?: 'wait' | 'fail';
  /** Decode strings as Buffers for every command. Default false. */
  returnBuffers?: boolean;
  /** RESP3 maps as plain objects when keys are strings ('auto', default) or always `Map`. */
  mapAs?: 'auto' | 'map';
  /** RESP3 sets as arrays (default) or `Set`. */
  setAs?: 'array' | 'set';
  /** TCP keep-alive initial delay in ms; 0 disables. Default 30000. */
  keepAlive?: number;
  /** Pipelines longer than this are written in slices. Default 1000. */
  maxBatch?: number;
  /**
   * Largest argument, in bytes, a command may carry; a larger one is refused with
   * ArgumentTypeError before anything is written. Set it to the server's proto-max-bulk-len
   * (default 512 MiB, the default here too): the server drops the whole connection otherwise.
   */
  maxArgumentBytes?: number;
  /** Size of the pool of dedicated connections for WATCH and blocking commands. Default 8. */
  poolSize?: number;
  /**
   * Show every argument in diagnostics_channel contexts. Default false: values are hidden by the
   * rules of `@opentelemetry/redis-common`. AUTH, HELLO, MIGRATE, ACL and CONFIG keep those
   * rules either way. See docs/observability.md.
   */
  traceArguments?: boolean;
  /**
   * Put in front of every key the command table knows (and SCAN's MATCH pattern), never on other
   * arguments; replies are not rewritten. See commands/key-prefix.ts.
   */
  keyPrefix?: string;
  /**
   * Opt-in client-side cache (RESP3 only): CLIENT TRACKING on every (re)connect, a documented
   * list of reads served from a bounded LRU until the server invalidates them. See docs/caching.md.
   */
  clientCache?: ClientCacheOptions;
}

/**
 * Other clients' spellings of our options, accepted where they mean exactly the same; see
 * docs/api-conventions.md. Giving both spellings of one option is an error.
 */
export const OPTION_ALIASES: Readonly<Record<Exclude<keyof OptionAliases, 'socket'>, { readonly to: keyof ClientOptions; readonly map?: (v: unknown) => unknown }>> = {
  database: { to: 'db' }, // node-redis
  name: { to: 'clientName' }, // node-redis
  connectionName: { to: 'clientName' }, // ioredis
  enableOfflineQueue: { to: 'offlineQueue' }, // ioredis
  disableOfflineQueue: { to: 'offlineQueue', map: (v) => (typeof v === 'boolean' ? !v : v) }, // node-redis
  RESP: { to: 'protocol' }, // node-redis 5
};

/** node-redis's `socket: { ... }` keys, all of which mean what the top-level option of the same name does. */
const SOCKET_KEYS: ReadonlySet<string> = new Set(['host', 'port', 'path', 'tls', 'connectTimeout', 'reconnectStrategy']);

/** Every option we read: a key outside this list (or the alias table) is a typo, not a default. */
const OPTION_KEYS: ReadonlySet<string> = new Set<Exclude<keyof ClientOptions, keyof OptionAliases>>([
  'url', 'host', 'port', 'path', 'username', 'password', 'db', 'tls', 'clientName', 'protocol', 'connectTimeout',
  'commandTimeout', 'healthCheckInterval', 'reconnect', 'reconnectStrategy', 'lazyConnect', 'offlineQueue', 'maxOfflineQueue', 'maxInFlight',
  'onBackpressure', 'returnBuffers', 'mapAs', 'setAs', 'keepAlive', 'maxBatch', 'maxArgumentBytes', 'poolSize', 'traceArguments',
  'keyPrefix', 'clientCache',
]);
const RECONNECT_KEYS: ReadonlySet<string> = new Set<keyof ReconnectOptions>(['initialDelay', 'maxDelay', 'maxAttempts', 'jitter']);

export interface ResolvedReconnect {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly maxAttempts: number;
  readonly jitter: number;
  readonly strategy?: ReconnectStrategy | undefined;
}

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  readonly tls: TlsOptions | undefined;
  readonly clientName: string | undefined;
  readonly protocol: 2 | 3;
  readonly connectTimeout: number;
  readonly commandTimeout: number;
  readonly healthCheckInterval: number;
  readonly reconnect: ResolvedReconnect | false;
  readonly lazyConnect: boolean;
  readonly offlineQueue: boolean;
  readonly maxOfflineQueue: number;
  readonly maxInFlight: number;
  readonly onBackpressure: 'wait' | 'fail';
  readonly returnBuffers: boolean;
  readonly mapAs: 'auto' | 'map';
  readonly setAs: 'array' | 'set';
  readonly keepAlive: number;
  readonly maxBatch: number;
  readonly maxArgumentBytes: number;
  readonly poolSize: number;
  readonly traceArguments: boolean;
  readonly keyPrefix: string | undefined;
  readonly clientCache: ResolvedCacheOptions | undefined;
  /** Set by createSentinel: where to dial is asked before every open instead of host/port. */
  readonly endpoint?: EndpointSource;
}

/**
 * Our option names from what the user wrote: aliases renamed, node-redis's `socket` flattened,
 * `url` parsed underneath (explicit options win); an unknown key is an InvalidOptionError.
 */
export function normalizeOptions(input: ClientOptions | string): ClientOptions {
  if (typeof input === 'string') return parseUrl(input);
  if (input === null || typeof input !== 'object') throw new InvalidOptionError('options', `Options must be an object or a URL string, got ${String(input)}`);
  const out: Record<string, unknown> = {};
  const set = (key: string, value: unknown, spelled: string): void => {
    if (value === undefined) return;
    if (out[key] !== undefined) throw new InvalidOptionError(spelled, `Option ${spelled} sets ${key}, which is already given`);
    out[key] = value;
  };
  for (const key of Object.keys(input)) {
    const value = (input as Record<string, unknown>)[key];
    if (OPTION_KEYS.has(key)) set(key, value, key);
    else if (Object.hasOwn(OPTION_ALIASES, key)) {
      const alias = OPTION_ALIASES[key as keyof typeof OPTION_ALIASES];
      set(alias.to, alias.map === undefined ? value : alias.map(value), key);
    } else if (key === 'socket' && value !== null && typeof value === 'object') {
      for (const sub of Object.keys(value)) {
        if (!SOCKET_KEYS.has(sub)) throw new InvalidOptionError(`socket.${sub}`, `Unknown option socket.${sub} (known: ${[...SOCKET_KEYS].join(', ')})`);
        set(sub, (value as Record<string, unknown>)[sub], `socket.${sub}`);
      }
    } else {
      throw new InvalidOptionError(key, `Unknown option '${key}'; see docs/api-conventions.md for the option names`);
    }
  }
  const reconnect = out['reconnect'];
  if (reconnect !== undefined && reconnect !== false) {
    if (reconnect === null || typeof reconnect !== 'object') throw new InvalidOptionError('reconnect', 'Option reconnect must be false or an object');
    for (const sub of Object.keys(reconnect)) {
      if (!RECONNECT_KEYS.has(sub)) throw new InvalidOptionError(`reconnect.${sub}`, `Unknown option reconnect.${sub} (known: ${[...RECONNECT_KEYS].join(', ')})`);
    }
  }
  const url = out['url'];
  if (url === undefined) return out as ClientOptions;
  if (typeof url !== 'string') throw new InvalidOptionError('url', 'Option url must be a string');
  delete out['url'];
  return { ...parseUrl(url), ...(out as ClientOptions) };
}

export function resolveOptions(input: ClientOptions | string = {}): ResolvedOptions {
  const o = normalizeOptions(input);
  const positive = (name: string, v: number | undefined, dflt: number, allowZero = false): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (!allowZero && v === 0)) {
      throw new InvalidOptionError(name, `Option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(v)}`);
    }
    return v;
  };
  const finite = (name: string, v: number | undefined, dflt: number, allowZero = false): number => {
    const n = positive(name, v, dflt, allowZero);
    if (!Number.isFinite(n)) throw new InvalidOptionError(name, `Option ${name} must be finite`);
    return n;
  };
  if (o.reconnectStrategy !== undefined && typeof o.reconnectStrategy !== 'function') {
    throw new InvalidOptionError('reconnectStrategy', 'Option reconnectStrategy must be a function (attempt, lastError) => delay ms | Error');
  }
  if (o.reconnect === false && o.reconnectStrategy !== undefined) {
    throw new InvalidOptionError('reconnectStrategy', 'Option reconnectStrategy was given with reconnect: false');
  }
  const reconnect: ResolvedReconnect | false =
    o.reconnect === false
      ? false
      : {
          initialDelay: finite('reconnect.initialDelay', o.reconnect?.initialDelay, 50),
          maxDelay: finite('reconnect.maxDelay', o.reconnect?.maxDelay, 2000),
          maxAttempts: positive('reconnect.maxAttempts', o.reconnect?.maxAttempts, Infinity),
          jitter: Math.min(1, finite('reconnect.jitter', o.reconnect?.jitter, 0.2, true)),
          strategy: o.reconnectStrategy,
        };
  if (o.protocol !== undefined && o.protocol !== 2 && o.protocol !== 3) {
    throw new InvalidOptionError('protocol', `Option protocol must be 2 or 3, got ${String(o.protocol)}`);
  }
  if (o.path !== undefined && (typeof o.path !== 'string' || o.path === '')) throw new InvalidOptionError('path', 'Option path must be a socket path');
  const clientCache = resolveCacheOptions(o.clientCache);
  if (clientCache !== undefined && o.protocol === 2) {
    // Under RESP2 invalidations would need a second connection (REDIRECT mode), not built.
    throw new InvalidOptionError('clientCache', 'Option clientCache needs RESP3 (protocol: 3): under protocol 2 the server has no way to send invalidations on the same connection');
  }
  return {
    host: o.host ?? '127.0.0.1',
    port: finite('port', o.port, 6379),
    path: o.path,
    username: o.username,
    password: o.password,
    db: finite('db', o.db, 0, true),
    tls: o.tls === true ? {} : o.tls === false || o.tls === undefined ? undefined : o.tls,
    clientName: o.clientName,
    protocol: o.protocol ?? 3,
    connectTimeout: finite('connectTimeout', o.connectTimeout, 10_000),
    // Finite by default so every call settles: 10 s is far above any healthy command (sub-ms to
    // a few ms; a big KEYS or DEBUG SLEEP is the user's choice) and well inside the 30-60 s a
    // caller such as an HTTP request usually waits, so a hung server surfaces as TimeoutError
    // in the caller's own logs. ioredis and node-redis default to none; 0 restores that.
    commandTimeout: finite('commandTimeout', o.commandTimeout, 10_000, true),
    healthCheckInterval: finite('healthCheckInterval', o.healthCheckInterval, 5000, true),
    reconnect,
    lazyConnect: o.lazyConnect ?? true,
    offlineQueue: o.offlineQueue ?? true,
    maxOfflineQueue: finite('maxOfflineQueue', o.maxOfflineQueue, 10_000, true),
    maxInFlight: finite('maxInFlight', o.maxInFlight, 100_000),
    onBackpressure: o.onBackpressure ?? 'wait',
    returnBuffers: o.returnBuffers ?? false,
    mapAs: o.mapAs ?? 'auto',
    setAs: o.setAs ?? 'array',
    keepAlive: finite('keepAlive', o.keepAlive, 30_000, true),
    maxBatch: finite('maxBatch', o.maxBatch, 1000),
    maxArgumentBytes: finite('maxArgumentBytes', o.maxArgumentBytes, MAX_ARGUMENT_BYTES),
    poolSize: finite('poolSize', o.poolSize, 8),
    traceArguments: o.traceArguments ?? false,
    keyPrefix: keyPrefixOf(o.keyPrefix),
    clientCache,
  };
}

function keyPrefixOf(v: unknown): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new InvalidOptionError('keyPrefix', `Option keyPrefix must be a string, got ${typeof v}`);
  return v;
}

/**
 * The one reconnect decision: the delay before attempt `attempt` (1-based), or the Error that
 * ends reconnecting. The user's strategy when there is one, else capped exponential backoff
 * with jitter until maxAttempts (Infinity by default).
 */
export function reconnectDelay(r: ResolvedReconnect, attempt: number, lastError: Error | undefined): number | Error {
  if (r.strategy !== undefined) {
    let out: unknown;
    try {
      out = r.strategy(attempt, lastError);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    if (out instanceof Error) return out;
    if (typeof out === 'number' && Number.isFinite(out) && out >= 0) return out;
    return new Error(out === false ? 'reconnectStrategy returned false' : `reconnectStrategy returned ${String(out)}, not a delay in ms or an Error`);
  }
  if (attempt > r.maxAttempts) return new Error(`maxAttempts (${r.maxAttempts}) reached`);
  return backoffDelay(r, attempt - 1);
}

/** An exponential backoff: initialDelay × 2^attempt, at most maxDelay, spread ± jitter (0..1). */
export interface Backoff {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly jitter: number;
}

/**
 * The one backoff of slotline, for reconnects, the cluster's redirect waits and watch() retries:
 * the delay before attempt `attempt` (0-based), exponential, capped, with jitter.
 */
export function backoffDelay(r: Backoff, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(r.maxDelay, r.initialDelay * 2 ** Math.min(attempt, 30));
  const spread = base * r.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}
