/**
 * Pub/Sub as the user sees it, the same for the standalone and the cluster client: the
 * subscribe / unsubscribe calls and their arguments, the listeners (registry.ts), the iterator
 * form (stream.ts), and the delivery of a message to the listeners of its name. Where a
 * subscription lives on the server is a Router's business (lane.ts for one server,
 * cluster/pubsub.ts for a cluster), which calls deliver() with what its connections receive.
 * Must not import the client or cluster modules.
 */
import { ArgumentTypeError, UsageError } from '../errors.js';
import type { PubSubMessage, SubscriptionKind } from './frames.js';
import { Registry, type PubSubListener } from './registry.js';
import { MessageStream } from './stream.js';

/** Where subscriptions are held on the server: told which names to add or drop, per kind. */
export interface PubSubRouter {
  /** Resolves once the server confirmed every name (or rejects with why it did not). */
  subscribe(kind: SubscriptionKind, names: readonly string[]): Promise<void>;
  unsubscribe(kind: SubscriptionKind, names: readonly string[]): Promise<void>;
}

/** Options of the iterator form: `client.subscribe('ch', { bufferSize: 10_000 })`. */
export interface SubscriptionOptions {
  /**
   * Messages the iterator holds unread before it gives up (default 1024). A message arriving to
   * a full buffer is lost, the subscription is removed, and the iterator throws
   * PubSubOverflowError once the buffered messages are read.
   */
  readonly bufferSize?: number;
}

/**
 * A subscription in iterator form: `for await (const m of client.subscribe('ch'))`. The loop
 * ends (done) on `unsubscribe()`, on the client's unsubscribe of its names, and on close();
 * leaving the loop (break, throw) unsubscribes it.
 */
export interface Subscription extends AsyncIterableIterator<PubSubMessage> {
  /** Resolves once the server confirmed the subscription (messages published after it arrive). */
  readonly ready: Promise<void>;
  /** Ends the iterator and drops its names (if no other listener has them). */
  unsubscribe(): Promise<void>;
}

/** The 'resubscribed' event: what was subscribed again on a new connection, and where. */
export interface ResubscribedEvent {
  /** 'host:port' of the server that holds them now. */
  readonly server: string;
  readonly channels: readonly string[];
  readonly patterns: readonly string[];
  readonly shardChannels: readonly string[];
}

const DEFAULT_BUFFER = 1024;

/** One channel (pattern, shard channel) or several. */
export type ChannelArg = string | readonly string[];

/** The names of a call, checked: non-empty strings, duplicates removed. */
export function namesOf(method: string, given: unknown): string[] {
  const list = typeof given === 'string' ? [given] : Array.isArray(given) ? (given as unknown[]) : undefined;
  if (list === undefined) throw new ArgumentTypeError(method, 0, given, 'shape', 'expects a channel name or an array of names');
  if (list.length === 0) throw new ArgumentTypeError(method, 0, given, 'count', 'at least one name is required');
  list.forEach((n, i) => {
    if (typeof n !== 'string' || n.length === 0) throw new ArgumentTypeError(method, i, n, 'shape', 'a name must be a non-empty string');
  });
  return [...new Set(list as string[])];
}

export class PubSubHub {
  readonly registry = new Registry();
  readonly #router: PubSubRouter;
  readonly #report: (error: Error) => void;
  /** The listeners behind iterators, to end them when their names go. */
  readonly #streams = new Map<PubSubListener, MessageStream<PubSubMessage>>();
  #closed = false;

