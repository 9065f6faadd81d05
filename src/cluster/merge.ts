/**
 * Puts the replies of a plan's sub-batches back into one array in the caller's order.
 * Pure: a MergeState is filled entry by entry — first from each node's replies, then again for
 * entries the coordinator retried alone after MOVED/ASK/TRYAGAIN (a later `set` replaces the
 * earlier reply) — and `result()` assembles:
 *
 *   whole     the entry's reply as is; an error reply stays a value at its index
 *   split     MGET: part replies placed back by key ordinal; others by the response policy
 *             (DEL/UNLINK/EXISTS/TOUCH agg_sum, MSET all_succeeded); any failed part fails it
 *   fan-out   by the response policy: one_succeeded, all_succeeded, agg_logical_and/or,
 *             agg_min/max/sum (element-wise over arrays), special → the list of replies;
 *             no policy → arrays concatenated (KEYS), anything else the list of replies
 *   refused   the plan's error
 *
 * Must not import connections, sockets or timers.
 */
import { ClusterError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import type { ResponsePolicy } from '../commands/keys.js';
import type { Assembly, BatchPlan, EntryRef, NodeBatch } from './plan.js';

/** A reply or the reason there is none (a ReplyError from the server, a ConnectionError...). */
export type Reply = RespValue | Error;

const UNSET: unique symbol = Symbol('unset');
type Slot = Reply | typeof UNSET;

export class MergeState {
  readonly #plan: BatchPlan;
  /** Replies of whole entries, by the caller's index. */
  readonly #whole: Slot[];
  /** Replies of parts (split or fan-out), by the caller's index then part number. */
  readonly #parts: Array<Slot[] | undefined>;
  #missing = 0;

  constructor(plan: BatchPlan) {
    this.#plan = plan;
    this.#whole = new Array<Slot>(plan.total).fill(UNSET);
    this.#parts = new Array<Slot[] | undefined>(plan.total);
    for (let i = 0; i < plan.total; i++) {
      const a = plan.assembly[i]!;
      switch (a.kind) {
        case 'whole':
          this.#missing++;
          break;
        case 'split':
        case 'fan-out': {
          const n = a.kind === 'split' ? a.parts.length : a.nodes.length;
          this.#parts[i] = new Array<Slot>(n).fill(UNSET);
          this.#missing += n;
          break;
        }
        case 'refused':
          this.#whole[i] = a.error;
          break;
      }
    }
  }

  /** Stores (or replaces) the reply of one sent entry. */
  set(ref: EntryRef, reply: Reply): void {
    if (ref.kind === 'whole') {
      if (this.#plan.assembly[ref.index]?.kind !== 'whole') throw new RangeError(`no whole entry #${ref.index} in this plan`);
      if (this.#whole[ref.index] === UNSET) this.#missing--;
      this.#whole[ref.index] = reply;
      return;
    }
    const parts = this.#parts[ref.index];
    if (parts === undefined || ref.part < 0 || ref.part >= parts.length) {
      throw new RangeError(`no part ${ref.part} of entry #${ref.index} in this plan`);
    }
    if (parts[ref.part] === UNSET) this.#missing--;
    parts[ref.part] = reply;
  }

  /** A node's replies in the order of its sub-batch, or one error for all of them. */
  setNode(batch: NodeBatch, replies: readonly Reply[] | Error): void {
    for (let i = 0; i < batch.refs.length; i++) {
      this.set(batch.refs[i]!, replies instanceof Error ? replies : i < replies.length ? replies[i]! : missingReply());
    }
  }

  /** The reply stored for an entry so far (undefined if none), e.g. to look for MOVED. */
  get(ref: EntryRef): Reply | undefined {
    const slot = ref.kind === 'whole' ? this.#whole[ref.index] : this.#parts[ref.index]?.[ref.part];
    return slot === UNSET ? undefined : slot;
  }

  /** Entries still without a reply. */
  get missing(): number {
    return this.#missing;
  }

  get complete(): boolean {
    return this.#missing === 0;
  }

  /** One reply per caller's command, in the caller's order. Missing replies become errors. */
  result(): Reply[] {
    const out = new Array<Reply>(this.#plan.total);
    for (let i = 0; i < out.length; i++) {
      const a = this.#plan.assembly[i]!;
      if (a.kind === 'whole' || a.kind === 'refused') {
        const r = this.#whole[i]!;
        out[i] = r === UNSET ? missingReply() : r;
        continue;
      }
      const parts = this.#parts[i]!.map((r) => (r === UNSET ? missingReply() : r));
      out[i] = a.kind === 'split' ? assembleSplit(a, parts) : aggregate(a.response, parts);
    }
    return out;
  }
}

/** Replies keyed by NodeBatch.key; a node's value is its replies in order, or one error. */
export function mergeReplies(plan: BatchPlan, repliesByNode: ReadonlyMap<string, readonly Reply[] | Error>): Reply[] {
  const state = new MergeState(plan);
  for (const batch of plan.nodes) {
    const replies = repliesByNode.get(batch.key);
    if (replies !== undefined) state.setNode(batch, replies);
  }
  return state.result();
}

function missingReply(): ClusterError {
  return new ClusterError('no reply was received for this command');
}

function firstError(replies: readonly Reply[]): Error | undefined {
  for (const r of replies) if (r instanceof Error) return r;
  return undefined;
}

function assembleSplit(a: Extract<Assembly, { kind: 'split' }>, parts: readonly Reply[]): Reply {
  if (a.response !== undefined) return aggregate(a.response, parts);
  const failed = firstError(parts);
  if (failed !== undefined) return failed;
  const out = new Array<RespValue>(a.keyCount);
  for (let p = 0; p < parts.length; p++) {
    const reply = parts[p];
    const ordinals = a.parts[p]!.keyOrdinals;
    if (!Array.isArray(reply) || reply.length !== ordinals.length) {
      return new ClusterError(`a part of a split command replied ${describe(reply)}, expected ${ordinals.length} values`);
    }
    for (let j = 0; j < ordinals.length; j++) out[ordinals[j]!] = reply[j]!;
  }
  return out;
}

/** Combines the replies of the parts of one command per its response policy. */
export function aggregate(policy: ResponsePolicy | undefined, replies: readonly Reply[]): Reply {
  if (policy === 'one_succeeded') {
    for (const r of replies) if (!(r instanceof Error)) return r;
    return replies[0] ?? missingReply();
  }
  const failed = firstError(replies);
  if (failed !== undefined) return failed;
  const values = replies as readonly RespValue[];
  switch (policy) {
    case 'all_succeeded':
      return values[0] ?? missingReply();
    case 'agg_logical_and':
    case 'agg_logical_or':
    case 'agg_min':
    case 'agg_max':
    case 'agg_sum': {
      if (values.length === 0) return missingReply();
      let acc: Reply = values[0]!;
      for (let i = 1; i < values.length && !(acc instanceof Error); i++) acc = combine(policy, acc, values[i]!);
      return acc;
    }
    case 'special':
      return [...values];
    case undefined:
      // The server's default for keyless commands: array replies are concatenated (KEYS).
      if (values.length > 0 && values.every(Array.isArray)) return (values as RespValue[][]).flat(1);
      return [...values];
  }
}

type Numeric = 'agg_logical_and' | 'agg_logical_or' | 'agg_min' | 'agg_max' | 'agg_sum';

function combine(policy: Numeric, a: RespValue, b: RespValue): Reply {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return new ClusterError(`cannot ${policy} arrays of ${a.length} and ${b.length} values`);
    const out = new Array<RespValue>(a.length);
    for (let i = 0; i < a.length; i++) {
      const r = combine(policy, a[i]!, b[i]!);
      if (r instanceof Error) return r;
      out[i] = r;
    }
    return out;
  }
  if (policy === 'agg_logical_and' || policy === 'agg_logical_or') {
    const x = truth(a);
    const y = truth(b);
    if (x === undefined || y === undefined) return new ClusterError(`cannot ${policy} ${describe(a)} and ${describe(b)}`);
    const r = policy === 'agg_logical_and' ? x && y : x || y;
    return typeof a === 'boolean' ? r : r ? 1 : 0;
  }
  const isNum = (v: RespValue): v is number | bigint => typeof v === 'number' || typeof v === 'bigint';
  if (!isNum(a) || !isNum(b)) return new ClusterError(`cannot ${policy} ${describe(a)} and ${describe(b)}`);
  if (typeof a === 'number' && typeof b === 'number') {
    return policy === 'agg_sum' ? a + b : policy === 'agg_min' ? Math.min(a, b) : Math.max(a, b);
  }
  const x = BigInt(a);
  const y = BigInt(b);
  return policy === 'agg_sum' ? x + y : policy === 'agg_min' ? (x < y ? x : y) : x > y ? x : y;
}

function truth(v: RespValue): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  return undefined;
}

function describe(v: Reply | undefined): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  if (Buffer.isBuffer(v)) return 'a buffer';
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
}
