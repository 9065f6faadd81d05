/**
 * The bookkeeping of bulk() (batch/bulk.ts), as data: which chunks of the source are out, how
 * many commands each node has in flight, which replies may be handed to the consumer next, and
 * when the run must stop. Pure: no I/O, no timers, no promises; bulk.ts asks and acts.
 *
 *   source ─▶ chunk 0 [0, 1000)    A 340  B 330  C 330  ┐ sent: each node's share counts
 *             chunk 1 [1000, 2000) A 335  B 332  C 333  │ against its window until answered
 *             chunk 2 [2000, 2600) answered ────────────┘ waits in the reorder buffer
 *                        │
 *   consumer ◀── chunk 0 once answered, then 1, then 2: the source's order, across nodes
 *
 * Two bounds, both counted in commands:
 *   window       per node: sent to it and not yet answered. A chunk is sent only when each of
 *                its nodes has room (a node with nothing in flight always has room).
 *   maxPending   across nodes: read from the source and not yet handed to the consumer. This
 *                bounds the reorder buffer: a slow node holds delivery at its oldest command,
 *                the other nodes run ahead until maxPending commands wait, then reading stops
 *                until the slow node answers. A slow consumer stops reading the same way.
 * Memory is therefore O(maxPending) whatever the source's length.
 */
import { ClusterError, ConnectionError, InvalidOptionError, ProtocolError, TimeoutError } from '../errors.js';

/** How many commands of a chunk go to one node (the key names the node; '' on a single server). */
export type NodeLoads = ReadonlyArray<readonly [node: string, count: number]>;

export interface BulkLimits {
  /** Most commands in flight per node. */
  readonly window: number;
  /** Most commands read and not yet delivered, across nodes. */
  readonly maxPending: number;
  /** Commands per chunk: what one read of the source gathers and one plan splits. */
  readonly chunk: number;
}

/** Defaults: enough in flight to keep a server busy, little enough to stay a few MB. */
export const DEFAULT_WINDOW = 4000;
/**
 * maxPending defaults to this many windows. Four let a 3-primary cluster hold 12,000 commands in
 * flight: at 10,000,000 SETs that ran at 389k/s with 203 MB peak RSS (the in-flight commands
 * outlive young-generation collections and fill the old one; the heap after a full GC stayed at
 * 15 MB); two ran at 858k/s in 122 MB. One server is no different either way (window-bound).
 */
