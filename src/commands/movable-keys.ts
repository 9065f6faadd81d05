/**
 * The hand-written part of key positions: commands whose keys move with their arguments
 * (EVAL/FCALL numkeys, XREAD … STREAMS, SORT … BY/GET/STORE, MIGRATE … KEYS), which the
 * generated key specs describe only as "unknown". keys.ts asks movableKeyFinder() first.
 * Pure; imports only resp types.
 */
import type { RedisArg } from '../resp/types.js';

/** Key positions (indexes into args) of one call. */
export type KeyFinder = (args: readonly RedisArg[]) => readonly number[];

export const NONE: readonly number[] = Object.freeze([]);
const SINGLE: ReadonlyArray<readonly number[]> = Array.from({ length: 16 }, (_, i) => Object.freeze([i]));

export function single(i: number): readonly number[] {
  return i < SINGLE.length ? SINGLE[i]! : [i];
}

export function text(arg: RedisArg): string {
  return typeof arg === 'string' ? arg : String(arg);
}

/** The finder of a command whose keys move (lower-case name), or undefined: use its key specs. */
export function movableKeyFinder(name: string): KeyFinder | undefined {
  switch (name) {
    case 'eval':
    case 'evalsha':
    case 'eval_ro':
    case 'evalsha_ro':
    case 'fcall':
    case 'fcall_ro':
      return scriptKeys;
    case 'xread':
    case 'xreadgroup':
      return streamKeys;
    case 'sort':
      return sortKeys;
    case 'sort_ro':
      return firstArgKey;
    case 'migrate':
      return migrateKeys;
    default:
      return undefined;
  }
}

/** Case-insensitive match of an argument against an upper-case keyword. */
export function isWord(arg: RedisArg, upper: string): boolean {
  if (typeof arg === 'number') return false;
  if (arg.length !== upper.length) return false;
  return (typeof arg === 'string' ? arg : arg.toString('latin1')).toUpperCase() === upper;
}

/** A non-negative integer argument, or -1. */
export function toCount(arg: RedisArg): number {
  const n = typeof arg === 'number' ? arg : Number(text(arg));
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

function isEmpty(arg: RedisArg): boolean {
  return typeof arg !== 'number' && arg.length === 0;
}

function positions(from: number, count: number): readonly number[] {
  if (count <= 0) return NONE;
  if (count === 1) return single(from);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = from + i;
  return out;
}


/** EVAL script numkeys k1 … a1 … (and EVALSHA, *_RO, FCALL, FCALL_RO). */
function scriptKeys(args: readonly RedisArg[]): readonly number[] {
  if (args.length < 2) return NONE;
  const n = toCount(args[1]!);
  return positions(2, Math.min(n, args.length - 2));
}

/**
 * XREAD [COUNT n] [BLOCK ms] STREAMS k1 … kn id1 … idn
 * XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS k1 … kn id1 … idn
 * Walking the options (instead of searching for the word STREAMS) keeps a group or consumer
 * named "streams" from being taken for the keyword.
 */
export function scanStreamOptions(args: readonly RedisArg[]): { streams: number; block: boolean } {
  let block = false;
  for (let i = 0; i < args.length; ) {
    const word = args[i]!;
    if (isWord(word, 'STREAMS')) return { streams: i, block };
    if (isWord(word, 'COUNT')) i += 2;
    else if (isWord(word, 'BLOCK')) {
      block = true;
      i += 2;
    } else if (isWord(word, 'GROUP')) i += 3;
    else if (isWord(word, 'NOACK')) i += 1;
    else break;
  }
  return { streams: -1, block };
}

function streamKeys(args: readonly RedisArg[]): readonly number[] {
  const { streams } = scanStreamOptions(args);
  if (streams === -1) return NONE;
  const rest = args.length - streams - 1;
  return positions(streams + 1, Math.floor(rest / 2));
}

function firstArgKey(args: readonly RedisArg[]): readonly number[] {
  return args.length > 0 ? SINGLE[0]! : NONE;
}

/** SORT key [BY p] [LIMIT off n] [GET p …] [ASC|DESC] [ALPHA] [STORE dest] */
function sortKeys(args: readonly RedisArg[]): readonly number[] {
  if (args.length === 0) return NONE;
  for (let i = 1; i < args.length; ) {
    const word = args[i]!;
    if (isWord(word, 'STORE')) return i + 1 < args.length ? [0, i + 1] : SINGLE[0]!;
    if (isWord(word, 'BY') || isWord(word, 'GET')) i += 2;
    else if (isWord(word, 'LIMIT')) i += 3;
    else if (isWord(word, 'ASC') || isWord(word, 'DESC') || isWord(word, 'ALPHA')) i += 1;
    else break;
  }
  return SINGLE[0]!;
}

/**
 * MIGRATE host port key db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS k …]
 * One key at args[2], or, when that is empty, every key after KEYS.
 */
function migrateKeys(args: readonly RedisArg[]): readonly number[] {
  if (args.length < 5) return NONE;
  if (!isEmpty(args[2]!)) return SINGLE[2]!;
  for (let i = 5; i < args.length; ) {
    const word = args[i]!;
    if (isWord(word, 'KEYS')) return positions(i + 1, args.length - i - 1);
    if (isWord(word, 'COPY') || isWord(word, 'REPLACE')) i += 1;
    else if (isWord(word, 'AUTH')) i += 2;
    else if (isWord(word, 'AUTH2')) i += 3;
    else break;
  }
  return NONE;
}
