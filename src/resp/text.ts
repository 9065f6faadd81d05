/**
 * Text from reply bytes, for the decoder: short ASCII strings built in JS, map keys through a
 * small cache, payloads held in slices joined without a copy. Pure; imports nothing.
 *
 * Why not utf8Slice for everything: the native call costs more (~150 ns) than decoding a
 * short string, while String.fromCharCode with a fixed number of arguments stays in JS.
 */

/** Node's unchecked slicers and writer: skip the argument coercion of toString()/write() on the hot path. */
export interface FastBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
  utf8Write(text: string, offset: number, length?: number): number;
}

/** Map keys up to this many bytes go through the KeyCache; it has KEY_SLOTS entries. */
export const KEY_MAX = 32;
const KEY_SLOTS = 256;
/** Strings up to this many bytes are built in JS when ASCII (see shortText). */
export const SHORT_TEXT = 16;

/**
 * The text of a payload held in slices (n bytes, then CRLF). When no slice starts inside a
 * UTF-8 sequence each one is decoded on its own and joined, which skips the Buffer copy.
 */
export function joinText(pieces: Buffer[], n: number): string {
  let text = '';
  let done = 0;
  for (let i = 0; i < pieces.length && done < n; i++) {
    const piece = pieces[i]!;
    if (done > 0 && (piece[0]! & 0xc0) === 0x80) return Buffer.concat(pieces, n).toString('utf8');
    const end = Math.min(piece.length, n - done);
    text += (piece as FastBuffer).utf8Slice(0, end);
    done += end;
  }
  return text;
}

const fromCharCode = String.fromCharCode;

/**
 * Short text without a native call: utf8Slice costs more to call (~150 ns) than to run, while
 * String.fromCharCode with a fixed number of arguments is inlined by V8. ASCII only; anything
 * else, or a longer string, goes to utf8Slice.
 */
export function shortText(b: Buffer, p: number, end: number): string {
  let high = 0;
  for (let i = p; i < end; i++) high |= b[i]!;
  if (high > 127) return (b as FastBuffer).utf8Slice(p, end);
  switch (end - p) {
    case 0:
      return '';
    case 1:
      return fromCharCode(b[p]!);
    case 2:
      return fromCharCode(b[p]!, b[p + 1]!);
    case 3:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!);
    case 4:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!);
    case 5:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!);
    case 6:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!);
    case 7:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!);
    case 8:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    case 9:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!);
    case 10:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!);
    case 11:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!);
    case 12:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!);
    case 13:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!);
    case 14:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!);
    case 15:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!);
    case 16:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!, b[p + 15]!);
    default:
      return (b as FastBuffer).utf8Slice(p, end);
  }
}

/**
 * Map keys repeat (field names, HELLO and XINFO keys): a small cache keyed by their bytes
 * hands back the same string, which skips the UTF-8 decode and lets V8 reuse the internalized
 * property name. Direct-mapped, fixed memory, no allocation on a hit.
 */
class KeyCache {
  readonly #bytes = new Uint8Array(KEY_SLOTS * KEY_MAX);
  readonly #lengths = new Int16Array(KEY_SLOTS).fill(-1);
  readonly #strings: string[] = new Array<string>(KEY_SLOTS).fill('');

  get(buf: Buffer, start: number, end: number): string {
    const n = end - start;
    let h = n;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const slot = (h ^ (h >>> 15)) & (KEY_SLOTS - 1);
    const bytes = this.#bytes;
    const at = slot * KEY_MAX;
    if (this.#lengths[slot] === n) {
      let i = 0;
      while (i < n && bytes[at + i] === buf[start + i]) i++;
      if (i === n) return this.#strings[slot]!;
    }
    const text = (buf as FastBuffer).utf8Slice(start, end);
    for (let i = 0; i < n; i++) bytes[at + i] = buf[start + i]!;
    this.#lengths[slot] = n;
    this.#strings[slot] = text;
    return text;
  }
}

/** Shared by every decoder: a pure cache, and decoding never yields mid-key. */
export const keyCache = new KeyCache();
