/**
 * A deep copy of a reply, so a caller who changes what it got (pushes to an array, writes into
 * a Buffer) never changes what the cache holds. Pure. Strings, numbers and null are shared.
 */
import type { RespValue } from '../resp/types.js';

export function cloneReply(v: RespValue): RespValue {
  if (v === null || typeof v !== 'object') return v;
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(cloneReply);
  if (v instanceof Map) {
    const out = new Map<RespValue, RespValue>();
    for (const [k, x] of v) out.set(cloneReply(k), cloneReply(x));
    return out;
  }
  if (v instanceof Set) {
    const out = new Set<RespValue>();
    for (const x of v) out.add(cloneReply(x));
    return out;
  }
  // A record (plain object from a RESP3 map). Errors and verbatim strings are immutable in practice.
  if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
    const out: Record<string, RespValue> = Object.create(Object.getPrototypeOf(v)) as Record<string, RespValue>;
    for (const k of Object.keys(v)) out[k] = cloneReply((v as Record<string, RespValue>)[k]!);
    return out;
  }
  return v;
}
