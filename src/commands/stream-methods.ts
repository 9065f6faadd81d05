/**
 * Typed methods for streams (XADD, XRANGE, XREAD, consumer groups), with their option grammars:
 * a link of the method chain between the generated methods and CommandMethods (methods.ts),
 * kept apart so each file owns one family. Same contract as keyspace-methods.ts: written once,
 * every executor implements `_run`. Must not import connection, client or cluster modules.
 */
import type { RedisArg, RespValue } from '../resp/types.js';
import { GeneratedMethods } from './methods.generated.js';
import { flattenPairs, type Apply, type RedisKey, type ResultKind, type Word } from './keyspace-methods.js';
import { grammar, isOptionsObject } from './options.js';
import { asStreamEntries, asStreamMessages, type StreamEntry, type StreamMessages } from './transforms.js';

const int = (r: RespValue): number => r as number;
const strOrNull = (r: RespValue): string | null => r as string | null;
const ok = (r: RespValue): 'OK' => r as 'OK';

/** XADD's options as an object (after the fields). */
export interface XAddOptions {
  /** Trim the stream: `{ MAXLEN: 1000, approximate: true }` or `{ MINID: '0-1' }`. */
  trim?: { MAXLEN?: number; MINID?: string; approximate?: boolean };
  NOMKSTREAM?: boolean;
}

/** XREAD / XREADGROUP options as an object. */
export interface XReadOptions {
  COUNT?: number;
  /** Block for this many ms (0 = forever). Blocking reads run on a pooled connection. */
  BLOCK?: number;
}

const XRANGE = grammar('XRANGE', 'COUNT=1');
const XREVRANGE = grammar('XREVRANGE', 'COUNT=1');
const XREAD = grammar('XREAD', 'COUNT=1 BLOCK=1');
const XREADGROUP = grammar('XREADGROUP', 'COUNT=1 BLOCK=1 NOACK');
const XGROUP_CREATE = grammar('XGROUP', 'MKSTREAM ENTRIESREAD=1');
const XADD = grammar('XADD', 'NOMKSTREAM', {
  trim: (v) => {
    if (!isOptionsObject(v)) return undefined;
    for (const key of Object.keys(v)) if (key !== 'MAXLEN' && key !== 'MINID' && key !== 'approximate') return undefined;
    const how = v['approximate'] === true ? '~' : '=';
    if (typeof v['MAXLEN'] === 'number') return ['MAXLEN', how, v['MAXLEN']];
    if (typeof v['MINID'] === 'string') return ['MINID', how, v['MINID']];
    return undefined;
  },
});

