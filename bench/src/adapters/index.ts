/**
 * Every client the suite drives, in table order: slotline first, then the other clients,
 * then the raw-socket baseline. Scenarios take this list; nothing else names a client.
 */
import { glide } from './glide.js';
import { ioredis, ioredisAuto } from './ioredis.js';
import { nodeRedis } from './node-redis.js';
import { raw } from './raw.js';
import { slotline, slotlineUnsliced } from './slotline.js';
import type { ClientSpec } from './types.js';

export const CLIENTS: readonly ClientSpec[] = [slotline, ioredis, ioredisAuto, nodeRedis, glide, raw];

/** Clients some scenarios add on their own (not a column of every table). */
export const VARIANTS: readonly ClientSpec[] = [slotlineUnsliced];

export function clientByName(name: string): ClientSpec | undefined {
  return [...CLIENTS, ...VARIANTS].find((c) => c.name === name);
}
