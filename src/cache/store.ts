/**
 * The client-side cache of one connection: a bounded LRU (second chance) of reply values, the reads in flight,
 * and the rules that keep an entry from outliving its invalidation. Pure: no I/O, no timers;
 * the clock is passed in. The connection calls it (connection/cached-send.ts); it never calls out.
 *
 * The race rules. A read on a miss is sent with a ticket: the cache clock when it was sent.
 * Every invalidation ticks the clock and stamps the reads of that key still in flight; a flush
 * ticks it and stamps everything. When the reply comes, an entry is stored only if neither its
 * key nor the whole cache was stamped after the ticket:
 *
 *   sent GET k (ticket 7) ── invalidate k (clock 8, k stamped 8) ── reply v ──▶ 8 > 7: not stored
 *   sent GET k (ticket 7) ── reply v ──▶ stored ── invalidate k ──▶ dropped
 *
 * So a value read before an invalidation that arrived ahead of its reply (in the same chunk, or
 * from this client's own write sent behind it) is handed to its caller but never served again.
 * The stamps live only while a key has reads in flight, so memory stays bounded by the entries
 * plus the reads in flight.
 */
import type { RespValue } from '../resp/types.js';
import type { ResolvedCacheOptions } from './options.js';

/** The client-side cache counters of `cacheStats()` (summed over nodes on a cluster). */
export interface CacheStats {
  /** Reads answered from the cache. */
  hits: number;
  /** Cacheable reads sent to the server. */
  misses: number;
  /** Entries dropped for room (maxEntries, least recently used first) or age (ttlMs). */
  evictions: number;
  /** Keys dropped by an invalidation (the server's, or this client's own write) while cached or being read. */
  invalidations: number;
  /** Whole-cache flushes that dropped something (entries, or reads in flight): reconnects, lost connections, null invalidations, FLUSHALL, failovers. */
  flushes: number;
  /** Entries held now. */
  entries: number;
}

export function emptyStats(): CacheStats {
  return { hits: 0, misses: 0, evictions: 0, invalidations: 0, flushes: 0, entries: 0 };
}

/** Adds `b` into `a` (the cluster sums its nodes). */
export function addStats(a: CacheStats, b: Readonly<CacheStats>): CacheStats {
  a.hits += b.hits;
  a.misses += b.misses;
  a.evictions += b.evictions;
  a.invalidations += b.invalidations;
  a.flushes += b.flushes;
  a.entries += b.entries;
  return a;
}

/** A read that missed: what to store, under which names, if the race rules allow it. */
export interface Ticket {
  readonly keys: readonly string[];
  readonly entries: readonly string[];
  readonly clock: number;
  /** When the read was sent: an entry's age counts from here (the value is at least this old). */
  readonly sentAt: number;
}

interface Entry {
  readonly key: string;
  readonly value: RespValue;
  readonly sentAt: number;
  /** Read since it was stored or last given a second chance (see #evictOne). */
  used: boolean;
}

interface InFlight {
  reads: number;
  /** Clock of the last invalidation of this key while reads were in flight; 0 = none. */
  stamped: number;
}

export class ClientCache {
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  /** Oldest first (insertion order); a hit only marks its entry, see #evictOne. */
  readonly #entries = new Map<string, Entry>();
  readonly #byKey = new Map<string, Set<string>>();
  readonly #inFlight = new Map<string, InFlight>();
  #clock = 1;
  #flushedAt = 0;
  readonly #stats = emptyStats();

  constructor(options: ResolvedCacheOptions) {
    this.#maxEntries = options.maxEntries;
    this.#ttlMs = options.ttlMs;
  }

