/**
 * Command metadata and key positions, read from the generated table (table.generated.ts).
 * Owns: name → CommandSpec lookup (case-insensitive, containers resolved to their subcommand),
 * where the keys of a command are, and whether it is read-only or blocking.
 * Key positions come from the server's key specs, interpreted the way the server does
 * (db.c getKeysUsingKeySpecs), plus a short hand-written switch for commands whose keys move
 * in a way a spec cannot say precisely (EVAL/FCALL numkeys, XREAD options, SORT … STORE,
 * MIGRATE … KEYS). Each command's interpretation is compiled once and cached; a command with
 * keys at fixed positions returns a shared frozen array, so the common case allocates nothing.
 *
 * Indexes are into `args`, which exclude the command name: for a subcommand, args[0] is the
 * subcommand word (OBJECT ENCODING k → args ['ENCODING', 'k'] → [1]).
 * Shard channels (SPUBLISH, SSUBSCRIBE) count as keys here: their slot decides the node.
 * Pure: must not import connection, client or cluster modules.
 */
import type { RedisArg } from '../resp/types.js';
import { COMMANDS, COMMAND_FLAGS, KEY_SPEC_FLAGS, type KeySpecRow } from './table.generated.js';
import { isWord, movableKeyFinder, NONE, scanStreamOptions, single, text, toCount, type KeyFinder } from './movable-keys.js';

export type CommandFlag = (typeof COMMAND_FLAGS)[number];
export type KeySpecFlag = (typeof KEY_SPEC_FLAGS)[number];
export type RequestPolicy = 'all_nodes' | 'all_shards' | 'multi_shard' | 'special';
export type ResponsePolicy =
  | 'one_succeeded'
  | 'all_succeeded'
  | 'agg_logical_and'
  | 'agg_logical_or'
  | 'agg_min'
  | 'agg_max'
  | 'agg_sum'
  | 'special';

export type KeySpecBegin =
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'keyword'; readonly keyword: string; readonly startFrom: number }
  | { readonly kind: 'unknown' };

export type KeySpecFind =
  | { readonly kind: 'range'; readonly lastKey: number; readonly keyStep: number; readonly limit: number }
  | { readonly kind: 'keynum'; readonly keyNumIndex: number; readonly firstKey: number; readonly keyStep: number }
  | { readonly kind: 'unknown' };

/** One key spec as the server states it; positions count argv (0 = the command name). */
export interface KeySpec {
  /** Bit i set = KEY_SPEC_FLAGS[i]; test with hasKeySpecFlag(). */
  readonly flags: number;
  readonly begin: KeySpecBegin;
  readonly find: KeySpecFind;
}

export interface CommandSpec {
  /** Lower case; subcommands are 'container|sub', e.g. 'client|list'. */
  readonly name: string;
  /** Negative: at least -arity arguments, counting the name. */
  readonly arity: number;
  /** Bit i set = COMMAND_FLAGS[i]; test with hasFlag(). */
  readonly flags: number;
  readonly keySpecs: readonly KeySpec[];
  readonly requestPolicy: RequestPolicy | undefined;
  readonly responsePolicy: ResponsePolicy | undefined;
  /** The server's nondeterministic_output / nondeterministic_output_order tips. */
  readonly nondeterministic: 'output' | 'order' | undefined;
  /** True for containers such as CLIENT, whose real spec is the subcommand's. */
  readonly container: boolean;
}

const FLAG_BIT = new Map<string, number>(COMMAND_FLAGS.map((n, i) => [n, 1 << i]));
const SPEC_FLAG_BIT = new Map<string, number>(KEY_SPEC_FLAGS.map((n, i) => [n, 1 << i]));

export function hasFlag(spec: CommandSpec, flag: CommandFlag): boolean {
  return (spec.flags & (FLAG_BIT.get(flag) ?? 0)) !== 0;
}

export function hasKeySpecFlag(spec: KeySpec, flag: KeySpecFlag): boolean {
  return (spec.flags & (SPEC_FLAG_BIT.get(flag) ?? 0)) !== 0;
}

/** The flag names of a spec, for messages and debugging. */
export function flagNames(spec: CommandSpec): CommandFlag[] {
  return COMMAND_FLAGS.filter((_, i) => (spec.flags & (1 << i)) !== 0);
}

const WRITE = FLAG_BIT.get('write')!;
const READONLY = FLAG_BIT.get('readonly')!;
const BLOCKING = FLAG_BIT.get('blocking')!;

// ---- the table, decoded once at load


