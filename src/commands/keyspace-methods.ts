/**
 * Typed methods for strings, keys and expiry, written once for every executor:
 * the standalone client (each method returns a Promise), pipelines and transactions (each method
 * returns the builder with the reply type appended), the cluster client. An executor only
 * implements `_run`. The return type is computed by a small "result kind" type function.
 * The root of the method chain: KeyspaceMethods → ServerMethods (server-methods.ts) →
 * GeneratedMethods → StreamMethods (stream-methods.ts) → CommandMethods (methods.ts).
 * Must not import connection, client or cluster modules.
 */
import { EventEmitter } from 'node:events';
import type { ReplyError } from '../errors.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { command, type Command, type RedisKey, type ReplyTransform } from './command.js';
import { asArray, asNumber, asNumberOrNull, asScanPage } from './transforms.js';
import { appendOptions, grammar, type Grammar } from './options.js';

export type { RedisKey };

/**
 * The type-level function from a reply type T to what a method returns. Executors extend this:
 * `interface AsPromise extends ResultKind { out: Promise<this['value']> }`.
 */
export interface ResultKind {
  readonly value: unknown;
  readonly out: unknown;
}
export type Apply<F extends ResultKind, T> = (F & { readonly value: T })['out'];

/** What the clients return for a reply of type T: a `Promise<T>`. */
export interface AsPromise extends ResultKind {
  readonly out: Promise<this['value']>;
}

/** SET's options as an object: `set(k, v, { EX: 60, NX: true })`. */
export interface SetOptions {
  EX?: number;
  PX?: number;
  EXAT?: number;
  PXAT?: number;
  KEEPTTL?: boolean;
  NX?: boolean;
  XX?: boolean;
  /** Return the old value (SET ... GET). */
  GET?: boolean;
}

/** SCAN's options as an object: `scan(0, { MATCH: 'user:*', COUNT: 100 })`. */
export interface ScanOptions {
  MATCH?: string;
  COUNT?: number;
  TYPE?: string;
}

/** An option word in upper or lower case, as the server reads it. */
export type Word<T extends string> = T | Lowercase<T>;
/** SET's options in the server's syntax: `set(k, v, 'EX', 60, 'NX')`. */
export type SetToken = Word<'EX' | 'PX' | 'EXAT' | 'PXAT' | 'KEEPTTL' | 'NX' | 'XX' | 'GET'> | number;
/** EXPIRE's condition: only when the key has no expiry (NX), has one (XX), or the new one is greater (GT) / less (LT). */
export type ExpireMode = Word<'NX' | 'XX' | 'GT' | 'LT'>;
/** SCAN's options in the server's syntax: `scan(0, 'MATCH', 'user:*', 'COUNT', 100)`. */
export type ScanToken = Word<'MATCH' | 'COUNT' | 'TYPE'> | string | number;

const SET = grammar('SET', 'EX=1 PX=1 EXAT=1 PXAT=1 KEEPTTL NX XX GET');
const EXPIRE_MODE = 'NX XX GT LT';
const EXPIRE = grammar('EXPIRE', EXPIRE_MODE);
const PEXPIRE = grammar('PEXPIRE', EXPIRE_MODE);
const EXPIREAT = grammar('EXPIREAT', EXPIRE_MODE);
const PEXPIREAT = grammar('PEXPIREAT', EXPIRE_MODE);
const SCAN = grammar('SCAN', 'MATCH=1 COUNT=1 TYPE=1');

/** `mget('a', 'b')`, `mget(['a', 'b'])` and mixes of both are accepted, as ioredis users expect. */
export function flattenKeys(items: ReadonlyArray<RedisKey | readonly RedisKey[]>): RedisKey[] {
  const out: RedisKey[] = [];
  for (const it of items) {
    if (Array.isArray(it)) for (const k of it as readonly RedisKey[]) out.push(k);
    else out.push(it as RedisKey);
  }
  return out;
}

/** `mset('k1', 'v1', 'k2', 'v2')` or `mset({ k1: 'v1' })` (also a Map) → flat key/value args. */
export function flattenPairs(items: ReadonlyArray<RedisArg | Record<string, RedisArg> | Map<RedisKey, RedisArg>>): RedisArg[] {
  if (items.length === 1 && items[0] !== null && typeof items[0] === 'object' && !Buffer.isBuffer(items[0])) {
    const obj = items[0] as Record<string, RedisArg> | Map<RedisKey, RedisArg>;
    const out: RedisArg[] = [];
    if (obj instanceof Map) for (const [k, v] of obj) out.push(k, v);
    else for (const k of Object.keys(obj)) out.push(k, obj[k]!);
    return out;
  }
  return items as RedisArg[];
}

