/**
 * Typed methods for hashes, lists, sets and sorted sets: the last link of the method chain
 * (streams are in stream-methods.ts, below it). Same contract as keyspace-methods.ts: written
 * once, every executor implements `_run`. Must not import connection, client or cluster modules.
 */
import type { RedisArg, RespValue } from '../resp/types.js';
import type { ReplyTransform } from './command.js';
import { StreamMethods } from './stream-methods.js';
import { flattenKeys, flattenPairs, type Apply, type RedisKey, type ResultKind, type Word } from './keyspace-methods.js';
import { grammar, hasToken, limitRule, type KeyRule } from './options.js';
import {
  asArray,
  asKeyedElement,
  asKeyedScore,
  asNumber,
  asNumberOrNull,
  asScanPage,
  asFlatScores,
  asScoredMembers,
  asStringRecord,
  type ScoredMember,
} from './transforms.js';

const int = (r: RespValue): number => r as number;
const strOrNull = (r: RespValue): string | null => r as string | null;
const strs = (r: RespValue): string[] => asArray(r) as string[];
const strsOrNull = (r: RespValue): Array<string | null> => r as Array<string | null>;
const ok = (r: RespValue): 'OK' => r as 'OK';

/** ZADD's flags as an object, for zaddWith: `{ NX: true, CH: true }`. */
export interface ZAddOptions {
  NX?: boolean;
  XX?: boolean;
  GT?: boolean;
  LT?: boolean;
  CH?: boolean;
}

/** ZRANGE's options as an object: `{ BY: 'SCORE', REV: true, LIMIT: { offset: 0, count: 10 } }`. */
export interface ZRangeOptions {
  BY?: 'SCORE' | 'LEX';
  REV?: boolean;
  LIMIT?: { offset: number; count: number };
}

/** Which end of a list LMOVE / BLMOVE takes from or pushes to. */
export type ListSide = 'LEFT' | 'RIGHT';

/** ZRANGE's options in the server's syntax: `zrange(k, 0, -1, 'WITHSCORES')`, `'BYSCORE', 'LIMIT', 0, 10`. */
export type ZRangeToken = Word<'BYSCORE' | 'BYLEX' | 'REV' | 'LIMIT' | 'WITHSCORES'> | number;
/** ZADD's flags in the server's syntax, before the score/member pairs: `zadd(k, 'NX', 1, 'a')`. */
export type ZAddFlag = Word<'NX' | 'XX' | 'GT' | 'LT' | 'CH'>;

const byRule: KeyRule = (v) => (v === 'SCORE' || v === 'LEX' ? [`BY${v}`] : undefined);
const ZRANGE = grammar('ZRANGE', 'BYSCORE BYLEX REV LIMIT=2 WITHSCORES', { BY: byRule, LIMIT: limitRule });
const ZRANGE_SCORED = grammar('ZRANGE', 'BYSCORE BYLEX REV LIMIT=2', { BY: byRule, LIMIT: limitRule });
const ZADD = grammar('ZADD', 'NX XX GT LT CH');
const HSCAN = grammar('HSCAN', 'MATCH=1 COUNT=1');

