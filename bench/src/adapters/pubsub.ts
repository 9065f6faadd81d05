/**
 * Pub/Sub for the benchmark, per client: a publisher and a subscriber (two clients of the same
 * library, as an application would have them), the subscriber already listening to `channel`
 * when open() resolves. The glue only translates calls; the scenario (scenarios/pubsub.ts)
 * measures. GLIDE takes its subscriptions at creation time (its documented way).
 */
import type { Endpoint } from './types.js';
import { loadSlotline } from './slotline.js';

export interface PubSubPair {
  publish(payload: string): Promise<unknown>;
  close(): Promise<void>;
}

export type OpenPubSub = (at: Endpoint, channel: string, onMessage: (payload: string) => void) => Promise<PubSubPair>;

interface SlotlinePubSubClient {
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (m: { message: string | Buffer }) => void): Promise<void>;
  publish(channel: string, message: string): Promise<number>;
  close(): Promise<void>;
}

/** A pair from its publish call and the closers of its two clients. */
function pairOf(publish: (payload: string) => Promise<unknown>, ...closers: Array<() => Promise<unknown>>): PubSubPair {
  return {
    publish,
    close: async () => {
      await Promise.all(closers.map((c) => c()));
    },
  };
}

const slotline: OpenPubSub = async (at, channel, onMessage) => {
  const mod = (await loadSlotline()) as unknown as { createClient(o: Endpoint): SlotlinePubSubClient };
  const sub = mod.createClient({ host: at.host, port: at.port });
  const pub = mod.createClient({ host: at.host, port: at.port });
  await Promise.all([sub.connect(), pub.connect()]);
  await sub.subscribe(channel, (m) => onMessage(m.message as string));
  return pairOf((payload) => pub.publish(channel, payload), () => sub.close(), () => pub.close());
};

const ioredis: OpenPubSub = async (at, channel, onMessage) => {
  const { Redis } = await import('ioredis');
  const sub = new Redis({ host: at.host, port: at.port });
  const pub = new Redis({ host: at.host, port: at.port });
  sub.on('message', (_channel: string, message: string) => onMessage(message));
  await sub.subscribe(channel);
  return pairOf((payload) => pub.publish(channel, payload), () => sub.quit(), () => pub.quit());
};

const nodeRedis: OpenPubSub = async (at, channel, onMessage) => {
  const { createClient } = await import('redis');
  const sub = createClient({ socket: { host: at.host, port: at.port } });
  const pub = createClient({ socket: { host: at.host, port: at.port } });
  await Promise.all([sub.connect(), pub.connect()]);
  await sub.subscribe(channel, (message: string) => onMessage(message));
  return pairOf((payload) => pub.publish(channel, payload), () => sub.close(), () => pub.close());
};

const glide: OpenPubSub = async (at, channel, onMessage) => {
  const { GlideClient, GlideClientConfiguration } = await import('@valkey/valkey-glide');
  const addresses = [{ host: at.host, port: at.port }];
  const sub = await GlideClient.createClient({
    addresses,
    pubsubSubscriptions: {
      channelsAndPatterns: { [GlideClientConfiguration.PubSubChannelModes.Exact]: new Set([channel]) },
      callback: (msg) => onMessage(String(msg.message)),
    },
  });
  const pub = await GlideClient.createClient({ addresses });
  return pairOf(
    (payload) => pub.publish(payload, channel),
    async () => sub.close(),
    async () => pub.close(),
  );
};

/** By the client names of adapters/index.ts. */
export const PUBSUB: Readonly<Record<string, OpenPubSub>> = {
  slotline,
  ioredis,
  'node-redis': nodeRedis,
  'valkey-glide': glide,
};
