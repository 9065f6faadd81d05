/**
 * Command options, in the two forms users bring them: an options object (`{ EX: 60 }`) or the
 * server's own tokens in order, as ioredis takes them (`'EX', 60`). One grammar per command
 * names its tokens and how many values follow each; both forms are checked against it here and
 * nowhere else, so an unknown token or key, a missing value or a value that cannot go over RESP
 * is refused with ArgumentTypeError naming the argument — never dropped, never a default.
 * Tokens are sent as given (the server reads them case-insensitively). Pure; no I/O.
 *
 *   form            detected by                          example
 *   none            no extra argument                    set(k, v)            (no parsing at all)
 *   object          one plain object                     set(k, v, { EX: 60 })
 *   tokens          anything else                        set(k, v, 'EX', 60, 'NX')
 */
import { ArgumentTypeError } from '../errors.js';
import type { RedisArg } from '../resp/types.js';

/** How many values follow a token. */
export type Arity = 0 | 1 | 2;

/** An options object key that is not simply a token of the same name: its value → arguments, or undefined when invalid. */
export type KeyRule = (value: unknown) => RedisArg[] | undefined;

export interface Grammar {
  /** Upper case, for error messages. */
  readonly command: string;
  /** Token (upper case) → values following it. */
  readonly tokens: Readonly<Record<string, Arity>>;
  /** Object keys with a shape of their own (e.g. ZRANGE's `BY: 'SCORE'` → 'BYSCORE'). */
  readonly keys?: Readonly<Record<string, KeyRule>>;
}

/** A value after a token: what can go over RESP as one argument. */
export type TokenValue = string | number | Buffer;

/** Builds a grammar from a token list such as 'EX=1 PX=1 NX' (a bare name takes no value). */
export function grammar(command: string, spec: string, keys?: Readonly<Record<string, KeyRule>>): Grammar {
  const tokens: Record<string, Arity> = {};
  for (const word of spec.split(' ')) {
    const [name, arity] = word.split('=') as [string, string | undefined];
    tokens[name] = (arity === undefined ? 0 : Number(arity)) as Arity;
  }
  return keys === undefined ? { command, tokens } : { command, tokens, keys };
}

export function isOptionsObject(v: unknown): v is Readonly<Record<string, unknown>> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/**
 * Appends the options in `rest` (the arguments after a method's fixed ones) to `args`.
 * Throws ArgumentTypeError; callers turn it into a rejection.
 */
export function appendOptions(args: RedisArg[], g: Grammar, rest: readonly unknown[]): void {
  // An options argument left undefined (`set(k, v, opts)` with no opts) is no options.
  if (rest.length === 0 || (rest.length === 1 && rest[0] === undefined)) return;
  if (rest.length === 1 && isOptionsObject(rest[0])) appendObject(args, g, rest[0]);
  else appendTokens(args, g, rest);
}

/** Whether the options in `rest`, in either form, include flag `token` (e.g. WITHSCORES), case-insensitively. */
export function hasToken(rest: readonly unknown[], token: string): boolean {
  if (rest.length === 1 && isOptionsObject(rest[0])) return rest[0][token] === true;
  for (const t of rest) if (typeof t === 'string' && t.length === token.length && t.toUpperCase() === token) return true;
  return false;
}

function expected(g: Grammar): string {
  return Object.entries(g.tokens)
    .map(([name, n]) => (n === 0 ? name : `${name} <${n} value${n === 1 ? '' : 's'}>`))
    .join(', ');
}

function isValue(v: unknown): v is TokenValue {
  return typeof v === 'string' || Buffer.isBuffer(v) || (typeof v === 'number' && Number.isFinite(v));
}

function appendTokens(args: RedisArg[], g: Grammar, rest: readonly unknown[]): void {
  for (let i = 0; i < rest.length; ) {
    const at = args.length;
    const t = rest[i];
    const name = typeof t === 'string' ? t.toUpperCase() : undefined;
    const arity = name !== undefined && Object.hasOwn(g.tokens, name) ? g.tokens[name]! : undefined;
    if (arity === undefined) {
      // The value itself is not quoted: it may be user data.
      throw new ArgumentTypeError(g.command, at, t, 'shape', `is not an option ${g.command} takes here; expected one of ${expected(g)}`);
    }
    if (rest.length - 1 - i < arity) {
      throw new ArgumentTypeError(g.command, at, t, 'count', `${name} needs ${arity} value${arity === 1 ? '' : 's'} after it, got ${rest.length - 1 - i}`);
    }
    args.push(t as string);
    for (let j = 1; j <= arity; j++) {
      const v = rest[i + j];
      if (!isValue(v)) throw new ArgumentTypeError(g.command, at + j, v);
      args.push(v);
    }
    i += 1 + arity;
  }
}

function appendObject(args: RedisArg[], g: Grammar, o: Readonly<Record<string, unknown>>): void {
  const at = args.length;
  for (const key of Object.keys(o)) {
    const v = o[key];
    if (v === undefined || v === false) continue;
    const rule = g.keys !== undefined && Object.hasOwn(g.keys, key) ? g.keys[key] : undefined;
    if (rule !== undefined) {
      const out = rule(v);
      if (out === undefined) throw new ArgumentTypeError(g.command, at, o, 'shape', `option '${key}' has a value ${g.command} cannot take`);
      for (const a of out) args.push(a);
      continue;
    }
    const arity = Object.hasOwn(g.tokens, key) ? g.tokens[key] : undefined;
    if (arity === undefined) {
      const known = [...Object.keys(g.tokens), ...Object.keys(g.keys ?? {})].join(', ');
      throw new ArgumentTypeError(g.command, at, o, 'shape', `unknown option '${key}'; ${g.command} takes ${known}`);
    }
    if (arity === 0) {
      if (v !== true) throw new ArgumentTypeError(g.command, at, o, 'shape', `option '${key}' is a flag: true or false`);
      args.push(key);
    } else if (arity === 1 && isValue(v)) {
      args.push(key, v);
    } else {
      throw new ArgumentTypeError(g.command, at, o, 'shape', `option '${key}' needs a string or number value`);
    }
  }
}

/** `{ offset, count }` → LIMIT offset count (ZRANGE, and the like). */
export const limitRule: KeyRule = (v) => {
  const l = v as { offset?: unknown; count?: unknown };
  return typeof l?.offset === 'number' && typeof l.count === 'number' ? ['LIMIT', l.offset, l.count] : undefined;
};