export abstract class CommandMethods<F extends ResultKind> extends StreamMethods<F> {
  // ── hashes ───────────────────────────────────────────────────────────────────────────
  /** `hset(key, { f: 'v' })` or `hset(key, 'f1', 'v1', 'f2', 'v2')`. */
  hset(key: RedisKey, ...pairs: Array<RedisArg | Record<string, RedisArg> | Map<RedisKey, RedisArg>>): Apply<F, number> {
    return this._cmd('HSET', [key, ...flattenPairs(pairs)], int);
  }
  /** HSETNX: 1 if the field was set, 0 if it already existed. */
  hsetnx(key: RedisKey, field: RedisArg, value: RedisArg): Apply<F, number> {
    return this._cmd('HSETNX', [key, field, value], int);
  }
  /** HGET: the field's value, or null. */
  hget(key: RedisKey, field: RedisArg): Apply<F, string | null> {
    return this._cmd('HGET', [key, field], strOrNull);
  }
  /** HMGET: the fields' values in order, null for a missing one. */
  hmget(key: RedisKey, ...fields: Array<RedisKey | readonly RedisKey[]>): Apply<F, Array<string | null>> {
    return this._cmd('HMGET', [key, ...flattenKeys(fields)], strsOrNull);
  }
  /** Every field and value as a plain object (the same under RESP2 and RESP3). */
  hgetall(key: RedisKey): Apply<F, Record<string, string>> {
    return this._cmd('HGETALL', [key], asStringRecord);
  }
  /** HDEL: how many fields were removed. */
  hdel(key: RedisKey, ...fields: Array<RedisKey | readonly RedisKey[]>): Apply<F, number> {
    return this._cmd('HDEL', [key, ...flattenKeys(fields)], int);
  }
  /** HEXISTS: 1 if the field exists, 0 if not. */
  hexists(key: RedisKey, field: RedisArg): Apply<F, number> {
    return this._cmd('HEXISTS', [key, field], int);
  }
  /** HINCRBY: the field's value after adding `increment`. */
  hincrby(key: RedisKey, field: RedisArg, increment: number): Apply<F, number> {
    return this._cmd('HINCRBY', [key, field, increment], int);
  }
  /** HINCRBYFLOAT: the field's value after adding `increment`, as a number. */
  hincrbyfloat(key: RedisKey, field: RedisArg, increment: number): Apply<F, number> {
    return this._cmd('HINCRBYFLOAT', [key, field, increment], asNumber);
  }
  /** HKEYS: the hash's field names. */
  hkeys(key: RedisKey): Apply<F, string[]> {
    return this._cmd('HKEYS', [key], strs);
  }
  /** HVALS: the hash's values. */
  hvals(key: RedisKey): Apply<F, string[]> {
    return this._cmd('HVALS', [key], strs);
  }
  /** HLEN: the number of fields. */
  hlen(key: RedisKey): Apply<F, number> {
    return this._cmd('HLEN', [key], int);
  }
  /** HSCAN: one page, `{ cursor, items }` with items as flat [field, value, …]; cursor '0' when done. */
  hscan(key: RedisKey, cursor: string | number, options?: { MATCH?: string; COUNT?: number }): Apply<F, { cursor: string; items: string[] }>;
  hscan(key: RedisKey, cursor: string | number, ...tokens: Array<string | number>): Apply<F, { cursor: string; items: string[] }>;
  hscan(key: RedisKey, cursor: string | number, ...rest: unknown[]): Apply<F, { cursor: string; items: string[] }> {
    return this._withOptions('HSCAN', [key, cursor], HSCAN, rest, asScanPage as ReplyTransform<{ cursor: string; items: string[] }>);
  }

