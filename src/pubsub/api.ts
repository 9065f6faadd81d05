/**
 * The Pub/Sub methods as one typed interface, implemented by the standalone and the cluster
 * client (each forwards to its PubSubHub): the overloads are declared once, here.
 */
import type { PubSubListener } from './registry.js';
import type { ChannelArg, Subscription, SubscriptionOptions } from './hub.js';

/** Pub/Sub on the client, the cluster and the Sentinel client: listeners or `for await`; see docs/pubsub.md. */
export interface PubSubMethods {
  /** SUBSCRIBE: `listener` gets `{ channel, message }`; resolves once the server confirmed. */
  subscribe(channels: ChannelArg, listener: PubSubListener): Promise<void>;
  /** The iterator form: `for await (const m of client.subscribe('ch'))`. */
  subscribe(channels: ChannelArg, options?: SubscriptionOptions): Subscription;
  /** PSUBSCRIBE: `listener` gets `{ channel, message, pattern }`. */
  psubscribe(patterns: ChannelArg, listener: PubSubListener): Promise<void>;
  /** The iterator form of psubscribe: `for await (const m of client.psubscribe('news.*'))`. */
  psubscribe(patterns: ChannelArg, options?: SubscriptionOptions): Subscription;
  /** SSUBSCRIBE (Redis 7+): shard channels, held on the owner of each channel's slot. */
  ssubscribe(shardChannels: ChannelArg, listener: PubSubListener): Promise<void>;
  /** The iterator form of ssubscribe. */
  ssubscribe(shardChannels: ChannelArg, options?: SubscriptionOptions): Subscription;
  /** Every channel; `channels`; `listener` on `channels`; or `listener` wherever it listens. */
  unsubscribe(channels?: ChannelArg, listener?: PubSubListener): Promise<void>;
  /** Removes `listener` from every channel it listens on; a channel left without listeners is unsubscribed. */
  unsubscribe(listener: PubSubListener): Promise<void>;
  /** Every pattern; `patterns`; or `listener` on `patterns`. */
  punsubscribe(patterns?: ChannelArg, listener?: PubSubListener): Promise<void>;
  /** Removes `listener` from every pattern it listens on. */
  punsubscribe(listener: PubSubListener): Promise<void>;
  /** Every shard channel; `shardChannels`; or `listener` on `shardChannels`. */
  sunsubscribe(shardChannels?: ChannelArg, listener?: PubSubListener): Promise<void>;
  /** Removes `listener` from every shard channel it listens on. */
  sunsubscribe(listener: PubSubListener): Promise<void>;
}

/** The methods of PubSubMethods over a hub, for a client to install as its own. */
export function pubsubMethods(hub: () => import('./hub.js').PubSubHub): PubSubMethods {
  return {
    subscribe: ((c: unknown, a?: unknown) => hub().subscribe('subscribe', 'channel', c, a)) as PubSubMethods['subscribe'],
    psubscribe: ((c: unknown, a?: unknown) => hub().subscribe('psubscribe', 'pattern', c, a)) as PubSubMethods['psubscribe'],
    ssubscribe: ((c: unknown, a?: unknown) => hub().subscribe('ssubscribe', 'shard', c, a)) as PubSubMethods['ssubscribe'],
    unsubscribe: ((a?: unknown, b?: unknown) => hub().unsubscribe('unsubscribe', 'channel', a, b)) as PubSubMethods['unsubscribe'],
    punsubscribe: ((a?: unknown, b?: unknown) => hub().unsubscribe('punsubscribe', 'pattern', a, b)) as PubSubMethods['punsubscribe'],
    sunsubscribe: ((a?: unknown, b?: unknown) => hub().unsubscribe('sunsubscribe', 'shard', a, b)) as PubSubMethods['sunsubscribe'],
  };
}
