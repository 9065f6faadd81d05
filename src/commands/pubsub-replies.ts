/**
 * How the server answers the subscribe family, as data: which frame confirms which command,
 * and which frames belong to Pub/Sub at all. Pure; imports only resp types. The wire
 * (connection/wire.ts) uses it to settle a pending SUBSCRIBE from its confirmations and to tell
 * a RESP2 subscriber's messages from replies; pubsub/frames.ts reads the messages themselves.
 *
 *   command        confirmed by (one frame per argument, in argument order)
 *   SUBSCRIBE      [subscribe, channel, count]        RESP3: a push   RESP2: an array reply
 *   PSUBSCRIBE     [psubscribe, pattern, count]
 *   SSUBSCRIBE     [ssubscribe, shardchannel, count]
 *   UNSUBSCRIBE    [unsubscribe, channel, count]      (also for a channel that was not subscribed)
 *   PUNSUBSCRIBE   [punsubscribe, pattern, count]
 *   SUNSUBSCRIBE   [sunsubscribe, shardchannel, count]
 *
 * The client always names what it (un)subscribes, so the number of frames is known; an
 * UNSUBSCRIBE without arguments would be answered by as many frames as the server held.
 * A `sunsubscribe` frame no command waits for is the server dropping a shard channel whose slot
 * moved away (Redis 7, Valkey 8): it is not a confirmation, and the wire passes it on as a push.
 */
import type { RespValue } from '../resp/types.js';

/** The frame name (lower case) that confirms each subscribe-family command. */
export const CONFIRMED_BY: ReadonlyMap<string, string> = new Map([
  ['SUBSCRIBE', 'subscribe'],
  ['PSUBSCRIBE', 'psubscribe'],
  ['SSUBSCRIBE', 'ssubscribe'],
  ['UNSUBSCRIBE', 'unsubscribe'],
  ['PUNSUBSCRIBE', 'punsubscribe'],
  ['SUNSUBSCRIBE', 'sunsubscribe'],
]);

const PUBSUB_FRAMES: ReadonlySet<string> = new Set([...CONFIRMED_BY.values(), 'message', 'pmessage', 'smessage']);

/** A frame element as text (the decoder hands Buffers to a command that asked for them). */
export function frameText(v: RespValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString();
  return undefined;
}

/** The first word of a Pub/Sub frame, lower case, or undefined when `frame` is not one. */
export function pubsubFrameKind(frame: RespValue): string | undefined {
  if (!Array.isArray(frame) || frame.length < 2) return undefined;
  const head = frameText(frame[0]);
  if (head === undefined) return undefined;
  const kind = head.toLowerCase();
  return PUBSUB_FRAMES.has(kind) ? kind : undefined;
}

/** Whether `frame` is the confirmation `command` (e.g. 'SUBSCRIBE') expects for `name`. */
export function confirms(frame: readonly RespValue[], command: string, name: string): boolean {
  const head = frameText(frame[0]);
  return head !== undefined && head.toLowerCase() === CONFIRMED_BY.get(command) && frameText(frame[1]) === name;
}