  // ── lists ────────────────────────────────────────────────────────────────────────────
  /** LPUSH: the list's length after pushing. */
  lpush(key: RedisKey, ...elements: Array<RedisArg | readonly RedisArg[]>): Apply<F, number> {
    return this._cmd('LPUSH', [key, ...(elements.flat() as RedisArg[])], int);
  }
  /** RPUSH: the list's length after pushing. */
  rpush(key: RedisKey, ...elements: Array<RedisArg | readonly RedisArg[]>): Apply<F, number> {
    return this._cmd('RPUSH', [key, ...(elements.flat() as RedisArg[])], int);
  }
  /** With a count (as in ioredis), an array of up to `count` elements. */
  lpop(key: RedisKey): Apply<F, string | null>;
  lpop(key: RedisKey, count: number): Apply<F, string[] | null>;
  lpop(key: RedisKey, count?: number): Apply<F, string | string[] | null> {
    return count === undefined ? this._cmd('LPOP', [key], strOrNull) : this.lpopCount(key, count);
  }
  /** RPOP: the last element (null when empty); with a count (as in ioredis), an array of up to `count`. */
  rpop(key: RedisKey): Apply<F, string | null>;
  rpop(key: RedisKey, count: number): Apply<F, string[] | null>;
  rpop(key: RedisKey, count?: number): Apply<F, string | string[] | null> {
    return count === undefined ? this._cmd('RPOP', [key], strOrNull) : this.rpopCount(key, count);
  }
  /** LPOP with a count: up to `count` elements, or null for a missing key. */
  lpopCount(key: RedisKey, count: number): Apply<F, string[] | null> {
    return this._cmd('LPOP', [key, count], (r) => r as string[] | null);
  }
  /** RPOP with a count: up to `count` elements, or null for a missing key. */
  rpopCount(key: RedisKey, count: number): Apply<F, string[] | null> {
    return this._cmd('RPOP', [key, count], (r) => r as string[] | null);
  }
  /** LLEN: the list's length. */
  llen(key: RedisKey): Apply<F, number> {
    return this._cmd('LLEN', [key], int);
  }
  /** LRANGE: the elements between two indexes (inclusive; negative counts from the end). */
  lrange(key: RedisKey, start: number, stop: number): Apply<F, string[]> {
    return this._cmd('LRANGE', [key, start, stop], strs);
  }
  /** LINDEX: the element at `index`, or null. */
  lindex(key: RedisKey, index: number): Apply<F, string | null> {
    return this._cmd('LINDEX', [key, index], strOrNull);
  }
  /** LSET: replace the element at `index`. */
  lset(key: RedisKey, index: number, element: RedisArg): Apply<F, 'OK'> {
    return this._cmd('LSET', [key, index, element], ok);
  }
  /** LREM: remove up to `count` occurrences of `element` (0 = all, negative = from the tail); how many were removed. */
  lrem(key: RedisKey, count: number, element: RedisArg): Apply<F, number> {
    return this._cmd('LREM', [key, count, element], int);
  }
  /** LTRIM: keep only the elements between two indexes. */
  ltrim(key: RedisKey, start: number, stop: number): Apply<F, 'OK'> {
    return this._cmd('LTRIM', [key, start, stop], ok);
  }
  /** LINSERT: insert before or after `pivot`; the list's new length, -1 when the pivot is missing. */
  linsert(key: RedisKey, where: 'BEFORE' | 'AFTER', pivot: RedisArg, element: RedisArg): Apply<F, number> {
    return this._cmd('LINSERT', [key, where, pivot, element], int);
  }
  /** LMOVE: pop from one end of `source`, push to one end of `destination`; the element, or null. */
  lmove(source: RedisKey, destination: RedisKey, from: ListSide, to: ListSide): Apply<F, string | null> {
    return this._cmd('LMOVE', [source, destination, from, to], strOrNull);
  }
  /**
   * Blocks up to `timeoutSeconds` (0 = forever) on a pooled connection, never the shared one.
   * `blpop([k1, k2], 5)` or, as in ioredis, `blpop(k1, k2, 5)`.
   */
  blpop(...keysThenTimeout: [...Array<RedisKey | readonly RedisKey[]>, number]): Apply<F, { key: string; element: string } | null> {
    return this._cmd('BLPOP', keysThenLast(keysThenTimeout), asKeyedElement);
  }
  /** BRPOP: BLPOP from the tail; on a pooled connection, never the shared one. */
  brpop(...keysThenTimeout: [...Array<RedisKey | readonly RedisKey[]>, number]): Apply<F, { key: string; element: string } | null> {
    return this._cmd('BRPOP', keysThenLast(keysThenTimeout), asKeyedElement);
  }
  /** BLMOVE: LMOVE that blocks up to `timeoutSeconds` (0 = forever) on a pooled connection. */
  blmove(source: RedisKey, destination: RedisKey, from: ListSide, to: ListSide, timeoutSeconds: number): Apply<F, string | null> {
    return this._cmd('BLMOVE', [source, destination, from, to, timeoutSeconds], strOrNull);
  }