  constructor(router: PubSubRouter, report: (error: Error) => void) {
    this.#router = router;
    this.#report = report;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The listener form resolves once confirmed; the iterator form returns a Subscription at once. */
  subscribe(method: string, kind: SubscriptionKind, given: unknown, listenerOrOptions: unknown): Promise<void> | Subscription {
    if (typeof listenerOrOptions === 'function') {
      let names: string[];
      try {
        names = namesOf(method, given);
      } catch (error) {
        return Promise.reject(error);
      }
      return this.#add(kind, names, listenerOrOptions as PubSubListener);
    }
    // The iterator form returns synchronously, so a bad argument throws here.
    const names = namesOf(method, given);
    if (listenerOrOptions !== undefined && (listenerOrOptions === null || typeof listenerOrOptions !== 'object')) {
      throw new ArgumentTypeError(method, 1, listenerOrOptions, 'shape', 'the second argument is a listener function or { bufferSize }');
    }
    const size = (listenerOrOptions as SubscriptionOptions | undefined)?.bufferSize ?? DEFAULT_BUFFER;
    if (!Number.isInteger(size) || size < 1) throw new ArgumentTypeError(method, 1, size, 'shape', 'bufferSize must be a positive integer');
    return this.#iterate(kind, names, size);
  }

  #add(kind: SubscriptionKind, names: readonly string[], listener: PubSubListener): Promise<void> {
    if (this.#closed) return Promise.reject(new UsageError('subscribe: the client is closed'));
    const fresh = this.registry.add(kind, names, listener);
    if (fresh.length === 0) return Promise.resolve();
    // Refused or lost: the call rejects, so the listener is not left behind on those names.
    return this.#router.subscribe(kind, fresh).catch((error: unknown) => {
      // Not through #remove: an iterator on these names ends with this error, not cleanly.
      const gone = this.registry.remove(kind, fresh, listener);
      if (gone.length > 0 && !this.#closed) void this.#router.unsubscribe(kind, gone).catch(() => undefined);
      throw error;
    });
  }

  #iterate(kind: SubscriptionKind, names: readonly string[], bufferSize: number): Subscription {
    const listener: PubSubListener = (m) => stream.push(m);
    const leave = (): Promise<void> => {
      this.#streams.delete(listener);
      return this.#remove(kind, names, listener);
    };
    const stream = new MessageStream<PubSubMessage>(bufferSize, () => void leave().catch((e: unknown) => this.#report(asError(e))));
    this.#streams.set(listener, stream);
    const ready = this.#add(kind, names, listener);
    // A refused subscription ends the loop with the reason.
    ready.catch((error: unknown) => {
      stream.end(asError(error));
      this.#streams.delete(listener);
    });
    return Object.assign(stream, {
      ready,
      unsubscribe: async (): Promise<void> => {
        stream.end();
        if (this.#streams.delete(listener)) await this.#remove(kind, names, listener);
      },
    });
  }

  /**
   * unsubscribe(), unsubscribe(names), unsubscribe(names, listener), unsubscribe(listener):
   * what listeners to drop where; names left without listeners are unsubscribed on the server.
   */
  unsubscribe(method: string, kind: SubscriptionKind, a: unknown, b: unknown): Promise<void> {
    let names: string[] | undefined;
    let listener: PubSubListener | undefined;
    try {
      if (typeof a === 'function') listener = a as PubSubListener;
      else if (a !== undefined) names = namesOf(method, a);
      if (b !== undefined) {
        if (typeof b !== 'function') throw new ArgumentTypeError(method, 1, b, 'shape', 'the second argument is the listener to remove');
        listener = b as PubSubListener;
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#remove(kind, names, listener);
  }

  #remove(kind: SubscriptionKind, names: readonly string[] | undefined, listener: PubSubListener | undefined): Promise<void> {
    const gone = this.registry.remove(kind, names, listener);
    // Iterators whose names are all gone end cleanly.
    for (const [l, stream] of this.#streams) {
      if (!this.registry.holds(l)) {
        stream.end();
        this.#streams.delete(l);
      }
    }
    if (gone.length === 0 || this.#closed) return Promise.resolve();
    return this.#router.unsubscribe(kind, gone);
  }

  /** A message for `key` (a channel, or the pattern that matched) goes to each of its listeners. */
  deliver(kind: SubscriptionKind, key: string, message: PubSubMessage): void {
    const listeners = this.registry.listeners(kind, key);
    if (listeners === undefined) return; // unsubscribed while the message was on its way
    for (const l of listeners) {
      try {
        l(message);
      } catch (error) {
        // A listener that throws must not cost the others their message, nor the connection.
        this.#report(asError(error));
      }
    }
  }

  /** Every iterator ends (done); nothing is unsubscribed on the server (its connection is going). */
  close(): void {
    this.#closed = true;
    for (const stream of this.#streams.values()) stream.end();
    this.#streams.clear();
    this.registry.clear();
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