const REQUEST_POLICIES: ReadonlySet<string> = new Set<RequestPolicy>(['all_nodes', 'all_shards', 'multi_shard', 'special']);
const RESPONSE_POLICIES: ReadonlySet<string> = new Set<ResponsePolicy>([
  'one_succeeded', 'all_succeeded', 'agg_logical_and', 'agg_logical_or', 'agg_min', 'agg_max', 'agg_sum', 'special',
]);

class Spec implements CommandSpec {
  readonly requestPolicy: RequestPolicy | undefined;
  readonly responsePolicy: ResponsePolicy | undefined;
  readonly nondeterministic: 'output' | 'order' | undefined;
  /** Subcommands by their word in lower and upper case; null for plain commands. */
  subcommands: Map<string, Spec> | null = null;
  /** Compiled on first use. */
  #finder: KeyFinder | null = null;

  constructor(
    readonly name: string,
    readonly arity: number,
    readonly flags: number,
    tips: readonly string[],
    readonly keySpecs: readonly KeySpec[],
  ) {
    let request: RequestPolicy | undefined;
    let response: ResponsePolicy | undefined;
    let nondeterministic: 'output' | 'order' | undefined;
    for (const tip of tips) {
      const value = tip.slice(tip.indexOf(':') + 1);
      // Policies a newer server may add are ignored rather than passed on unchecked.
      if (tip.startsWith('request_policy:') && REQUEST_POLICIES.has(value)) request = value as RequestPolicy;
      else if (tip.startsWith('response_policy:') && RESPONSE_POLICIES.has(value)) response = value as ResponsePolicy;
      else if (tip === 'nondeterministic_output') nondeterministic = 'output';
      else if (tip === 'nondeterministic_output_order') nondeterministic ??= 'order';
    }
    this.requestPolicy = request;
    this.responsePolicy = response;
    this.nondeterministic = nondeterministic;
  }

  get container(): boolean {
    return this.subcommands !== null;
  }

  keyIndexes(args: readonly RedisArg[]): readonly number[] {
    this.#finder ??= compile(this);
    return this.#finder(args);
  }
}

function decodeKeySpec(row: KeySpecRow): KeySpec {
  const [flags, begin, startFrom, find, a, b, c] = row;
  return {
    flags,
    begin:
      typeof begin === 'string'
        ? { kind: 'keyword', keyword: begin.toUpperCase(), startFrom }
        : begin >= 0
          ? { kind: 'index', index: begin }
          : { kind: 'unknown' },
    find:
      find === 'r'
        ? { kind: 'range', lastKey: a, keyStep: b, limit: c }
        : find === 'n'
          ? { kind: 'keynum', keyNumIndex: a, firstKey: b, keyStep: c }
          : { kind: 'unknown' },
  };
}

/** Commands by name in lower and upper case, so the usual spellings hit without lowercasing. */
const byName = new Map<string, Spec>();

for (const [name, arity, flags, , , , tips, keySpecs] of COMMANDS) {
  const spec = new Spec(name, arity, flags, tips === 0 ? [] : tips, keySpecs === 0 ? [] : keySpecs.map(decodeKeySpec));
  const bar = name.indexOf('|');
  if (bar === -1) {
    byName.set(name, spec);
    byName.set(name.toUpperCase(), spec);
    continue;
  }
  const parent = byName.get(name.slice(0, bar));
  if (parent === undefined) continue;
  parent.subcommands ??= new Map();
  const word = name.slice(bar + 1);
  parent.subcommands.set(word, spec);
  parent.subcommands.set(word.toUpperCase(), spec);
}

function resolve(name: string, args: readonly RedisArg[]): Spec | undefined {
  const spec = byName.get(name) ?? byName.get(name.toLowerCase());
  if (spec === undefined || spec.subcommands === null || args.length === 0) return spec;
  const word = text(args[0]!);
  // An unknown subcommand keeps the container: keyless, and the server will say what is wrong.
  return spec.subcommands.get(word) ?? spec.subcommands.get(word.toLowerCase()) ?? spec;
}

/** The spec of a command, or of its subcommand for containers (CLIENT LIST → 'client|list'). */
export function lookupCommand(name: string, args: readonly RedisArg[]): CommandSpec | undefined {
  return resolve(name, args);
}

// ---- key positions


/** Indexes into args of every key of the command; empty for keyless and unknown commands. */
export function commandKeyIndexes(name: string, args: readonly RedisArg[]): readonly number[] {
  return resolve(name, args)?.keyIndexes(args) ?? NONE;
}

/** commandKeyIndexes for a spec already looked up (saves the second lookup on hot paths). */
export function keyIndexesOf(spec: CommandSpec, args: readonly RedisArg[]): readonly number[] {
  return spec instanceof Spec ? spec.keyIndexes(args) : NONE;
}

