/**
 * The `clientCache` option: what a user may write and what it resolves to. Pure; imports only
 * errors. The protocol check (RESP3 only) lives where the protocol is resolved, in
 * connection/options.ts.
 */
import { InvalidOptionError } from '../errors.js';

/** `createClient({ clientCache: { maxEntries, ttlMs } })`: see docs/caching.md. */
export interface ClientCacheOptions {
  /** Most entries held per connection (per node in a cluster); the least recently used go first. Default 10000. */
  maxEntries?: number;
  /** Oldest an entry may be, in ms from when its read was sent; 0 = no age limit. Default 0. */
  ttlMs?: number;
}

export interface ResolvedCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
}

const KEYS: ReadonlySet<string> = new Set<keyof ClientCacheOptions>(['maxEntries', 'ttlMs']);

export function resolveCacheOptions(v: unknown): ResolvedCacheOptions | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) v = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new InvalidOptionError('clientCache', `Option clientCache must be an object such as { maxEntries: 10000, ttlMs: 60000 }, got ${String(v)}`);
  }
  for (const key of Object.keys(v)) {
    if (!KEYS.has(key)) throw new InvalidOptionError(`clientCache.${key}`, `Unknown option clientCache.${key} (known: maxEntries, ttlMs)`);
  }
  const o = v as ClientCacheOptions;
  const maxEntries = o.maxEntries ?? 10_000;
  if (typeof maxEntries !== 'number' || !Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new InvalidOptionError('clientCache.maxEntries', `Option clientCache.maxEntries must be a positive integer, got ${String(maxEntries)}`);
  }
  const ttlMs = o.ttlMs ?? 0;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new InvalidOptionError('clientCache.ttlMs', `Option clientCache.ttlMs must be a non-negative number of ms, got ${String(ttlMs)}`);
  }
  return { maxEntries, ttlMs };
}