  get stats(): CacheStats {
    return { ...this.#stats, entries: this.#entries.size };
  }

  /**
   * The values of `entries` when every one is held and young enough (a hit, counted), else a
   * ticket for the read about to be sent (a miss, counted). Every ticket must be closed once
   * with complete() or abandon().
   */
  lookup(keys: readonly string[], entries: readonly string[], now: number): RespValue[] | Ticket {
    const values = this.#find(entries, now);
    if (values !== undefined) {
      this.#stats.hits++;
      return values;
    }
    this.#stats.misses++;
    for (const k of keys) {
      const f = this.#inFlight.get(k);
      if (f === undefined) this.#inFlight.set(k, { reads: 1, stamped: 0 });
      else f.reads++;
    }
    return { keys, entries, clock: this.#clock, sentAt: now };
  }

  #find(entries: readonly string[], now: number): RespValue[] | undefined {
    const out = new Array<RespValue>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const name = entries[i]!;
      const e = this.#entries.get(name);
      if (e === undefined) return undefined;
      if (this.#ttlMs > 0 && now - e.sentAt > this.#ttlMs) {
        this.#drop(name, e);
        this.#stats.evictions++;
        return undefined;
      }
      out[i] = e.value;
    }
    // Only a full hit counts as a use: a partial one is sent whole anyway.
    for (const name of entries) this.#entries.get(name)!.used = true;
    return out;
  }

  /** The reply came: `values[i]` for `ticket.entries[i]`, each stored unless the race rules say no. */
  complete(ticket: Ticket, values: readonly RespValue[]): void {
    for (let i = 0; i < ticket.entries.length; i++) {
      const key = ticket.keys[i]!;
      if (this.#mayStore(ticket, key)) this.#store(ticket.entries[i]!, key, values[i]!, ticket.sentAt);
    }
    this.#close(ticket);
  }

  /** No reply to store (an error reply, a lost connection, a timeout). */
  abandon(ticket: Ticket): void {
    this.#close(ticket);
  }

  #mayStore(ticket: Ticket, key: string): boolean {
    if (this.#flushedAt > ticket.clock) return false;
    const f = this.#inFlight.get(key);
    return f === undefined || f.stamped <= ticket.clock;
  }

  #close(ticket: Ticket): void {
    for (const k of ticket.keys) {
      const f = this.#inFlight.get(k);
      if (f !== undefined && --f.reads <= 0) this.#inFlight.delete(k);
    }
  }

  #store(name: string, key: string, value: RespValue, sentAt: number): void {
    const old = this.#entries.get(name);
    if (old !== undefined) this.#entries.delete(name);
    // Room is made before the new entry goes in, so it is never the one evicted.
    else while (this.#entries.size >= this.#maxEntries) this.#evictOne();
    this.#entries.set(name, { key, value, sentAt, used: false });
    let names = this.#byKey.get(key);
    if (names === undefined) this.#byKey.set(key, (names = new Set()));
    names.add(name);
  }

  /**
   * Least recently used first, by second chance (CLOCK): a hit only sets `used`, which costs
   * nothing on the hot path; the oldest entry that was used since it was stored or last spared
   * goes to the back with `used` cleared, and the first unused one is evicted. Each entry is
   * spared at most once, so this ends within two sweeps of the entries.
   */
  #evictOne(): void {
    for (const [name, e] of this.#entries) {
      this.#entries.delete(name);
      if (e.used) {
        e.used = false;
        this.#entries.set(name, e);
        continue;
      }
      this.#removeFromKey(name, e);
      this.#stats.evictions++;
      return;
    }
  }

  #drop(name: string, e: Entry): void {
    this.#entries.delete(name);
    this.#removeFromKey(name, e);
  }

  #removeFromKey(name: string, e: Entry): void {
    const names = this.#byKey.get(e.key);
    if (names === undefined) return;
    names.delete(name);
    if (names.size === 0) this.#byKey.delete(e.key);
  }

  /** These keys changed (the server said so, or this client is writing them). */
  invalidate(keys: readonly string[]): void {
    this.#clock++;
    for (const key of keys) {
      const f = this.#inFlight.get(key);
      if (f !== undefined) f.stamped = this.#clock;
      const names = this.#byKey.get(key);
      if (names !== undefined) {
        this.#byKey.delete(key);
        for (const name of names) this.#entries.delete(name);
      }
      if (f !== undefined || names !== undefined) this.#stats.invalidations++;
    }
  }

  /** Nothing held can be trusted any more, nor any read in flight. */
  flush(): void {
    this.#clock++;
    this.#flushedAt = this.#clock;
    if (this.#entries.size > 0 || this.#inFlight.size > 0) this.#stats.flushes++;
    this.#entries.clear();
    this.#byKey.clear();
  }
}