/** Keys of the command (the arguments at commandKeyIndexes). */
export function commandKeys(name: string, args: readonly RedisArg[]): RedisArg[] {
  return commandKeyIndexes(name, args).map((i) => args[i]!);
}

export function isKeyless(name: string, args: readonly RedisArg[]): boolean {
  return commandKeyIndexes(name, args).length === 0;
}

/** Read-only in the server's sense: a replica in READONLY mode serves it. */
export function isReadOnly(name: string, args: readonly RedisArg[]): boolean {
  const spec = resolve(name, args);
  return spec !== undefined && isReadOnlySpec(spec);
}

export function isReadOnlySpec(spec: CommandSpec): boolean {
  return (spec.flags & READONLY) !== 0 && (spec.flags & WRITE) === 0;
}

/** The key step of a command's first range spec: MSET k v k v → 2; every other case 1. */
export function keyStepOf(spec: CommandSpec): number {
  const find = spec.keySpecs[0]?.find;
  return find?.kind === 'range' && find.keyStep > 0 ? find.keyStep : 1;
}

/**
 * Whether the command may hold its connection until something happens. XREAD and XREADGROUP
 * carry the blocking flag but block only with a BLOCK option; WAIT and WAITAOF block without
 * the flag.
 */
export function isBlocking(name: string, args: readonly RedisArg[]): boolean {
  const spec = resolve(name, args);
  // WAITAOF (7.2+) may be missing from the table the library was generated from.
  if (spec === undefined) return name.length === 7 && name.toLowerCase() === 'waitaof';
  switch (spec.name) {
    case 'xread':
    case 'xreadgroup':
      return scanStreamOptions(args).block;
    case 'wait':
    case 'waitaof':
      return true;
    default:
      return (spec.flags & BLOCKING) !== 0;
  }
}

function compile(spec: Spec): KeyFinder {
  const movable = movableKeyFinder(spec.name);
  if (movable !== undefined) return movable;
  const usable = spec.keySpecs.filter((k) => k.begin.kind !== 'unknown' && k.find.kind !== 'unknown');
  if (usable.length === 0) return () => NONE;
  const fixed = fixedPositions(usable);
  if (fixed === null) return (args) => keysFromSpecs(usable, args);
  if (fixed.length === 1) {
    const only = single(fixed[0]!);
    return (args) => (args.length > only[0]! ? only : NONE);
  }
  const frozen = Object.freeze(fixed);
  const needed = Math.max(...fixed) + 1;
  return (args) => (args.length >= needed ? frozen : frozen.filter((i) => i < args.length));
}

/** Positions (into args) when every spec is an index with a non-negative last key; else null. */
function fixedPositions(specs: readonly KeySpec[]): number[] | null {
  const out: number[] = [];
  for (const { begin, find } of specs) {
    if (begin.kind !== 'index' || find.kind !== 'range' || find.lastKey < 0) return null;
    for (let i = begin.index; i <= begin.index + find.lastKey; i += Math.max(1, find.keyStep)) out.push(i - 1);
  }
  return out;
}

/** The server's key-spec walk over argv (argv[i] = args[i - 1]); invalid specs add nothing. */
function keysFromSpecs(specs: readonly KeySpec[], args: readonly RedisArg[]): number[] {
  const argc = args.length + 1;
  const out: number[] = [];
  for (const { begin, find } of specs) {
    let first = 0;
    if (begin.kind === 'index') first = begin.index;
    else if (begin.kind === 'keyword') {
      // Forward searches stop before the last argument (a keyword there has no keys after it).
      if (begin.startFrom > 0) {
        for (let i = begin.startFrom; i < argc - 1; i++) {
          if (isWord(args[i - 1]!, begin.keyword)) {
            first = i + 1;
            break;
          }
        }
      } else {
        for (let i = argc + begin.startFrom; i >= 1; i--) {
          if (isWord(args[i - 1]!, begin.keyword)) {
            first = i + 1;
            break;
          }
        }
      }
      if (first === 0) continue;
    } else continue;

    let last: number;
    let step: number;
    if (find.kind === 'range') {
      step = find.keyStep;
      if (find.lastKey >= 0) last = first + find.lastKey;
      else if (find.limit === 0) last = argc + find.lastKey;
      else last = first + Math.floor((argc - first) / find.limit) + find.lastKey;
    } else if (find.kind === 'keynum') {
      step = find.keyStep;
      if (find.keyNumIndex >= argc - first) continue;
      const numKeys = toCount(args[first + find.keyNumIndex - 1]!);
      if (numKeys < 0) continue;
      first += find.firstKey;
      last = first + (numKeys - 1) * step;
    } else continue;

    if (last < first || first >= argc || step < 1) continue;
    for (let i = first; i <= last && i < argc; i += step) out.push(i - 1);
  }
  return out;
}
