/**
 * The desired side of Pub/Sub: per kind of subscription, each name and the listeners on it.
 * The server must hold exactly the names listed here; add() and remove() say which names that
 * changes, so the caller sends SUBSCRIBE / UNSUBSCRIBE for those only. Pure: no connection.
 */
import type { PubSubMessage, SubscriptionKind } from './frames.js';

/** A Pub/Sub listener: called with each message of the channels, patterns or shard channels it was given. */
export type PubSubListener = (message: PubSubMessage) => void;

export class Registry {
  readonly #byKind: Record<SubscriptionKind, Map<string, Set<PubSubListener>>> = { channel: new Map(), pattern: new Map(), shard: new Map() };

  /** Adds `listener` on `names`; returns the names that were not subscribed before (to send). */
  add(kind: SubscriptionKind, names: readonly string[], listener: PubSubListener): string[] {
    const map = this.#byKind[kind];
    const fresh: string[] = [];
    for (const name of names) {
      let set = map.get(name);
      if (set === undefined) {
        set = new Set();
        map.set(name, set);
        fresh.push(name);
      }
      set.add(listener);
    }
    return fresh;
  }

  /**
   * Removes `listener` (or every listener when undefined) from `names` (or from every name of
   * the kind when undefined); returns the names left with no listener (to unsubscribe).
   */
  remove(kind: SubscriptionKind, names: readonly string[] | undefined, listener: PubSubListener | undefined): string[] {
    const map = this.#byKind[kind];
    const gone: string[] = [];
    for (const name of names ?? [...map.keys()]) {
      const set = map.get(name);
      if (set === undefined) continue;
      if (listener !== undefined) set.delete(listener);
      if (listener === undefined || set.size === 0) {
        map.delete(name);
        gone.push(name);
      }
    }
    return gone;
  }

  listeners(kind: SubscriptionKind, name: string): ReadonlySet<PubSubListener> | undefined {
    return this.#byKind[kind].get(name);
  }

  has(kind: SubscriptionKind, name: string): boolean {
    return this.#byKind[kind].has(name);
  }

  names(kind: SubscriptionKind): string[] {
    return [...this.#byKind[kind].keys()];
  }

  /** Whether `listener` still listens to anything (an iterator ends when it does not). */
  holds(listener: PubSubListener): boolean {
    for (const map of Object.values(this.#byKind)) for (const set of map.values()) if (set.has(listener)) return true;
    return false;
  }

  clear(): void {
    for (const map of Object.values(this.#byKind)) map.clear();
  }
}
