/**
 * Reply transforms: turn RESP2 and RESP3 replies of a command into one JS shape, so a typed method
 * returns the same thing whatever protocol the connection speaks (e.g. HGETALL: a RESP3 map or a
 * RESP2 flat array both become a plain object). Pure functions; no I/O.
 */
import { parseDoubleText } from '../resp/double.js';
import { setField } from '../resp/record.js';
import type { RespValue } from '../resp/types.js';

type Str = string | Buffer;

/** A sorted-set member with its score (as a number). */
export interface ScoredMember {
  member: string;
  score: number;
}

/** A stream entry: its id and its fields as an object. */
export interface StreamEntry {
  id: string;
  message: Record<string, string>;
}

/** XREAD / XREADGROUP's reply for one stream: its key and the entries read. */
export interface StreamMessages {
  name: string;
  messages: StreamEntry[];
}

const str = (v: RespValue): string => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

export function asNumber(reply: RespValue): number {
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'bigint') return Number(reply);
  return parseNumber(str(reply));
}

export function asNumberOrNull(reply: RespValue): number | null {
  return reply === null ? null : asNumber(reply);
}

/** A number the server sent as text (RESP2 scores, INCRBYFLOAT): NaN when it is not one. */
export function parseNumber(s: string): number {
  return parseDoubleText(s) ?? NaN;
}

export function asBoolean(reply: RespValue): boolean {
  return reply === 1 || reply === true || reply === 'OK';
}

/** Integers come back as number; a bigint (beyond 2^53) is kept as is. */
export function asInteger(reply: RespValue): number {
  return reply as number;
}

export function asStringOrNull(reply: RespValue): string | null {
  return reply as string | null;
}

/** Sets may be decoded as Set (setAs: 'set'); typed methods always return arrays. */
export function asArray(reply: RespValue): RespValue[] {
  if (reply instanceof Set) return Array.from(reply);
  return (reply ?? []) as RespValue[];
}

/**
 * A RESP3 map (object or Map) or a RESP2 flat [k, v, k, v] array → a plain object. Every field
 * is an own property, `__proto__` included (setField). An object is already one: the decoder
 * builds it with setField too.
 */
export function asRecord(reply: RespValue): Record<string, RespValue> {
  if (reply === null) return {};
  if (Array.isArray(reply)) {
    const out: Record<string, RespValue> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) setField(out, str(reply[i]!), reply[i + 1]!);
    return out;
  }
  if (reply instanceof Map) {
    const out: Record<string, RespValue> = {};
    for (const [k, v] of reply) setField(out, str(k), v);
    return out;
  }
  return reply as Record<string, RespValue>;
}

/** ZRANGE ... WITHSCORES: RESP3 [[m, s], ...] or RESP2 [m, s, m, s] → [{ member, score }]. */
export function asScoredMembers(reply: RespValue): ScoredMember[] {
  const arr = asArray(reply);
  const out: ScoredMember[] = [];
  if (arr.length > 0 && Array.isArray(arr[0])) {
    for (const pair of arr as RespValue[][]) out.push({ member: pair[0] as string, score: asNumber(pair[1]!) });
  } else {
    for (let i = 0; i + 1 < arr.length; i += 2) out.push({ member: arr[i] as string, score: asNumber(arr[i + 1]!) });
  }
  return out;
}

/**
 * ZRANGE ... WITHSCORES asked for in the server's syntax: ioredis's flat [m, s, m, s] of strings,
 * whatever the protocol (RESP3 sends [[m, score], ...] with the score as a double).
 */
export function asFlatScores(reply: RespValue): string[] {
  const out: string[] = [];
  for (const item of asArray(reply)) {
    if (Array.isArray(item)) out.push(str(item[0]!), scoreText(item[1]!));
    else out.push(str(item));
  }
  return out;
}

function scoreText(v: RespValue): string {
  if (typeof v !== 'number') return str(v);
  return v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
}

/** ZPOPMIN/ZPOPMAX without count: RESP3 [m, s] or RESP2 [m, s]; with count: like WITHSCORES. */
export function asScoredMembersFlatOrNested(reply: RespValue): ScoredMember[] {
  return asScoredMembers(reply);
}

