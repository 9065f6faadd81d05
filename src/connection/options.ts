/**
 * Client options: the public option types, `redis://` / `rediss://` URL parsing and defaults.
 * Pure: no sockets. Every other connection module reads the resolved form only.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { InvalidOptionError } from '../errors.js';
import { MAX_ARGUMENT_BYTES } from '../resp/encoder.js';
import type { EndpointSource } from './endpoint.js';

export interface ReconnectOptions {
  /** First delay after a lost connection, in ms. Default 50. */
  initialDelay?: number;
  /** Upper bound of the exponential backoff, in ms. Default 2000. */
  maxDelay?: number;
  /** Give up after this many failed attempts in a row (offline queue rejected). Default 20. */
  maxAttempts?: number;
  /** Random spread applied to each delay, 0..1 (0.2 = ±20%). Default 0.2. */
  jitter?: number;
}

export interface ClientOptions {
  host?: string;
  port?: number;
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
  /** ms a command may wait for its reply (0 = no limit). Default 0. */
  commandTimeout?: number;
  /** Reconnect with exponential backoff and jitter; `false` to disable. */
  reconnect?: false | ReconnectOptions;
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
  /** Include command arguments (values) in diagnostics_channel messages. Default false. */
  traceArguments?: boolean;
}

export interface ResolvedReconnect {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly maxAttempts: number;
  readonly jitter: number;
}

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  readonly tls: TlsOptions | undefined;
  readonly clientName: string | undefined;
  readonly protocol: 2 | 3;
  readonly connectTimeout: number;
  readonly commandTimeout: number;
  readonly reconnect: ResolvedReconnect | false;
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
  /** Set by createSentinel: where to dial is asked before every open instead of host/port. */
  readonly endpoint?: EndpointSource;
}

/** Parses `redis://[[user]:password@]host[:port][/db]` and `rediss://...` (TLS). */
export function parseUrl(url: string): ClientOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionError('url', `Invalid Redis URL: ${redactUrl(url)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:' && parsed.protocol !== 'valkey:' && parsed.protocol !== 'valkeys:') {
    throw new InvalidOptionError('url', `Invalid Redis URL scheme '${parsed.protocol}' (expected redis:// or rediss://)`);
  }
  const out: ClientOptions = {};
  if (parsed.hostname) out.host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (parsed.port) out.port = Number(parsed.port);
  if (parsed.username) out.username = decodeURIComponent(parsed.username);
  if (parsed.password) out.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.replace(/^\//, '');
  if (db) {
    const n = Number(db);
    if (!Number.isInteger(n) || n < 0) throw new InvalidOptionError('url', `Invalid database '${db}' in Redis URL`);
    out.db = n;
  }
  if (parsed.protocol === 'rediss:' || parsed.protocol === 'valkeys:') out.tls = true;
  const protocol = parsed.searchParams.get('protocol');
  if (protocol === '2' || protocol === '3') out.protocol = Number(protocol) as 2 | 3;
  const name = parsed.searchParams.get('clientName') ?? parsed.searchParams.get('name');
  if (name) out.clientName = name;
  return out;
}

/** The URL with any credentials replaced by ***, for error messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

export function resolveOptions(input: ClientOptions | string = {}): ResolvedOptions {
  const o = typeof input === 'string' ? parseUrl(input) : input;
  const positive = (name: string, v: number | undefined, dflt: number, allowZero = false): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      throw new InvalidOptionError(name, `Option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(v)}`);
    }
    return v;
  };
  const reconnect: ResolvedReconnect | false =
    o.reconnect === false
      ? false
      : {
          initialDelay: positive('reconnect.initialDelay', o.reconnect?.initialDelay, 50),
          maxDelay: positive('reconnect.maxDelay', o.reconnect?.maxDelay, 2000),
          maxAttempts: positive('reconnect.maxAttempts', o.reconnect?.maxAttempts, 20),
          jitter: Math.min(1, positive('reconnect.jitter', o.reconnect?.jitter, 0.2, true)),
        };
  if (o.protocol !== undefined && o.protocol !== 2 && o.protocol !== 3) {
    throw new InvalidOptionError('protocol', `Option protocol must be 2 or 3, got ${String(o.protocol)}`);
  }
  return {
    host: o.host ?? '127.0.0.1',
    port: positive('port', o.port, 6379),
    username: o.username,
    password: o.password,
    db: positive('db', o.db, 0, true),
    tls: o.tls === true ? {} : o.tls === false || o.tls === undefined ? undefined : o.tls,
    clientName: o.clientName,
    protocol: o.protocol ?? 3,
    connectTimeout: positive('connectTimeout', o.connectTimeout, 10_000),
    commandTimeout: positive('commandTimeout', o.commandTimeout, 0, true),
    reconnect,
    offlineQueue: o.offlineQueue ?? true,
    maxOfflineQueue: positive('maxOfflineQueue', o.maxOfflineQueue, 10_000, true),
    maxInFlight: positive('maxInFlight', o.maxInFlight, 100_000),
    onBackpressure: o.onBackpressure ?? 'wait',
    returnBuffers: o.returnBuffers ?? false,
    mapAs: o.mapAs ?? 'auto',
    setAs: o.setAs ?? 'array',
    keepAlive: positive('keepAlive', o.keepAlive, 30_000, true),
    maxBatch: positive('maxBatch', o.maxBatch, 1000),
    maxArgumentBytes: positive('maxArgumentBytes', o.maxArgumentBytes, MAX_ARGUMENT_BYTES),
    poolSize: positive('poolSize', o.poolSize, 8),
    traceArguments: o.traceArguments ?? false,
  };
}

/** Backoff before reconnect attempt `attempt` (0-based): exponential, capped, with jitter. */
export function backoffDelay(r: ResolvedReconnect, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(r.maxDelay, r.initialDelay * 2 ** Math.min(attempt, 30));
  const spread = base * r.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}