const ok = (r: RespValue): 'OK' => r as 'OK';
const int = (r: RespValue): number => r as number;
const strOrNull = (r: RespValue): string | null => r as string | null;
const strs = (r: RespValue): string[] => asArray(r) as string[];
const strsOrNull = (r: RespValue): Array<string | null> => r as Array<string | null>;

/**
 * The root of every executor is an EventEmitter, so that the clients can be one (Client declares
 * its typed event map over it). It is hidden from the type here: builders and executors that
 * have no events keep a type without emitter methods, and may define their own `on`.
 */
const EmitterRoot = EventEmitter as unknown as abstract new () => object;

export abstract class KeyspaceMethods<F extends ResultKind> extends EmitterRoot {
  /** Runs one command and returns what the executor returns for it. */
  protected abstract _run<T>(cmd: Command<T>): Apply<F, T>;

  /**
   * A call refused before it became a command (e.g. a script given the wrong number of keys):
   * a rejected promise, never a synchronous throw. Builders override it to fail their exec().
   */
  protected _fail<T>(error: Error): Apply<F, T> {
    return Promise.reject(error) as Apply<F, T>;
  }

  /** Any command by name, e.g. `call('CLIENT', 'INFO')`. The reply is returned undecorated. */
  call(name: string, ...args: RedisArg[]): Apply<F, RespValue> {
    return this._run(command<RespValue>(name.toUpperCase(), args));
  }

  /** Like `call`, with strings in the reply decoded as Buffers. */
  callBuffer(name: string, ...args: RedisArg[]): Apply<F, RespValue> {
    return this._run<RespValue>({ name: name.toUpperCase(), args, returnBuffers: true });
  }

  protected _cmd<T>(name: string, args: readonly RedisArg[], transform?: ReplyTransform<T>): Apply<F, T> {
    return this._run(command(name, args, transform));
  }

  /**
   * A command whose options come after `args`, in either form (see options.ts), then `after`.
   * An option refused by the grammar rejects the call; nothing is sent.
   */
  protected _withOptions<T>(
    name: string,
    args: RedisArg[],
    g: Grammar,
    rest: readonly unknown[],
    transform: ReplyTransform<T>,
    after?: readonly RedisArg[],
  ): Apply<F, T> {
    if (rest.length > 0) {
      try {
        appendOptions(args, g, rest);
      } catch (error) {
        return this._fail(error as Error);
      }
    }
    if (after !== undefined) for (const a of after) args.push(a);
    return this._cmd(name, args, transform);
  }

