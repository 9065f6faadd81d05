/**
 * Typed methods for hashes, lists, sets, sorted sets and streams, on top of the keyspace
 * methods. Same contract as keyspace-methods.ts: written once, every executor implements `_run`.
 * Must not import connection, client or cluster modules.
 */
import type { RedisArg, RespValue } from '../resp/types.js';
import type { ReplyTransform } from './command.js';
import { KeyspaceMethods, flattenKeys, flattenPairs, type Apply, type RedisKey, type ResultKind } from './keyspace-methods.js';
import {
  asArray,
  asKeyedElement,
  asKeyedScore,
  asNumber,
  asNumberOrNull,
  asScanPage,
  asScoredMembers,
  asStreamEntries,
  asStreamMessages,
  asStringRecord,
  type ScoredMember,
  type StreamEntry,
  type StreamMessages,
} from './transforms.js';

const int = (r: RespValue): number => r as number;
const strOrNull = (r: RespValue): string | null => r as string | null;
const strs = (r: RespValue): string[] => asArray(r) as string[];
const strsOrNull = (r: RespValue): Array<string | null> => r as Array<string | null>;
const ok = (r: RespValue): 'OK' => r as 'OK';

export interface ZAddOptions {
  NX?: boolean;
  XX?: boolean;
  GT?: boolean;
  LT?: boolean;
  CH?: boolean;
}

export interface ZRangeOptions {
  BY?: 'SCORE' | 'LEX';
  REV?: boolean;
  LIMIT?: { offset: number; count: number };
}

export interface XAddOptions {
  /** Trim the stream: `{ MAXLEN: 1000, approximate: true }` or `{ MINID: '0-1' }`. */
  trim?: { MAXLEN?: number; MINID?: string; approximate?: boolean };
  NOMKSTREAM?: boolean;
}

export interface XReadOptions {
  COUNT?: number;
  /** Block for this many ms (0 = forever). Blocking reads run on a pooled connection. */
  BLOCK?: number;
}

export type ListSide = 'LEFT' | 'RIGHT';

export abstract class CommandMethods<F extends ResultKind> extends KeyspaceMethods<F> {
  // ── hashes ───────────────────────────────────────────────────────────────────────────
  /** `hset(key, { f: 'v' })` or `hset(key, 'f1', 'v1', 'f2', 'v2')`. */
  hset(key: RedisKey, ...pairs: Array<RedisArg | Record<string, RedisArg> | Map<RedisKey, RedisArg>>): Apply<F, number> {
    return this._cmd('HSET', [key, ...flattenPairs(pairs)], int);
  }
  hsetnx(key: RedisKey, field: RedisArg, value: RedisArg): Apply<F, number> {
    return this._cmd('HSETNX', [key, field, value], int);
  }
  hget(key: RedisKey, field: RedisArg): Apply<F, string | null> {
    return this._cmd('HGET', [key, field], strOrNull);
  }
  hmget(key: RedisKey, ...fields: Array<RedisKey | readonly RedisKey[]>): Apply<F, Array<string | null>> {
    return this._cmd('HMGET', [key, ...flattenKeys(fields)], strsOrNull);
  }
  /** Every field and value as a plain object (the same under RESP2 and RESP3). */
  hgetall(key: RedisKey): Apply<F, Record<string, string>> {
    return this._cmd('HGETALL', [key], asStringRecord);
  }
  hdel(key: RedisKey, ...fields: Array<RedisKey | readonly RedisKey[]>): Apply<F, number> {
    return this._cmd('HDEL', [key, ...flattenKeys(fields)], int);
  }
  hexists(key: RedisKey, field: RedisArg): Apply<F, number> {
    return this._cmd('HEXISTS', [key, field], int);
  }
  hincrby(key: RedisKey, field: RedisArg, increment: number): Apply<F, number> {
    return this._cmd('HINCRBY', [key, field, increment], int);
  }
  hincrbyfloat(key: RedisKey, field: RedisArg, increment: number): Apply<F, number> {
    return this._cmd('HINCRBYFLOAT', [key, field, increment], asNumber);
  }
  hkeys(key: RedisKey): Apply<F, string[]> {
    return this._cmd('HKEYS', [key], strs);
  }
  hvals(key: RedisKey): Apply<F, string[]> {
    return this._cmd('HVALS', [key], strs);
  }
  hlen(key: RedisKey): Apply<F, number> {
    return this._cmd('HLEN', [key], int);
  }
  hscan(key: RedisKey, cursor: string | number, options?: { MATCH?: string; COUNT?: number }): Apply<F, { cursor: string; items: string[] }> {
    const args: RedisArg[] = [key, cursor];
    if (options?.MATCH !== undefined) args.push('MATCH', options.MATCH);
    if (options?.COUNT !== undefined) args.push('COUNT', options.COUNT);
    return this._cmd('HSCAN', args, asScanPage as ReplyTransform<{ cursor: string; items: string[] }>);
  }