export abstract class StreamMethods<F extends ResultKind> extends GeneratedMethods<F> {
  // ── streams ──────────────────────────────────────────────────────────────────────────
  /**
   * `xadd(k, '*', { f: 'v' }, { trim: { MAXLEN: 100 } })` or, as in ioredis, the server's syntax
   * `xadd(k, 'MAXLEN', '~', 100, '*', 'f', 'v')`, sent as given.
   */
  xadd(key: RedisKey, id: string, fields: Record<string, RedisArg> | Map<RedisKey, RedisArg>, options?: XAddOptions): Apply<F, string | null>;
  xadd(key: RedisKey, ...args: RedisArg[]): Apply<F, string | null>;
  xadd(key: RedisKey, ...a: unknown[]): Apply<F, string | null> {
    if (a.length < 2 || !isOptionsObject(a[1])) return this._cmd('XADD', [key, ...(a as RedisArg[])], strOrNull);
    const fields = flattenPairs([a[1] as Record<string, RedisArg>]);
    return this._withOptions('XADD', [key], XADD, a.length > 2 ? a.slice(2) : [], strOrNull, [a[0] as RedisArg, ...fields]);
  }
  /** XLEN: the number of entries in the stream. */
  xlen(key: RedisKey): Apply<F, number> {
    return this._cmd('XLEN', [key], int);
  }
  /** `xrange(k, '-', '+', 10)` or, as in ioredis, `xrange(k, '-', '+', 'COUNT', 10)`. */
  xrange(key: RedisKey, start = '-', end = '+', ...count: [number?] | ['COUNT' | 'count', number]): Apply<F, StreamEntry[]> {
    return this._withOptions('XRANGE', [key, start, end], XRANGE, countTokens(count), asStreamEntries);
  }
  /** XREVRANGE: entries from `end` down to `start`, newest first, as `{ id, message }`; an optional count. */
  xrevrange(key: RedisKey, end = '+', start = '-', ...count: [number?] | ['COUNT' | 'count', number]): Apply<F, StreamEntry[]> {
    return this._withOptions('XREVRANGE', [key, end, start], XREVRANGE, countTokens(count), asStreamEntries);
  }
  /** XDEL: how many entries were deleted. */
  xdel(key: RedisKey, ...ids: string[]): Apply<F, number> {
    return this._cmd('XDEL', [key, ...ids], int);
  }
  /** `xtrim(k, 'MAXLEN', 1000, true)` or, as in ioredis, `xtrim(k, 'MAXLEN', '~', 1000)`, sent as given. */
  xtrim(key: RedisKey, strategy: 'MAXLEN' | 'MINID', threshold: number | string, approximate?: boolean): Apply<F, number>;
  xtrim(key: RedisKey, strategy: 'MAXLEN' | 'MINID', ...args: RedisArg[]): Apply<F, number>;
  xtrim(key: RedisKey, strategy: 'MAXLEN' | 'MINID', ...a: unknown[]): Apply<F, number> {
    if (a.length <= 2 && (a[1] === undefined || typeof a[1] === 'boolean')) return this._cmd('XTRIM', [key, strategy, a[1] ? '~' : '=', a[0] as RedisArg], int);
    return this._cmd('XTRIM', [key, strategy, ...(a as RedisArg[])], int);
  }
  /**
   * `xread([{ key: 's', id: '$' }], { BLOCK: 1000 })` or, as in ioredis, the server's syntax
   * `xread('COUNT', 10, 'STREAMS', 's', '$')`, sent as given; null when BLOCK timed out.
   */
  xread(streams: ReadonlyArray<{ key: RedisKey; id: string }>, options?: XReadOptions): Apply<F, StreamMessages[] | null>;
  xread(...args: RedisArg[]): Apply<F, StreamMessages[] | null>;
  xread(...a: unknown[]): Apply<F, StreamMessages[] | null> {
    if (!Array.isArray(a[0])) return this._cmd('XREAD', a as RedisArg[], asStreamMessages);
    return this._withOptions('XREAD', [], XREAD, a.length > 1 ? a.slice(1) : [], asStreamMessages, streamsTail(a[0] as StreamIds));
  }
  /** XGROUP CREATE: a consumer group reading from `id` ('$' = new entries only, '0' = all); `{ MKSTREAM: true }` creates the stream. */
  xgroupCreate(key: RedisKey, group: string, id?: string, options?: { MKSTREAM?: boolean; ENTRIESREAD?: number }): Apply<F, 'OK'>;
  xgroupCreate(key: RedisKey, group: string, id: string, ...tokens: Array<Word<'MKSTREAM' | 'ENTRIESREAD'> | number>): Apply<F, 'OK'>;
  xgroupCreate(key: RedisKey, group: string, id = '$', ...rest: unknown[]): Apply<F, 'OK'> {
    return this._withOptions('XGROUP', ['CREATE', key, group, id], XGROUP_CREATE, rest, ok);
  }
  /** Our form, or the server's syntax as in ioredis: `xreadgroup('GROUP', g, c, 'COUNT', 1, 'STREAMS', k, '>')`. */
  xreadgroup(group: string, consumer: string, streams: StreamIds, options?: XReadOptions & { NOACK?: boolean }): Apply<F, StreamMessages[] | null>;
  xreadgroup(...args: RedisArg[]): Apply<F, StreamMessages[] | null>;
  xreadgroup(...a: unknown[]): Apply<F, StreamMessages[] | null> {
    if (!Array.isArray(a[2])) return this._cmd('XREADGROUP', a as RedisArg[], asStreamMessages);
    const rest = a.length > 3 ? a.slice(3) : [];
    return this._withOptions('XREADGROUP', ['GROUP', a[0] as RedisArg, a[1] as RedisArg], XREADGROUP, rest, asStreamMessages, streamsTail(a[2] as StreamIds));
  }
  /** XACK: how many of the ids were acknowledged. */
  xack(key: RedisKey, group: string, ...ids: string[]): Apply<F, number> {
    return this._cmd('XACK', [key, group, ...ids], int);
  }
}

type StreamIds = ReadonlyArray<{ key: RedisKey; id: string }>;

function streamsTail(streams: StreamIds): RedisArg[] {
  return ['STREAMS', ...streams.map((s) => s.key), ...streams.map((s) => s.id)];
}

/** XRANGE's count: a bare number is our form, anything else goes to the grammar. */
function countTokens(count: readonly unknown[]): readonly unknown[] {
  if (count.length === 1 && typeof count[0] === 'number') return ['COUNT', count[0]];
  if (count.length === 1 && count[0] === undefined) return [];
  return count;
}