  // ── strings ──────────────────────────────────────────────────────────────────────────
  /** GET: the value, or null when the key does not exist. */
  get(key: RedisKey): Apply<F, string | null> {
    return this._cmd('GET', [key], strOrNull);
  }
  /** GET with the value as a Buffer (binary data), or null. */
  getBuffer(key: RedisKey): Apply<F, Buffer | null> {
    return this._run<Buffer | null>({ name: 'GET', args: [key], returnBuffers: true });
  }
  /**
   * SET; resolves 'OK', or null when NX/XX prevented it, or the old value with GET.
   * `set(k, v, { EX: 60 })` or, as in ioredis, `set(k, v, 'EX', 60)`.
   */
  set(key: RedisKey, value: RedisArg, options?: SetOptions): Apply<F, string | null>;
  set(key: RedisKey, value: RedisArg, ...tokens: SetToken[]): Apply<F, string | null>;
  set(key: RedisKey, value: RedisArg, options?: unknown): Apply<F, string | null> {
    // `arguments`, not a rest parameter: the plain set(k, v) allocates nothing extra (~10 ns a call).
    if (arguments.length <= 2) return this._cmd('SET', [key, value], strOrNull);
    const rest: unknown[] = arguments.length === 3 ? [options] : Array.prototype.slice.call(arguments, 2);
    return this._withOptions('SET', [key, value], SET, rest, strOrNull);
  }
  /** SETNX: 1 if the key was set, 0 if it already existed. */
  setnx(key: RedisKey, value: RedisArg): Apply<F, number> {
    return this._cmd('SETNX', [key, value], int);
  }
  /** SETEX: set with an expiry in seconds. */
  setex(key: RedisKey, seconds: number, value: RedisArg): Apply<F, 'OK'> {
    return this._cmd('SETEX', [key, seconds, value], ok);
  }
  /** PSETEX: set with an expiry in milliseconds. */
  psetex(key: RedisKey, ms: number, value: RedisArg): Apply<F, 'OK'> {
    return this._cmd('PSETEX', [key, ms, value], ok);
  }
  /** GETSET: set and return the old value (null if none). */
  getset(key: RedisKey, value: RedisArg): Apply<F, string | null> {
    return this._cmd('GETSET', [key, value], strOrNull);
  }
  /** GETDEL: return the value and delete the key (null if none). */
  getdel(key: RedisKey): Apply<F, string | null> {
    return this._cmd('GETDEL', [key], strOrNull);
  }
  /** MGET: values in the keys' order, null for a missing key. In a cluster, split per slot and merged. */
  mget(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, Array<string | null>> {
    return this._cmd('MGET', flattenKeys(keys), strsOrNull);
  }
  /** MSET: `mset({ k1: v1 })`, a Map, or flat pairs. In a cluster, split per slot (not atomic when split). */
  mset(...pairs: Array<RedisArg | Record<string, RedisArg> | Map<RedisKey, RedisArg>>): Apply<F, 'OK'> {
    return this._cmd('MSET', flattenPairs(pairs), ok);
  }
  /** MSETNX: 1 if every key was set, 0 if none was (all keys must share a slot in a cluster). */
  msetnx(...pairs: Array<RedisArg | Record<string, RedisArg> | Map<RedisKey, RedisArg>>): Apply<F, number> {
    return this._cmd('MSETNX', flattenPairs(pairs), int);
  }
  /** INCR: the value after adding 1. */
  incr(key: RedisKey): Apply<F, number> {
    return this._cmd('INCR', [key], int);
  }
  /** INCRBY: the value after adding `increment`. */
  incrby(key: RedisKey, increment: number): Apply<F, number> {
    return this._cmd('INCRBY', [key, increment], int);
  }
  /** INCRBYFLOAT: the value after adding `increment`, as a number. */
  incrbyfloat(key: RedisKey, increment: number): Apply<F, number> {
    return this._cmd('INCRBYFLOAT', [key, increment], asNumber);
  }
  /** DECR: the value after subtracting 1. */
  decr(key: RedisKey): Apply<F, number> {
    return this._cmd('DECR', [key], int);
  }
  /** DECRBY: the value after subtracting `decrement`. */
  decrby(key: RedisKey, decrement: number): Apply<F, number> {
    return this._cmd('DECRBY', [key, decrement], int);
  }
  /** APPEND: the string's length after appending. */
  append(key: RedisKey, value: RedisArg): Apply<F, number> {
    return this._cmd('APPEND', [key, value], int);
  }
  /** STRLEN: the string's length (0 for a missing key). */
  strlen(key: RedisKey): Apply<F, number> {
    return this._cmd('STRLEN', [key], int);
  }
  /** GETRANGE: the substring between two offsets (inclusive; negative counts from the end). */
  getrange(key: RedisKey, start: number, end: number): Apply<F, string> {
    return this._cmd('GETRANGE', [key, start, end], (r) => r as string);
  }
  /** SETRANGE: overwrite from `offset`; the string's new length. */
  setrange(key: RedisKey, offset: number, value: RedisArg): Apply<F, number> {
    return this._cmd('SETRANGE', [key, offset, value], int);
  }

  // ── keys and expiry ──────────────────────────────────────────────────────────────────
  /** DEL: how many keys were removed. In a cluster, split per slot and summed. */
  del(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, number> {
    return this._cmd('DEL', flattenKeys(keys), int);
  }
  /** UNLINK: DEL that frees memory in the background; how many keys were removed. */
  unlink(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, number> {
    return this._cmd('UNLINK', flattenKeys(keys), int);
  }
  /** EXISTS: how many of the keys exist (a key named twice counts twice). */
  exists(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, number> {
    return this._cmd('EXISTS', flattenKeys(keys), int);
  }
  /** TOUCH: how many of the keys exist (their last-access time is updated). */
  touch(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, number> {
    return this._cmd('TOUCH', flattenKeys(keys), int);
  }
  /** EXPIRE: 1 if the expiry (in seconds) was set, 0 if not (missing key, or the mode refused it). */
  expire(key: RedisKey, seconds: number, ...mode: ExpireMode[]): Apply<F, number> {
    return this._withOptions('EXPIRE', [key, seconds], EXPIRE, mode, int);
  }
  /** PEXPIRE: EXPIRE in milliseconds. */
  pexpire(key: RedisKey, ms: number, ...mode: ExpireMode[]): Apply<F, number> {
    return this._withOptions('PEXPIRE', [key, ms], PEXPIRE, mode, int);
  }
  /** EXPIREAT: expire at a Unix time in seconds; 1 if set, 0 if not. */
  expireat(key: RedisKey, unixSeconds: number, ...mode: ExpireMode[]): Apply<F, number> {
    return this._withOptions('EXPIREAT', [key, unixSeconds], EXPIREAT, mode, int);
  }
  /** PEXPIREAT: expire at a Unix time in milliseconds; 1 if set, 0 if not. */
  pexpireat(key: RedisKey, unixMs: number, ...mode: ExpireMode[]): Apply<F, number> {
    return this._withOptions('PEXPIREAT', [key, unixMs], PEXPIREAT, mode, int);
  }
  /** TTL: seconds left; -1 when the key has no expiry, -2 when it does not exist. */
  ttl(key: RedisKey): Apply<F, number> {
    return this._cmd('TTL', [key], int);
  }
  /** PTTL: milliseconds left; -1 when the key has no expiry, -2 when it does not exist. */
  pttl(key: RedisKey): Apply<F, number> {
    return this._cmd('PTTL', [key], int);
  }
  /** PERSIST: 1 if an expiry was removed, 0 if not. */
  persist(key: RedisKey): Apply<F, number> {
    return this._cmd('PERSIST', [key], int);
  }
  /** TYPE: the value's type ('string', 'list', 'hash', …; 'none' for a missing key). */
  type(key: RedisKey): Apply<F, string> {
    return this._cmd('TYPE', [key], (r) => r as string);
  }
  /** RENAME (both keys must share a slot in a cluster). */
  rename(key: RedisKey, newKey: RedisKey): Apply<F, 'OK'> {
    return this._cmd('RENAME', [key, newKey], ok);
  }
  /** RENAMENX: 1 if renamed, 0 if `newKey` already existed. */
  renamenx(key: RedisKey, newKey: RedisKey): Apply<F, number> {
    return this._cmd('RENAMENX', [key, newKey], int);
  }
  /** KEYS: every key matching `pattern` (blocks the server; prefer scan). In a cluster, asked of every primary. */
  keys(pattern: string): Apply<F, string[]> {
    return this._cmd('KEYS', [pattern], strs);
  }
  /** `scan(0, { MATCH: 'u:*' })` or, as in ioredis, `scan(0, 'MATCH', 'u:*', 'COUNT', 100)`. */
  scan(cursor: string | number, options?: ScanOptions): Apply<F, { cursor: string; items: string[] }>;
  scan(cursor: string | number, ...tokens: ScanToken[]): Apply<F, { cursor: string; items: string[] }>;
  scan(cursor: string | number, ...rest: unknown[]): Apply<F, { cursor: string; items: string[] }> {
    return this._withOptions('SCAN', [cursor], SCAN, rest, asScanPage as ReplyTransform<{ cursor: string; items: string[] }>);
  }
  /** DBSIZE: the number of keys (in a cluster, summed over the primaries). */
  dbsize(): Apply<F, number> {
    return this._cmd('DBSIZE', [], int);
  }
  /** FLUSHDB: remove every key of the selected database (in a cluster, on every primary). */
  flushdb(mode?: 'SYNC' | 'ASYNC'): Apply<F, 'OK'> {
    return this._cmd('FLUSHDB', mode ? [mode] : [], ok);
  }
  /** FLUSHALL: remove every key of every database (in a cluster, on every primary). */
  flushall(mode?: 'SYNC' | 'ASYNC'): Apply<F, 'OK'> {
    return this._cmd('FLUSHALL', mode ? [mode] : [], ok);
  }
}

export { asNumberOrNull };
export type { ReplyError };
