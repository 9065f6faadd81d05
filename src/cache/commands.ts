/**
 * Which commands the client-side cache answers, which ones invalidate it, and how an entry is
 * named. Pure: a command's name and arguments in, a decision out. Imports commands/ (the table
 * of key positions and flags) and nothing above it.
 *
 * An entry is one (key, read) pair: the key's bytes plus the command, its arguments other than
 * the key, and whether the reply was decoded as Buffers. `GET k` as a string and `GET k` as a
 * Buffer are two entries; `HGET k f1` and `HGET k f2` are two entries of key k; an invalidation
 * of k drops all of them. MGET is cached per key, under its own name (MGET answers nil for a
 * key of another type where GET answers WRONGTYPE, so the two never share entries).
 */
import type { RedisArg } from '../resp/types.js';
import { commandKeyIndexes, isReadOnlySpec, lookupCommand } from '../commands/keys.js';

/**
 * The reads served from the cache: read-only, answered from the key's value alone (never from
 * the clock, a random choice or server state), key first. TTL/PTTL, SRANDMEMBER, HRANDFIELD,
 * OBJECT and SCAN-like commands are left out on purpose. EXISTS only with one key.
 */
export const CACHED_READS: readonly string[] = [
  'GET', 'MGET', 'STRLEN', 'GETRANGE',
  'HGET', 'HMGET', 'HGETALL', 'HEXISTS', 'HLEN', 'HKEYS', 'HVALS', 'HSTRLEN',
  'SMEMBERS', 'SISMEMBER', 'SMISMEMBER', 'SCARD',
  'LRANGE', 'LLEN', 'LINDEX',
  'ZSCORE', 'ZMSCORE', 'ZCARD', 'ZRANGE', 'ZRANK', 'ZREVRANK', 'ZCOUNT',
  'TYPE', 'EXISTS',
];
const READS: ReadonlySet<string> = new Set(CACHED_READS);

/** Keyless commands that empty the database: the whole cache goes. */
const FLUSHES: ReadonlySet<string> = new Set(['FLUSHALL', 'FLUSHDB', 'SWAPDB']);

/**
 * What the cache does with one command:
 *   read     looked up; on a miss sent, and its reply stored per entry (one per key for MGET)
 *   write    the keys are dropped (and reads of them in flight not stored) when it is sent
 *   flush    everything is dropped when it is sent
 *   refused  it would switch tracking off behind the cache's back
 *   none     not the cache's business
 */
export type CacheAccess =
  | { readonly kind: 'read'; readonly keys: readonly string[]; readonly entries: readonly string[]; readonly perKey: boolean }
  | { readonly kind: 'write'; readonly keys: readonly string[] }
  | { readonly kind: 'flush' }
  | { readonly kind: 'refused'; readonly why: string }
  | { readonly kind: 'none' };

const NONE: CacheAccess = Object.freeze({ kind: 'none' });
const FLUSH: CacheAccess = Object.freeze({ kind: 'flush' });

/**
 * A key as the cache names it: its bytes, one char per byte. Strings are sent as UTF-8, so a
 * string key and a Buffer key with the same bytes are the same key here, as on the server.
 */
export function keyId(key: RedisArg): string {
  if (typeof key === 'string') return Buffer.byteLength(key) === key.length ? key : Buffer.from(key, 'utf8').toString('latin1');
  if (typeof key === 'number') return String(key);
  return key.toString('latin1');
}

/** An argument in an entry name, length-prefixed so no two argument lists share a name. */
function argText(a: RedisArg): string {
  if (typeof a === 'string') return `s${a.length}:${a}`;
  if (typeof a === 'number') return `n${a}:`;
  return `b${a.length}:${a.toString('latin1')}`;
}

/** The name of one entry: the key's length first, so a key can never run into the read's part. */
function entryName(key: string, read: string): string {
  return `${key.length}:${key}${read}`;
}

export function classify(name: string, args: readonly RedisArg[], returnBuffers: boolean): CacheAccess {
  if (READS.has(name)) {
    if (args.length === 0 || (name === 'EXISTS' && args.length !== 1)) return NONE;
    const decoded = returnBuffers ? '|b' : '|s';
    if (name === 'MGET') {
      const keys = args.map(keyId);
      return { kind: 'read', keys, entries: keys.map((k) => entryName(k, `MGET${decoded}`)), perKey: true };
    }
    const key = keyId(args[0]!);
    let read = name + decoded;
    for (let i = 1; i < args.length; i++) read += argText(args[i]!);
    return { kind: 'read', keys: [key], entries: [entryName(key, read)], perKey: false };
  }
  if (FLUSHES.has(name)) return FLUSH;
  if (name === 'CLIENT' && args.length > 0) {
    const sub = String(args[0]).toUpperCase();
    if (sub === 'TRACKING' || sub === 'CACHING') {
      return { kind: 'refused', why: `CLIENT ${sub} is refused on a client with clientCache: the cache relies on the tracking it set up` };
    }
  }
  const spec = lookupCommand(name, args);
  // Unknown commands (modules) have no known keys: the server's invalidation covers them.
  if (spec === undefined || isReadOnlySpec(spec)) return NONE;
  const at = commandKeyIndexes(name, args);
  if (at.length === 0) return NONE;
  return { kind: 'write', keys: at.map((i) => keyId(args[i]!)) };
}

/**
 * The keys of an invalidation push (`invalidate` with a key list), 'all' for a flush (a null
 * list: FLUSHALL, a lost tracking table), undefined for any other push. A key decoded as a
 * string that had bytes invalid in UTF-8 cannot be told apart from others: everything goes.
 */
export function readInvalidation(push: readonly unknown[]): readonly string[] | 'all' | undefined {
  const kind = push[0];
  const name = Buffer.isBuffer(kind) ? kind.toString('latin1') : kind;
  if (name !== 'invalidate') return undefined;
  const keys = push[1];
  if (!Array.isArray(keys)) return 'all';
  const out: string[] = [];
  for (const k of keys) {
    if (Buffer.isBuffer(k)) out.push(k.toString('latin1'));
    else if (typeof k === 'string' && !k.includes('\uFFFD')) out.push(keyId(k));
    else return 'all';
  }
  return out;
}
