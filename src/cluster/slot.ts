/**
 * Hash slots: which of the 16384 slots a key belongs to (CRC16/XMODEM of the key, or of its
 * hash tag `{...}`), computed by the `cluster-key-slot` package.
 * Pure: must not import anything but resp/types.
 */
import calculate from 'cluster-key-slot';
import type { RedisArg } from '../resp/types.js';

export const SLOT_COUNT = 16384;

const OPEN = 0x7b; // '{'
const CLOSE = 0x7d; // '}'

/**
 * The slot of a key. Numbers hash as their decimal string, which is what the encoder sends.
 *
 * The server hashes the whole key when its first `{` is directly followed by `}`. The package
 * gets that case wrong when another `}` comes later ("{}{a}", "a{}b}": it hashes the bytes
 * between the empty tag and that `}`), so we detect it and hash the whole key ourselves.
 */
export function keySlot(key: RedisArg): number {
  if (typeof key === 'number') key = String(key);
  if (typeof key === 'string') {
    const fast = asciiSlot(key);
    if (fast !== -1) return fast;
    const open = key.indexOf('{');
    if (open !== -1 && key.charCodeAt(open + 1) === CLOSE) return crc16(Buffer.from(key)) & 0x3fff;
    return calculate(key);
  }
  const open = key.indexOf(OPEN);
  if (open !== -1 && key[open + 1] === CLOSE) return crc16(key) & 0x3fff;
  return calculate(key);
}

/** The slots of the arguments at `indexes`, in that order. */
export function slotsOf(args: readonly RedisArg[], indexes: readonly number[]): number[] {
  const out = new Array<number>(indexes.length);
  for (let i = 0; i < indexes.length; i++) out[i] = keySlot(args[indexes[i]!]!);
  return out;
}

/** The one slot all keys share, or -1 if they differ (or there are none). */
export function commonSlot(args: readonly RedisArg[], indexes: readonly number[]): number {
  if (indexes.length === 0) return -1;
  const slot = keySlot(args[indexes[0]!]!);
  for (let i = 1; i < indexes.length; i++) if (keySlot(args[indexes[i]!]!) !== slot) return -1;
  return slot;
}

/** CRC16/XMODEM by byte, the table the bit loop below computes one byte at a time. */
const TABLE = new Uint16Array(256);
for (let b = 0; b < 256; b++) TABLE[b] = crc16(Uint8Array.of(b));

/**
 * See encoder.ts: the builtin, called through .call(), stays inlined even when some library in
 * the process subclasses String.
 */
const charCodeAt = String.prototype.charCodeAt;

/**
 * The slot of an all-ASCII string key, hashed straight from its characters (the package first
 * copies every key into a byte array: in a 300-command cluster batch that was the largest single
 * cost of planning). -1 for anything else (a non-ASCII character, an empty tag `{}`), which takes
 * the general path. A tag is what lies between the first `{` and the first `}` after it.
 */
function asciiSlot(key: string): number {
  let crc = 0;
  let tag = 0;
  let open = -1;
  for (let i = 0; i < key.length; i++) {
    const c = charCodeAt.call(key, i);
    if (c > 0x7f) return -1;
    if (open === -1) {
      if (c === OPEN) open = i;
    } else if (c === CLOSE) {
      if (i === open + 1) return -1;
      return tag & 0x3fff;
    } else {
      tag = (TABLE[((tag >> 8) ^ c) & 0xff]! ^ (tag << 8)) & 0xffff;
    }
    crc = (TABLE[((crc >> 8) ^ c) & 0xff]! ^ (crc << 8)) & 0xffff;
  }
  return crc & 0x3fff;
}

/** CRC16/XMODEM, bit by bit: builds TABLE, and hashes the rare empty-hash-tag keys above. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