  // ── lists ────────────────────────────────────────────────────────────────────────────
  lpush(key: RedisKey, ...elements: Array<RedisArg | readonly RedisArg[]>): Apply<F, number> {
    return this._cmd('LPUSH', [key, ...(elements.flat() as RedisArg[])], int);
  }
  rpush(key: RedisKey, ...elements: Array<RedisArg | readonly RedisArg[]>): Apply<F, number> {
    return this._cmd('RPUSH', [key, ...(elements.flat() as RedisArg[])], int);
  }
  lpop(key: RedisKey): Apply<F, string | null> {
    return this._cmd('LPOP', [key], strOrNull);
  }
  rpop(key: RedisKey): Apply<F, string | null> {
    return this._cmd('RPOP', [key], strOrNull);
  }
  lpopCount(key: RedisKey, count: number): Apply<F, string[] | null> {
    return this._cmd('LPOP', [key, count], (r) => r as string[] | null);
  }
  rpopCount(key: RedisKey, count: number): Apply<F, string[] | null> {
    return this._cmd('RPOP', [key, count], (r) => r as string[] | null);
  }
  llen(key: RedisKey): Apply<F, number> {
    return this._cmd('LLEN', [key], int);
  }
  lrange(key: RedisKey, start: number, stop: number): Apply<F, string[]> {
    return this._cmd('LRANGE', [key, start, stop], strs);
  }
  lindex(key: RedisKey, index: number): Apply<F, string | null> {
    return this._cmd('LINDEX', [key, index], strOrNull);
  }
  lset(key: RedisKey, index: number, element: RedisArg): Apply<F, 'OK'> {
    return this._cmd('LSET', [key, index, element], ok);
  }
  lrem(key: RedisKey, count: number, element: RedisArg): Apply<F, number> {
    return this._cmd('LREM', [key, count, element], int);
  }
  ltrim(key: RedisKey, start: number, stop: number): Apply<F, 'OK'> {
    return this._cmd('LTRIM', [key, start, stop], ok);
  }
  linsert(key: RedisKey, where: 'BEFORE' | 'AFTER', pivot: RedisArg, element: RedisArg): Apply<F, number> {
    return this._cmd('LINSERT', [key, where, pivot, element], int);
  }
  lmove(source: RedisKey, destination: RedisKey, from: ListSide, to: ListSide): Apply<F, string | null> {
    return this._cmd('LMOVE', [source, destination, from, to], strOrNull);
  }
  /** Blocks up to `timeoutSeconds` (0 = forever) on a pooled connection, never the shared one. */
  blpop(keys: RedisKey | readonly RedisKey[], timeoutSeconds: number): Apply<F, { key: string; element: string } | null> {
    return this._cmd('BLPOP', [...flattenKeys([keys]), timeoutSeconds], asKeyedElement);
  }
  brpop(keys: RedisKey | readonly RedisKey[], timeoutSeconds: number): Apply<F, { key: string; element: string } | null> {
    return this._cmd('BRPOP', [...flattenKeys([keys]), timeoutSeconds], asKeyedElement);
  }
  blmove(source: RedisKey, destination: RedisKey, from: ListSide, to: ListSide, timeoutSeconds: number): Apply<F, string | null> {
    return this._cmd('BLMOVE', [source, destination, from, to, timeoutSeconds], strOrNull);
  }