export const PENDING_WINDOWS = 2;

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(name, `Option ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * The limits of a run from the caller's options; throws InvalidOptionError on a bad one.
 * `maxWindow` is what one connection queues before it refuses (maxOfflineQueue): a node
 * connection still opening holds a whole window, and a larger one would be refused in part.
 */
export function bulkLimits(window: unknown, maxPending: unknown, maxBatch: number, maxWindow = Number.POSITIVE_INFINITY): BulkLimits {
  const w = positiveInteger('window', window, Math.min(DEFAULT_WINDOW, maxWindow));
  if (w > maxWindow) {
    throw new InvalidOptionError('window', `Option window (${w}) must not exceed maxOfflineQueue (${maxWindow}): a connection still opening would refuse the rest`);
  }
  const p = positiveInteger('maxPending', maxPending, w * PENDING_WINDOWS);
  // A chunk never exceeds a window, so a node with nothing in flight can always take one.
  return { window: w, maxPending: p, chunk: Math.max(1, Math.min(maxBatch, w, p)) };
}

/**
 * A reply that means the command got no answer: the connection, a timeout, the cluster's bounds.
 * Nothing later is sent after one, since it would run after a command that may not have (the
 * rule of batch/slices.ts). Error replies and refusals are not: they stay in place and the run goes on.
 */
export function isUnanswered(reply: unknown): boolean {
  if (!(reply instanceof Error)) return false;
  if (reply instanceof ConnectionError || reply instanceof TimeoutError || reply instanceof ProtocolError) return true;
  return reply instanceof ClusterError && (reply.reason === 'redirects' || reply.reason === 'no-owner' || reply.reason === 'failing-over');
}

/** A run of consecutive source entries, sent together. */
export interface Chunk {
  /** Source index of its first entry. */
  readonly first: number;
  readonly size: number;
  readonly loads: NodeLoads;
  /** One reply per entry once answered. */
  replies: readonly unknown[] | undefined;
  /** loads[i] no longer counts against its node: that node answered its share. */
  readonly released: boolean[];
}

export class BulkWindow {
  readonly limits: BulkLimits;
  /** Chunks read and not yet delivered, in source order: the reorder buffer. */
  readonly #chunks: Chunk[] = [];
  #head = 0;
  readonly #inFlight = new Map<string, number>();
  #pending = 0;
  #unanswered = 0;
  #next = 0;

  constructor(limits: BulkLimits) {
    this.limits = limits;
  }

  /** Commands read and not yet delivered. */
  get pending(): number {
    return this.#pending;
  }

  /** Chunks sent and not yet answered. */
  get unanswered(): number {
    return this.#unanswered;
  }

  /** Source index of the next entry to read. */
  get read(): number {
    return this.#next;
  }

  inFlight(node: string): number {
    return this.#inFlight.get(node) ?? 0;
  }

  /** Room to read one more chunk from the source. */
  canRead(): boolean {
    return this.#pending === 0 || this.#pending + this.limits.chunk <= this.limits.maxPending;
  }

  /** Every node of `loads` has room for its share (or nothing in flight). */
  fits(loads: NodeLoads): boolean {
    for (const [node, count] of loads) {
      const now = this.#inFlight.get(node) ?? 0;
      if (now > 0 && now + count > this.limits.window) return false;
    }
    return true;
  }

  /** Records a chunk of the next `size` entries as sent with `loads`; answer it later. */
  open(size: number, loads: NodeLoads): Chunk {
    const chunk: Chunk = { first: this.#next, size, loads, replies: undefined, released: new Array<boolean>(loads.length).fill(false) };
    this.#next += size;
    this.#pending += size;
    this.#unanswered++;
    for (const [node, count] of loads) this.#inFlight.set(node, (this.#inFlight.get(node) ?? 0) + count);
    this.#chunks.push(chunk);
    return chunk;
  }

  /**
   * `node` answered its share of the chunk (its first attempt): it gets that room back now,
   * though the chunk still waits for its other nodes. Without it, a slow node would hold the
   * room of every node it shares chunks with.
   */
  release(chunk: Chunk, node: string): void {
    for (let i = 0; i < chunk.loads.length; i++) {
      if (chunk.loads[i]![0] !== node || chunk.released[i] === true) continue;
      chunk.released[i] = true;
      const left = (this.#inFlight.get(node) ?? 0) - chunk.loads[i]![1];
      if (left > 0) this.#inFlight.set(node, left);
      else this.#inFlight.delete(node);
    }
  }

  /** The chunk's replies arrived (in any order among chunks): its nodes get their room back. */
  answer(chunk: Chunk, replies: readonly unknown[]): void {
    if (chunk.replies !== undefined) throw new RangeError(`chunk at ${chunk.first} was already answered`);
    if (replies.length !== chunk.size) throw new RangeError(`chunk at ${chunk.first} got ${replies.length} replies for ${chunk.size} entries`);
    chunk.replies = replies;
    this.#unanswered--;
    for (const [node] of chunk.loads) this.release(chunk, node);
  }

  /** The oldest undelivered chunk, if it is answered: the only one that may be delivered. */
  head(): Chunk | undefined {
    const chunk = this.#chunks[this.#head];
    return chunk?.replies !== undefined ? chunk : undefined;
  }

  /** The head was handed to the consumer: its entries leave the reorder buffer. */
  delivered(): Chunk {
    const chunk = this.head();
    if (chunk === undefined) throw new RangeError('no answered chunk to deliver');
    this.#chunks[this.#head++] = undefined as unknown as Chunk;
    // Compact now and then rather than shift() per chunk.
    if (this.#head >= 64 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks.splice(0, this.#head);
      this.#head = 0;
    }
    this.#pending -= chunk.size;
    return chunk;
  }
}