  // ── sets ─────────────────────────────────────────────────────────────────────────────
  /** SADD: how many members were added (not counting those already there). */
  sadd(key: RedisKey, ...members: Array<RedisArg | readonly RedisArg[]>): Apply<F, number> {
    return this._cmd('SADD', [key, ...(members.flat() as RedisArg[])], int);
  }
  /** SREM: how many members were removed. */
  srem(key: RedisKey, ...members: Array<RedisArg | readonly RedisArg[]>): Apply<F, number> {
    return this._cmd('SREM', [key, ...(members.flat() as RedisArg[])], int);
  }
  /** SMEMBERS: every member, in the server's order. */
  smembers(key: RedisKey): Apply<F, string[]> {
    return this._cmd('SMEMBERS', [key], strs);
  }
  /** SISMEMBER: 1 if a member, 0 if not. */
  sismember(key: RedisKey, member: RedisArg): Apply<F, number> {
    return this._cmd('SISMEMBER', [key, member], int);
  }
  /** SMISMEMBER: 1 or 0 for each member, in order. */
  smismember(key: RedisKey, ...members: Array<RedisArg | readonly RedisArg[]>): Apply<F, number[]> {
    return this._cmd('SMISMEMBER', [key, ...(members.flat() as RedisArg[])], (r) => r as number[]);
  }
  /** SCARD: the number of members. */
  scard(key: RedisKey): Apply<F, number> {
    return this._cmd('SCARD', [key], int);
  }
  /** With a count (as in ioredis), an array of up to `count` members. */
  spop(key: RedisKey): Apply<F, string | null>;
  spop(key: RedisKey, count: number): Apply<F, string[]>;
  spop(key: RedisKey, count?: number): Apply<F, string | string[] | null> {
    return count === undefined ? this._cmd('SPOP', [key], strOrNull) : this._cmd('SPOP', [key, count], strs);
  }
  /** With a count (as in ioredis), an array; a negative count may repeat members. */
  srandmember(key: RedisKey): Apply<F, string | null>;
  srandmember(key: RedisKey, count: number): Apply<F, string[]>;
  srandmember(key: RedisKey, count?: number): Apply<F, string | string[] | null> {
    return count === undefined ? this._cmd('SRANDMEMBER', [key], strOrNull) : this._cmd('SRANDMEMBER', [key, count], strs);
  }
  /** SINTER: the intersection (keys must share a slot in a cluster). */
  sinter(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, string[]> {
    return this._cmd('SINTER', flattenKeys(keys), strs);
  }
  /** SUNION: the union (keys must share a slot in a cluster). */
  sunion(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, string[]> {
    return this._cmd('SUNION', flattenKeys(keys), strs);
  }
  /** SDIFF: the members of the first set in none of the others (keys must share a slot in a cluster). */
  sdiff(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, string[]> {
    return this._cmd('SDIFF', flattenKeys(keys), strs);
  }

  // ── sorted sets ──────────────────────────────────────────────────────────────────────
  /**
   * `zadd(key, [{ score: 1, member: 'a' }])`, `zadd(key, 1, 'a', 2, 'b')`, or with flags first as
   * in ioredis, `zadd(key, 'NX', 'CH', 1, 'a')`: the arguments go to the server as given.
   */
  zadd(key: RedisKey, ...items: Array<ZAddFlag | number | RedisArg | ReadonlyArray<ScoredMember>>): Apply<F, number> {
    return this._cmd('ZADD', [key, ...zaddPairs(items)], int);
  }
  /** ZADD with flags as an object: `zaddWith(k, { GT: true, CH: true }, [{ score: 2, member: 'a' }])`; how many members were added (or changed, with CH). */
  zaddWith(key: RedisKey, options: ZAddOptions, members: ReadonlyArray<ScoredMember>): Apply<F, number | null> {
    return this._withOptions('ZADD', [key], ZADD, [options], (r) => r as number | null, zaddPairs([members]));
  }
  /** ZREM: how many members were removed. */
  zrem(key: RedisKey, ...members: Array<RedisArg | readonly RedisArg[]>): Apply<F, number> {
    return this._cmd('ZREM', [key, ...(members.flat() as RedisArg[])], int);
  }
  /** ZSCORE: the member's score as a number, or null. */
  zscore(key: RedisKey, member: RedisArg): Apply<F, number | null> {
    return this._cmd('ZSCORE', [key, member], asNumberOrNull);
  }
  /** ZMSCORE: each member's score as a number, null for a missing one. */
  zmscore(key: RedisKey, ...members: Array<RedisArg | readonly RedisArg[]>): Apply<F, Array<number | null>> {
    return this._cmd('ZMSCORE', [key, ...(members.flat() as RedisArg[])], (r) => asArray(r).map(asNumberOrNull));
  }
  /** ZINCRBY: the member's new score as a number. */
  zincrby(key: RedisKey, increment: number, member: RedisArg): Apply<F, number> {
    return this._cmd('ZINCRBY', [key, increment, member], asNumber);
  }
  /** ZCARD: the number of members. */
  zcard(key: RedisKey): Apply<F, number> {
    return this._cmd('ZCARD', [key], int);
  }
  /** ZCOUNT: members with a score in [min, max] ('(' before a bound excludes it; '-inf' / '+inf'). */
  zcount(key: RedisKey, min: number | string, max: number | string): Apply<F, number> {
    return this._cmd('ZCOUNT', [key, min, max], int);
  }
  /** ZRANK: the member's rank by ascending score (0 first), or null. */
  zrank(key: RedisKey, member: RedisArg): Apply<F, number | null> {
    return this._cmd('ZRANK', [key, member], (r) => r as number | null);
  }
  /** ZREVRANK: the member's rank by descending score (0 first), or null. */
  zrevrank(key: RedisKey, member: RedisArg): Apply<F, number | null> {
    return this._cmd('ZREVRANK', [key, member], (r) => r as number | null);
  }
  /**
   * `zrange(k, 0, -1, { REV: true })` or, as in ioredis, `zrange(k, 0, -1, 'REV', 'WITHSCORES')`;
   * with WITHSCORES the reply is ioredis's flat [member, score, ...] (zrangeWithScores gives objects).
   */
  zrange(key: RedisKey, start: number | string, stop: number | string, options?: ZRangeOptions): Apply<F, string[]>;
  zrange(key: RedisKey, start: number | string, stop: number | string, ...tokens: ZRangeToken[]): Apply<F, string[]>;
  zrange(key: RedisKey, start: number | string, stop: number | string, ...rest: unknown[]): Apply<F, string[]> {
    const scored = rest.length > 0 && hasToken(rest, 'WITHSCORES');
    return this._withOptions('ZRANGE', [key, start, stop], ZRANGE, rest, scored ? asFlatScores : strs);
  }
  /** ZRANGE … WITHSCORES as `{ member, score }` objects (score a number). */
  zrangeWithScores(key: RedisKey, start: number | string, stop: number | string, options?: ZRangeOptions): Apply<F, ScoredMember[]>;
  zrangeWithScores(key: RedisKey, start: number | string, stop: number | string, ...tokens: ZRangeToken[]): Apply<F, ScoredMember[]>;
  zrangeWithScores(key: RedisKey, start: number | string, stop: number | string, ...rest: unknown[]): Apply<F, ScoredMember[]> {
    return this._withOptions('ZRANGE', [key, start, stop], ZRANGE_SCORED, rest, asScoredMembers, ['WITHSCORES']);
  }
  /** ZPOPMIN: up to `count` lowest-scored members as `{ member, score }`. */
  zpopmin(key: RedisKey, count = 1): Apply<F, ScoredMember[]> {
    return this._cmd('ZPOPMIN', [key, count], asScoredMembers);
  }
  /** ZPOPMAX: up to `count` highest-scored members as `{ member, score }`. */
  zpopmax(key: RedisKey, count = 1): Apply<F, ScoredMember[]> {
    return this._cmd('ZPOPMAX', [key, count], asScoredMembers);
  }
  /** BZPOPMIN: keys, then a timeout in seconds (0 = forever); on a pooled connection; null on timeout. */
  bzpopmin(...keysThenTimeout: [...Array<RedisKey | readonly RedisKey[]>, number]): Apply<F, { key: string; member: string; score: number } | null> {
    return this._cmd('BZPOPMIN', keysThenLast(keysThenTimeout), asKeyedScore);
  }
  /** BZPOPMAX: keys, then a timeout in seconds (0 = forever); on a pooled connection; null on timeout. */
  bzpopmax(...keysThenTimeout: [...Array<RedisKey | readonly RedisKey[]>, number]): Apply<F, { key: string; member: string; score: number } | null> {
    return this._cmd('BZPOPMAX', keysThenLast(keysThenTimeout), asKeyedScore);
  }
}

function zaddPairs(items: ReadonlyArray<number | RedisArg | ReadonlyArray<ScoredMember>>): RedisArg[] {
  if (items.length === 1 && Array.isArray(items[0])) {
    const out: RedisArg[] = [];
    for (const m of items[0] as ReadonlyArray<ScoredMember>) out.push(m.score, m.member);
    return out;
  }
  return items as RedisArg[];
}

/** BLPOP-family arguments: keys (arrays or not), then the timeout, which stays last. */
function keysThenLast(a: ReadonlyArray<RedisKey | readonly RedisKey[] | number>): RedisArg[] {
  return [...flattenKeys(a.slice(0, -1) as Array<RedisKey | readonly RedisKey[]>), a[a.length - 1] as number];
}