  // ── sets ─────────────────────────────────────────────────────────────────────────────
  sadd(key: RedisKey, ...members: Array<RedisArg | readonly RedisArg[]>): Apply<F, number> {
    return this._cmd('SADD', [key, ...(members.flat() as RedisArg[])], int);
  }
  srem(key: RedisKey, ...members: Array<RedisArg | readonly RedisArg[]>): Apply<F, number> {
    return this._cmd('SREM', [key, ...(members.flat() as RedisArg[])], int);
  }
  smembers(key: RedisKey): Apply<F, string[]> {
    return this._cmd('SMEMBERS', [key], strs);
  }
  sismember(key: RedisKey, member: RedisArg): Apply<F, number> {
    return this._cmd('SISMEMBER', [key, member], int);
  }
  smismember(key: RedisKey, ...members: Array<RedisArg | readonly RedisArg[]>): Apply<F, number[]> {
    return this._cmd('SMISMEMBER', [key, ...(members.flat() as RedisArg[])], (r) => r as number[]);
  }
  scard(key: RedisKey): Apply<F, number> {
    return this._cmd('SCARD', [key], int);
  }
  spop(key: RedisKey): Apply<F, string | null> {
    return this._cmd('SPOP', [key], strOrNull);
  }
  srandmember(key: RedisKey): Apply<F, string | null> {
    return this._cmd('SRANDMEMBER', [key], strOrNull);
  }
  sinter(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, string[]> {
    return this._cmd('SINTER', flattenKeys(keys), strs);
  }
  sunion(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, string[]> {
    return this._cmd('SUNION', flattenKeys(keys), strs);
  }
  sdiff(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, string[]> {
    return this._cmd('SDIFF', flattenKeys(keys), strs);
  }

  // ── sorted sets ──────────────────────────────────────────────────────────────────────
  /** `zadd(key, [{ score: 1, member: 'a' }])` or `zadd(key, 1, 'a', 2, 'b')`. */
  zadd(key: RedisKey, ...items: Array<number | RedisArg | ReadonlyArray<ScoredMember>>): Apply<F, number> {
    return this._cmd('ZADD', [key, ...zaddPairs(items)], int);
  }
  zaddWith(key: RedisKey, options: ZAddOptions, members: ReadonlyArray<ScoredMember>): Apply<F, number | null> {
    const args: RedisArg[] = [key];
    if (options.NX) args.push('NX');
    if (options.XX) args.push('XX');
    if (options.GT) args.push('GT');
    if (options.LT) args.push('LT');
    if (options.CH) args.push('CH');
    return this._cmd('ZADD', [...args, ...zaddPairs([members])], (r) => r as number | null);
  }
  zrem(key: RedisKey, ...members: Array<RedisArg | readonly RedisArg[]>): Apply<F, number> {
    return this._cmd('ZREM', [key, ...(members.flat() as RedisArg[])], int);
  }
  zscore(key: RedisKey, member: RedisArg): Apply<F, number | null> {
    return this._cmd('ZSCORE', [key, member], asNumberOrNull);
  }
  zmscore(key: RedisKey, ...members: Array<RedisArg | readonly RedisArg[]>): Apply<F, Array<number | null>> {
    return this._cmd('ZMSCORE', [key, ...(members.flat() as RedisArg[])], (r) => asArray(r).map(asNumberOrNull));
  }
  zincrby(key: RedisKey, increment: number, member: RedisArg): Apply<F, number> {
    return this._cmd('ZINCRBY', [key, increment, member], asNumber);
  }
  zcard(key: RedisKey): Apply<F, number> {
    return this._cmd('ZCARD', [key], int);
  }
  zcount(key: RedisKey, min: number | string, max: number | string): Apply<F, number> {
    return this._cmd('ZCOUNT', [key, min, max], int);
  }
  zrank(key: RedisKey, member: RedisArg): Apply<F, number | null> {
    return this._cmd('ZRANK', [key, member], (r) => r as number | null);
  }
  zrevrank(key: RedisKey, member: RedisArg): Apply<F, number | null> {
    return this._cmd('ZREVRANK', [key, member], (r) => r as number | null);
  }
  zrange(key: RedisKey, start: number | string, stop: number | string, options?: ZRangeOptions): Apply<F, string[]> {
    return this._cmd('ZRANGE', zrangeArgs(key, start, stop, options, false), strs);
  }
  zrangeWithScores(key: RedisKey, start: number | string, stop: number | string, options?: ZRangeOptions): Apply<F, ScoredMember[]> {
    return this._cmd('ZRANGE', zrangeArgs(key, start, stop, options, true), asScoredMembers);
  }
  zpopmin(key: RedisKey, count = 1): Apply<F, ScoredMember[]> {
    return this._cmd('ZPOPMIN', [key, count], asScoredMembers);
  }
  zpopmax(key: RedisKey, count = 1): Apply<F, ScoredMember[]> {
    return this._cmd('ZPOPMAX', [key, count], asScoredMembers);
  }
  bzpopmin(keys: RedisKey | readonly RedisKey[], timeoutSeconds: number): Apply<F, { key: string; member: string; score: number } | null> {
    return this._cmd('BZPOPMIN', [...flattenKeys([keys]), timeoutSeconds], asKeyedScore);
  }
  bzpopmax(keys: RedisKey | readonly RedisKey[], timeoutSeconds: number): Apply<F, { key: string; member: string; score: number } | null> {
    return this._cmd('BZPOPMAX', [...flattenKeys([keys]), timeoutSeconds], asKeyedScore);
  }

  // ── streams ──────────────────────────────────────────────────────────────────────────
  xadd(key: RedisKey, id: string, fields: Record<string, RedisArg>, options?: XAddOptions): Apply<F, string | null> {
    const args: RedisArg[] = [key];
    if (options?.NOMKSTREAM) args.push('NOMKSTREAM');
    const trim = options?.trim;
    if (trim?.MAXLEN !== undefined) args.push('MAXLEN', trim.approximate ? '~' : '=', trim.MAXLEN);
    else if (trim?.MINID !== undefined) args.push('MINID', trim.approximate ? '~' : '=', trim.MINID);
    args.push(id, ...flattenPairs([fields]));
    return this._cmd('XADD', args, strOrNull);
  }
  xlen(key: RedisKey): Apply<F, number> {
    return this._cmd('XLEN', [key], int);
  }
  xrange(key: RedisKey, start = '-', end = '+', count?: number): Apply<F, StreamEntry[]> {
    return this._cmd('XRANGE', count === undefined ? [key, start, end] : [key, start, end, 'COUNT', count], asStreamEntries);
  }
  xrevrange(key: RedisKey, end = '+', start = '-', count?: number): Apply<F, StreamEntry[]> {
    return this._cmd('XREVRANGE', count === undefined ? [key, end, start] : [key, end, start, 'COUNT', count], asStreamEntries);
  }
  xdel(key: RedisKey, ...ids: string[]): Apply<F, number> {
    return this._cmd('XDEL', [key, ...ids], int);
  }
  xtrim(key: RedisKey, strategy: 'MAXLEN' | 'MINID', threshold: number | string, approximate = false): Apply<F, number> {
    return this._cmd('XTRIM', [key, strategy, approximate ? '~' : '=', threshold], int);
  }
  /** `xread([{ key: 's', id: '$' }], { BLOCK: 1000 })`; null when BLOCK timed out. */
  xread(streams: ReadonlyArray<{ key: RedisKey; id: string }>, options?: XReadOptions): Apply<F, StreamMessages[] | null> {
    return this._cmd('XREAD', [...readOptions(options), 'STREAMS', ...streams.map((s) => s.key), ...streams.map((s) => s.id)], asStreamMessages);
  }
  xgroupCreate(key: RedisKey, group: string, id = '$', options?: { MKSTREAM?: boolean }): Apply<F, 'OK'> {
    return this._cmd('XGROUP', options?.MKSTREAM ? ['CREATE', key, group, id, 'MKSTREAM'] : ['CREATE', key, group, id], ok);
  }
  xreadgroup(
    group: string,
    consumer: string,
    streams: ReadonlyArray<{ key: RedisKey; id: string }>,
    options?: XReadOptions & { NOACK?: boolean },
  ): Apply<F, StreamMessages[] | null> {
    const args: RedisArg[] = ['GROUP', group, consumer, ...readOptions(options)];
    if (options?.NOACK) args.push('NOACK');
    return this._cmd('XREADGROUP', [...args, 'STREAMS', ...streams.map((s) => s.key), ...streams.map((s) => s.id)], asStreamMessages);
  }
  xack(key: RedisKey, group: string, ...ids: string[]): Apply<F, number> {
    return this._cmd('XACK', [key, group, ...ids], int);
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

function zrangeArgs(key: RedisKey, start: number | string, stop: number | string, o: ZRangeOptions | undefined, withScores: boolean): RedisArg[] {
  const args: RedisArg[] = [key, start, stop];
  if (o?.BY) args.push(`BY${o.BY}`);
  if (o?.REV) args.push('REV');
  if (o?.LIMIT) args.push('LIMIT', o.LIMIT.offset, o.LIMIT.count);
  if (withScores) args.push('WITHSCORES');
  return args;
}

function readOptions(o: XReadOptions | undefined): RedisArg[] {
  const args: RedisArg[] = [];
  if (o?.COUNT !== undefined) args.push('COUNT', o.COUNT);
  if (o?.BLOCK !== undefined) args.push('BLOCK', o.BLOCK);
  return args;
}
