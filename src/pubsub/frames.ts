/**
 * Pub/Sub frames as data: what a push (or, on a RESP2 subscriber, an array reply) says, read
 * into a small union, and the subscribe-family commands built for a kind of subscription.
 * Pure: no connection, no listener. The wire has already taken out the confirmations some
 * command was waiting for (commands/pubsub-replies.ts); what reaches here is:
 *
 *   frame                                   read as
 *   [message, channel, payload]             message   kind 'channel'
 *   [pmessage, pattern, channel, payload]   message   kind 'pattern' (key: the pattern)
 *   [smessage, shardchannel, payload]       message   kind 'shard'
 *   [sunsubscribe, shardchannel, count]     dropped   the slot moved away: subscribe again where it lives
 *   [unsubscribe|punsubscribe, name, n]     dropped   the server let go of it on its own
 *   [subscribe…, name, n]                   stray     a confirmation no command waited for (ignored)
 *   anything else (invalidate, …)           undefined: not Pub/Sub, another handler's
 */
import type { Command } from '../commands/command.js';
import { frameText, pubsubFrameKind } from '../commands/pubsub-replies.js';
import type { RespValue } from '../resp/types.js';

/** Exact channels (SUBSCRIBE), patterns (PSUBSCRIBE), shard channels (SSUBSCRIBE). */
export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

export const KINDS: readonly SubscriptionKind[] = ['channel', 'pattern', 'shard'];

/** What a listener receives, and what the async iterator yields. */
export interface PubSubMessage {
  /** The channel the message was published to. */
  readonly channel: string;
  /** The payload: a string, or a Buffer when the client returns Buffers (`returnBuffers: true`). */
  readonly message: string | Buffer;
  /** For a pattern subscription: the pattern that matched. */
  readonly pattern?: string;
}

export type PubSubFrame =
  | { readonly type: 'message'; readonly kind: SubscriptionKind; readonly key: string; readonly message: PubSubMessage }
  | { readonly type: 'dropped'; readonly kind: SubscriptionKind; readonly name: string }
  | { readonly type: 'stray' };

const SUBSCRIBE: Readonly<Record<SubscriptionKind, string>> = { channel: 'SUBSCRIBE', pattern: 'PSUBSCRIBE', shard: 'SSUBSCRIBE' };
const UNSUBSCRIBE: Readonly<Record<SubscriptionKind, string>> = { channel: 'UNSUBSCRIBE', pattern: 'PUNSUBSCRIBE', shard: 'SUNSUBSCRIBE' };
const DROPPED: ReadonlyMap<string, SubscriptionKind> = new Map([
  ['unsubscribe', 'channel'],
  ['punsubscribe', 'pattern'],
  ['sunsubscribe', 'shard'],
]);

/** SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE `names`, settled by their confirmations. */
export function subscribeCommand(kind: SubscriptionKind, names: readonly string[]): Command<unknown> {
  return { name: SUBSCRIBE[kind], args: names, confirmedBy: names };
}

/** UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE `names` (always named: the frame count must be known). */
export function unsubscribeCommand(kind: SubscriptionKind, names: readonly string[]): Command<unknown> {
  return { name: UNSUBSCRIBE[kind], args: names, confirmedBy: names };
}

function payload(v: RespValue | undefined, asBuffers: boolean): string | Buffer {
  if (asBuffers) return Buffer.isBuffer(v) ? v : Buffer.from(String(v ?? ''));
  return Buffer.isBuffer(v) ? v.toString() : String(v ?? '');
}

/**
 * Reads one frame. `asBuffers`: the client's returnBuffers. The decoder decodes a push the way
 * the command at the head of the line asked, so either form may arrive: the payload is brought
 * to the client's form here.
 */
export function readFrame(frame: RespValue, asBuffers: boolean): PubSubFrame | undefined {
  const kind = pubsubFrameKind(frame);
  if (kind === undefined) return undefined;
  const f = frame as RespValue[];
  switch (kind) {
    case 'message':
    case 'smessage': {
      const channel = frameText(f[1]) ?? '';
      return { type: 'message', kind: kind === 'message' ? 'channel' : 'shard', key: channel, message: { channel, message: payload(f[2], asBuffers) } };
    }
    case 'pmessage': {
      const pattern = frameText(f[1]) ?? '';
      return { type: 'message', kind: 'pattern', key: pattern, message: { channel: frameText(f[2]) ?? '', message: payload(f[3], asBuffers), pattern } };
    }
  }
  const dropped = DROPPED.get(kind);
  const name = frameText(f[1]);
  if (dropped !== undefined && name !== undefined) return { type: 'dropped', kind: dropped, name };
  return { type: 'stray' };
}