/** BZPOPMIN/BZPOPMAX: [key, member, score] or null. */
export function asKeyedScore(reply: RespValue): { key: string; member: string; score: number } | null {
  if (reply === null) return null;
  const a = reply as RespValue[];
  return { key: a[0] as string, member: a[1] as string, score: asNumber(a[2]!) };
}

/** BLPOP/BRPOP: [key, element] or null. */
export function asKeyedElement(reply: RespValue): { key: string; element: string } | null {
  if (reply === null) return null;
  const a = reply as RespValue[];
  return { key: a[0] as string, element: a[1] as string };
}

export function asStreamEntries(reply: RespValue): StreamEntry[] {
  if (reply === null) return [];
  return (reply as RespValue[]).map(asStreamEntry);
}

function asStreamEntry(raw: RespValue): StreamEntry {
  const [id, fields] = raw as [RespValue, RespValue];
  return { id: str(id), message: asRecord(fields) as Record<string, string> };
}

/** XREAD/XREADGROUP: RESP3 map {stream: entries} or RESP2 [[stream, entries]] → array; null on timeout. */
export function asStreamMessages(reply: RespValue): StreamMessages[] | null {
  if (reply === null) return null;
  if (Array.isArray(reply)) {
    return reply.map((pair) => {
      const [name, entries] = pair as [RespValue, RespValue];
      return { name: str(name), messages: asStreamEntries(entries) };
    });
  }
  const rec = asRecord(reply);
  return Object.keys(rec).map((name) => ({ name, messages: asStreamEntries(rec[name]!) }));
}

/** SCAN-family: [cursor, items]. */
export function asScanPage(reply: RespValue): { cursor: string; items: RespValue[] } {
  const [cursor, items] = reply as [RespValue, RespValue];
  return { cursor: str(cursor), items: asArray(items) };
}

export function asStringRecord(reply: RespValue): Record<string, string> {
  return asRecord(reply) as Record<string, string>;
}

/** INFO text → { section: { key: value } } is left to callers; the raw text is returned as is. */
export function asText(reply: RespValue): string {
  return str(reply);
}

/**
 * CLIENT LIST / CLIENT INFO text (`id=3 addr=127.0.0.1:5000 ... cmd=client|list`), one line per
 * connection, into one record per line. The server writes `field=value` pairs separated by
 * single spaces and refuses spaces in client names, so splitting on ' ' then on the first '='
 * is exact.
 */
export function asClientList(reply: RespValue): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const line of str(reply).split('\n')) {
    const trimmed = line.trim();
    if (trimmed.length === 0) continue;
    const record: Record<string, string> = {};
    for (const pair of trimmed.split(' ')) {
      const eq = pair.indexOf('=');
      if (eq > 0) setField(record, pair.slice(0, eq), pair.slice(eq + 1));
    }
    out.push(record);
  }
  return out;
}

/** FUNCTION LIST: an array of maps (RESP3) or flat arrays (RESP2) → plain objects, recursively. */
export function asRecordList(reply: RespValue): Array<Record<string, RespValue>> {
  return asArray(reply).map((entry) => normalizeNested(entry) as Record<string, RespValue>);
}

function normalizeNested(v: RespValue): RespValue {
  if (Array.isArray(v)) {
    // A RESP2 map arrives as [k, v, k, v] with string keys at even positions.
    if (v.length % 2 === 0 && v.length > 0 && v.every((x, i) => i % 2 === 1 || typeof x === 'string')) {
      const looksLikeMap = v.some((x, i) => i % 2 === 1 && (Array.isArray(x) || x === null || typeof x !== 'string'));
      if (looksLikeMap) {
        const out: Record<string, RespValue> = {};
        for (let i = 0; i < v.length; i += 2) setField(out, v[i] as string, normalizeNested(v[i + 1]!));
        return out;
      }
    }
    return v.map(normalizeNested);
  }
  if (v instanceof Map || (v !== null && typeof v === 'object' && !Buffer.isBuffer(v) && !(v instanceof Error) && !(v instanceof Set))) {
    const rec = asRecord(v);
    const out: Record<string, RespValue> = {};
    for (const k of Object.keys(rec)) setField(out, k, normalizeNested(rec[k]!));
    return out;
  }
  return v;
}

export type { Str };
