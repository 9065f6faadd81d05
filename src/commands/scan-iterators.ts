/**
 * The SCAN-family iterators (`scanIterator`, `hscanIterator`, `sscanIterator`, `zscanIterator`):
 * their options as SCAN words, the cursor walk, and the shape of each yielded item. The walk is
 * given a function that sends one page, so the standalone client and the cluster share it (the
 * cluster's SCAN over every primary is cluster/scan.ts). Imports nothing above commands/.
 *
 * One item per step, not one page: `for await (const key of client.scanIterator())` reads like
 * ioredis's and node-redis v4's iterators and the cluster's scanIterator, and a caller that wants
 * pages has `scan(cursor)` itself. (node-redis v5 yields pages, to save an await per item.)
 */
import { ArgumentTypeError } from '../errors.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { Command, RedisKey } from './command.js';
import type { AsPromise } from './keyspace-methods.js';
import { CommandMethods } from './methods.js';
import { asNumber, asScanPage, type ScoredMember } from './transforms.js';

/** Options of `scanIterator` (and, without `type`, of the HSCAN/SSCAN/ZSCAN iterators). */
export interface ScanIteratorOptions {
  /** Glob-style pattern (MATCH). With keyPrefix, SCAN's pattern gets the prefix, HSCAN/SSCAN/ZSCAN's (fields, members) do not. */
  match?: string;
  /** Hint for items per round trip (COUNT). Default 100 (the server's own default is 10). */
  count?: number;
  /** SCAN only: keys of this type (TYPE), e.g. 'hash'. */
  type?: string;
}

/** HSCAN / SSCAN / ZSCAN take MATCH and COUNT. */
export type CollectionScanOptions = Omit<ScanIteratorOptions, 'type'>;

/** One field of a hash, as `hscanIterator` yields it. */
export interface HashEntry {
  field: string;
  value: string;
}

export type ScanName = 'SCAN' | 'HSCAN' | 'SSCAN' | 'ZSCAN';

/** Ten times the server's default: a tenth of the round trips, pages still small. */
const DEFAULT_COUNT = 100;

/**
 * The words after the cursor. Unknown keys and wrong types are refused (ArgumentTypeError), not
 * ignored. `anyKey` adds `MATCH *` when no pattern is given, so that a keyPrefix narrows a SCAN
 * to the client's own keys.
 */
export function scanWords(name: ScanName, options: unknown, anyKey = false): RedisArg[] {
  const out: RedisArg[] = [];
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new ArgumentTypeError(name, 1, options, 'shape', 'the iterator options are an object such as { match, count }');
  }
  const o = (options ?? {}) as Record<string, unknown>;
  const known = name === 'SCAN' ? ['match', 'count', 'type'] : ['match', 'count'];
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw new ArgumentTypeError(name, 1, key, 'shape', `unknown option '${key}'; ${name} iterators take ${known.join(', ')}`);
  }
  const { match, count, type } = o;
  if (match !== undefined && typeof match !== 'string') throw new ArgumentTypeError(name, 1, match, 'shape', "option 'match' is a pattern string");
  if (count !== undefined && !(typeof count === 'number' && Number.isInteger(count) && count > 0)) {
    throw new ArgumentTypeError(name, 1, count, 'shape', "option 'count' is a positive integer");
  }
  if (type !== undefined && typeof type !== 'string') throw new ArgumentTypeError(name, 1, type, 'shape', "option 'type' is a type name such as 'hash'");
  if (match !== undefined) out.push('MATCH', match);
  else if (anyKey) out.push('MATCH', '*');
  out.push('COUNT', count ?? DEFAULT_COUNT);
  if (type !== undefined) out.push('TYPE', type);
  return out;
}

/** One SCAN-family command for one page: `key` for HSCAN/SSCAN/ZSCAN, none for SCAN. */
export function scanPage(name: ScanName, key: RedisKey | undefined, cursor: string, words: readonly RedisArg[]): Command<{ cursor: string; items: RespValue[] }> {
  return { name, args: key === undefined ? [cursor, ...words] : [key, cursor, ...words], transform: asScanPage };
}

/** Walks the cursor from 0 until the server says 0 again, yielding the items of each page as `shape` makes them. */
export async function* walkCursor<T>(
  page: (cursor: string) => Promise<{ cursor: string; items: RespValue[] }>,
  shape: (items: RespValue[]) => Iterable<T>,
): AsyncGenerator<T, void, undefined> {
  let cursor = '0';
  do {
    const next = await page(cursor);
    cursor = next.cursor;
    yield* shape(next.items);
  } while (cursor !== '0');
}

/** Keys and set members, as they come. */
export function* asItems(items: RespValue[]): Iterable<string> {
  for (const item of items) yield item as string;
}

/** HSCAN's flat [field, value, ...]. */
export function* asHashEntries(items: RespValue[]): Iterable<HashEntry> {
  for (let i = 0; i + 1 < items.length; i += 2) yield { field: items[i] as string, value: items[i + 1] as string };
}

/** ZSCAN's flat [member, score, ...] (the score as text under both protocols). */
export function* asScoredMembers(items: RespValue[]): Iterable<ScoredMember> {
  for (let i = 0; i + 1 < items.length; i += 2) yield { member: items[i] as string, score: asNumber(items[i + 1]!) };
}

/** The iterator for one key's collection, over an executor's `run` (which applies keyPrefix and routing). */
export function collectionIterator<T>(
  run: <R>(cmd: Command<R>) => Promise<R>,
  name: Exclude<ScanName, 'SCAN'>,
  key: RedisKey,
  options: CollectionScanOptions | undefined,
  shape: (items: RespValue[]) => Iterable<T>,
): AsyncGenerator<T, void, undefined> {
  return (async function* () {
    const words = scanWords(name, options);
    yield* walkCursor((cursor) => run(scanPage(name, key, cursor, words)), shape);
  })();
}

/**
 * The iterators of the standalone client and the cluster, over their `_run` (which applies
 * keyPrefix and, in a cluster, routes by the key). `scanIterator` is each client's own: one
 * server's keyspace, or every primary's.
 */
export abstract class ScanningMethods extends CommandMethods<AsPromise> {
  abstract scanIterator(options?: ScanIteratorOptions): AsyncGenerator<string, void, undefined>;

  /** Every field and value of a hash (HSCAN): `for await (const { field, value } of client.hscanIterator(k))`. */
  hscanIterator(key: RedisKey, options?: CollectionScanOptions): AsyncGenerator<HashEntry, void, undefined> {
    return collectionIterator((cmd) => this._run(cmd), 'HSCAN', key, options, asHashEntries);
  }

  /** Every member of a set (SSCAN). */
  sscanIterator(key: RedisKey, options?: CollectionScanOptions): AsyncGenerator<string, void, undefined> {
    return collectionIterator((cmd) => this._run(cmd), 'SSCAN', key, options, asItems);
  }

  /** Every member and score of a sorted set (ZSCAN). */
  zscanIterator(key: RedisKey, options?: CollectionScanOptions): AsyncGenerator<ScoredMember, void, undefined> {
    return collectionIterator((cmd) => this._run(cmd), 'ZSCAN', key, options, asScoredMembers);
  }
}
