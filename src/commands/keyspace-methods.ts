/**
 * Typed methods for strings, keys, expiry and server commands, written once for every executor:
 * the standalone client (each method returns a Promise), pipelines and transactions (each method
 * returns the builder with the reply type appended), the cluster client. An executor only
 * implements `_run`. The return type is computed by a small "result kind" type function.
 * Must not import connection, client or cluster modules.
 */
import type { ReplyError } from '../errors.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { command, type Command, type RedisKey, type ReplyTransform } from './command.js';
import { asArray, asNumber, asNumberOrNull, asScanPage, asText } from './transforms.js';
import { scriptCommand, type Script } from '../scripts/script.js';
import { asFunctionList, functionCommand, type FunctionLibraryInfo, type Library, type RunFunctionOptions } from '../scripts/library.js';

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

export interface AsPromise extends ResultKind {
  readonly out: Promise<this['value']>;
}

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

export interface ScanOptions {
  MATCH?: string;
  COUNT?: number;
  TYPE?: string;
}

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

export abstract class KeyspaceMethods<F extends ResultKind> {
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

  // ── strings ──────────────────────────────────────────────────────────────────────────
  get(key: RedisKey): Apply<F, string | null> {
    return this._cmd('GET', [key], strOrNull);
  }
  getBuffer(key: RedisKey): Apply<F, Buffer | null> {
    return this._run<Buffer | null>({ name: 'GET', args: [key], returnBuffers: true });
  }
  /** SET; resolves 'OK', or null when NX/XX prevented it, or the old value with `GET: true`. */
  set(key: RedisKey, value: RedisArg, options?: SetOptions): Apply<F, string | null> {
    const args: RedisArg[] = [key, value];
    if (options !== undefined) {
      if (options.EX !== undefined) args.push('EX', options.EX);
      if (options.PX !== undefined) args.push('PX', options.PX);
      if (options.EXAT !== undefined) args.push('EXAT', options.EXAT);
      if (options.PXAT !== undefined) args.push('PXAT', options.PXAT);
      if (options.KEEPTTL) args.push('KEEPTTL');
      if (options.NX) args.push('NX');
      if (options.XX) args.push('XX');
      if (options.GET) args.push('GET');
    }
    return this._cmd('SET', args, strOrNull);
  }
  setnx(key: RedisKey, value: RedisArg): Apply<F, number> {
    return this._cmd('SETNX', [key, value], int);
  }
  setex(key: RedisKey, seconds: number, value: RedisArg): Apply<F, 'OK'> {
    return this._cmd('SETEX', [key, seconds, value], ok);
  }
  psetex(key: RedisKey, ms: number, value: RedisArg): Apply<F, 'OK'> {
    return this._cmd('PSETEX', [key, ms, value], ok);
  }
  getset(key: RedisKey, value: RedisArg): Apply<F, string | null> {
    return this._cmd('GETSET', [key, value], strOrNull);
  }
  getdel(key: RedisKey): Apply<F, string | null> {
    return this._cmd('GETDEL', [key], strOrNull);
  }
  mget(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, Array<string | null>> {
    return this._cmd('MGET', flattenKeys(keys), strsOrNull);
  }
  mset(...pairs: Array<RedisArg | Record<string, RedisArg> | Map<RedisKey, RedisArg>>): Apply<F, 'OK'> {
    return this._cmd('MSET', flattenPairs(pairs), ok);
  }
  msetnx(...pairs: Array<RedisArg | Record<string, RedisArg> | Map<RedisKey, RedisArg>>): Apply<F, number> {
    return this._cmd('MSETNX', flattenPairs(pairs), int);
  }
  incr(key: RedisKey): Apply<F, number> {
    return this._cmd('INCR', [key], int);
  }
  incrby(key: RedisKey, increment: number): Apply<F, number> {
    return this._cmd('INCRBY', [key, increment], int);
  }
  incrbyfloat(key: RedisKey, increment: number): Apply<F, number> {
    return this._cmd('INCRBYFLOAT', [key, increment], asNumber);
  }
  decr(key: RedisKey): Apply<F, number> {
    return this._cmd('DECR', [key], int);
  }
  decrby(key: RedisKey, decrement: number): Apply<F, number> {
    return this._cmd('DECRBY', [key, decrement], int);
  }
  append(key: RedisKey, value: RedisArg): Apply<F, number> {
    return this._cmd('APPEND', [key, value], int);
  }
  strlen(key: RedisKey): Apply<F, number> {
    return this._cmd('STRLEN', [key], int);
  }
  getrange(key: RedisKey, start: number, end: number): Apply<F, string> {
    return this._cmd('GETRANGE', [key, start, end], (r) => r as string);
  }
  setrange(key: RedisKey, offset: number, value: RedisArg): Apply<F, number> {
    return this._cmd('SETRANGE', [key, offset, value], int);
  }

  // ── keys and expiry ──────────────────────────────────────────────────────────────────
  del(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, number> {
    return this._cmd('DEL', flattenKeys(keys), int);
  }
  unlink(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, number> {
    return this._cmd('UNLINK', flattenKeys(keys), int);
  }
  exists(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, number> {
    return this._cmd('EXISTS', flattenKeys(keys), int);
  }
  touch(...keys: Array<RedisKey | readonly RedisKey[]>): Apply<F, number> {
    return this._cmd('TOUCH', flattenKeys(keys), int);
  }
  expire(key: RedisKey, seconds: number, mode?: 'NX' | 'XX' | 'GT' | 'LT'): Apply<F, number> {
    return this._cmd('EXPIRE', mode ? [key, seconds, mode] : [key, seconds], int);
  }
  pexpire(key: RedisKey, ms: number, mode?: 'NX' | 'XX' | 'GT' | 'LT'): Apply<F, number> {
    return this._cmd('PEXPIRE', mode ? [key, ms, mode] : [key, ms], int);
  }
  expireat(key: RedisKey, unixSeconds: number): Apply<F, number> {
    return this._cmd('EXPIREAT', [key, unixSeconds], int);
  }
  ttl(key: RedisKey): Apply<F, number> {
    return this._cmd('TTL', [key], int);
  }
  pttl(key: RedisKey): Apply<F, number> {
    return this._cmd('PTTL', [key], int);
  }
  persist(key: RedisKey): Apply<F, number> {
    return this._cmd('PERSIST', [key], int);
  }
  type(key: RedisKey): Apply<F, string> {
    return this._cmd('TYPE', [key], (r) => r as string);
  }
  rename(key: RedisKey, newKey: RedisKey): Apply<F, 'OK'> {
    return this._cmd('RENAME', [key, newKey], ok);
  }
  renamenx(key: RedisKey, newKey: RedisKey): Apply<F, number> {
    return this._cmd('RENAMENX', [key, newKey], int);
  }
  keys(pattern: string): Apply<F, string[]> {
    return this._cmd('KEYS', [pattern], strs);
  }
  scan(cursor: string | number, options?: ScanOptions): Apply<F, { cursor: string; items: string[] }> {
    const args: RedisArg[] = [cursor];
    if (options?.MATCH !== undefined) args.push('MATCH', options.MATCH);
    if (options?.COUNT !== undefined) args.push('COUNT', options.COUNT);
    if (options?.TYPE !== undefined) args.push('TYPE', options.TYPE);
    return this._cmd('SCAN', args, asScanPage as ReplyTransform<{ cursor: string; items: string[] }>);
  }
  dbsize(): Apply<F, number> {
    return this._cmd('DBSIZE', [], int);
  }
  flushdb(mode?: 'SYNC' | 'ASYNC'): Apply<F, 'OK'> {
    return this._cmd('FLUSHDB', mode ? [mode] : [], ok);
  }
  flushall(mode?: 'SYNC' | 'ASYNC'): Apply<F, 'OK'> {
    return this._cmd('FLUSHALL', mode ? [mode] : [], ok);
  }

  // ── server ───────────────────────────────────────────────────────────────────────────
  ping(message?: string): Apply<F, string> {
    return this._cmd('PING', message === undefined ? [] : [message], (r) => r as string);
  }
  echo(message: string): Apply<F, string> {
    return this._cmd('ECHO', [message], (r) => r as string);
  }
  /** The INFO text as the server sends it (a section name narrows it). */
  info(section?: string): Apply<F, string> {
    return this._cmd('INFO', section === undefined ? [] : [section], asText);
  }
  time(): Apply<F, { seconds: number; microseconds: number }> {
    return this._cmd('TIME', [], (r) => {
      const [s, us] = r as [string, string];
      return { seconds: Number(s), microseconds: Number(us) };
    });
  }
  publish(channel: string, message: RedisArg): Apply<F, number> {
    return this._cmd('PUBLISH', [channel, message], int);
  }

  // ── scripting (raw forms; see runScript / runFunction for the managed ones) ───────────
  eval(script: string, keys: readonly RedisKey[], args: readonly RedisArg[] = []): Apply<F, RespValue> {
    return this._cmd<RespValue>('EVAL', [script, keys.length, ...keys, ...args]);
  }
  evalsha(sha: string, keys: readonly RedisKey[], args: readonly RedisArg[] = []): Apply<F, RespValue> {
    return this._cmd<RespValue>('EVALSHA', [sha, keys.length, ...keys, ...args]);
  }
  fcall(fn: string, keys: readonly RedisKey[], args: readonly RedisArg[] = []): Apply<F, RespValue> {
    return this._cmd<RespValue>('FCALL', [fn, keys.length, ...keys, ...args]);
  }
  fcallReadonly(fn: string, keys: readonly RedisKey[], args: readonly RedisArg[] = []): Apply<F, RespValue> {
    return this._cmd<RespValue>('FCALL_RO', [fn, keys.length, ...keys, ...args]);
  }

  // ── scripts and functions, managed: loaded when the server lacks them (see src/scripts) ──
  /**
   * Runs a script made by defineScript: EVALSHA, or EVALSHA_RO for a read-only script. The body
   * is sent once per connection; after SCRIPT FLUSH or a restart it is loaded again by itself.
   */
  runScript(script: Script, keys: readonly RedisKey[] = [], args: readonly RedisArg[] = []): Apply<F, RespValue> {
    let cmd: Command<RespValue>;
    try {
      cmd = scriptCommand(script, keys, args);
    } catch (error) {
      return this._fail(error as Error);
    }
    return this._run(cmd);
  }
  /**
   * Calls function `fn` of a library made by defineLibrary (FCALL, or FCALL_RO with
   * `readOnly`). When the server does not have the function, the library is loaded
   * (FUNCTION LOAD REPLACE) and the call retried once.
   */
  runFunction(
    library: Library,
    fn: string,
    keys: readonly RedisKey[] = [],
    args: readonly RedisArg[] = [],
    options?: RunFunctionOptions,
  ): Apply<F, RespValue> {
    return this._run(functionCommand(library, fn, keys, args, options));
  }
  /** SCRIPT LOAD; resolves with the SHA1. */
  scriptLoad(lua: string): Apply<F, string> {
    return this._cmd('SCRIPT', ['LOAD', lua], asText);
  }
  scriptExists(...shas: string[]): Apply<F, boolean[]> {
    return this._cmd('SCRIPT', ['EXISTS', ...shas], (r) => asArray(r).map((x) => x === 1 || x === true));
  }
  scriptFlush(mode?: 'SYNC' | 'ASYNC'): Apply<F, 'OK'> {
    return this._cmd('SCRIPT', mode ? ['FLUSH', mode] : ['FLUSH'], ok);
  }
  /** FUNCTION LOAD [REPLACE]; resolves with the library name. */
  functionLoad(code: string, options?: { replace?: boolean }): Apply<F, string> {
    return this._cmd('FUNCTION', options?.replace ? ['LOAD', 'REPLACE', code] : ['LOAD', code], asText);
  }
  /** FUNCTION LIST, shaped the same under RESP2 and RESP3. */
  functionList(options?: { libraryName?: string; withCode?: boolean }): Apply<F, FunctionLibraryInfo[]> {
    const args: RedisArg[] = ['LIST'];
    if (options?.libraryName !== undefined) args.push('LIBRARYNAME', options.libraryName);
    if (options?.withCode) args.push('WITHCODE');
    return this._cmd('FUNCTION', args, asFunctionList);
  }
  functionDelete(library: string): Apply<F, 'OK'> {
    return this._cmd('FUNCTION', ['DELETE', library], ok);
  }
  functionFlush(mode?: 'SYNC' | 'ASYNC'): Apply<F, 'OK'> {
    return this._cmd('FUNCTION', mode ? ['FLUSH', mode] : ['FLUSH'], ok);
  }
}

export { asNumberOrNull };
export type { ReplyError };
