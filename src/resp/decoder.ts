/**
 * The RESP2/RESP3 decoder: chunks of bytes in, complete top-level replies out through the
 * callbacks of DecoderOptions. Pure: no sockets, no timers; imports only errors and resp/
 * (text.ts for strings, double.ts for doubles, record.ts for maps as plain records).
 *
 * One file on purpose (over the ~400-line guide): the token loop, the aggregate stack and the
 * partial-chunk states share private fields on the hot path; split across modules, every token
 * would pay a call through an object boundary.
 *
 * Shape: one loop walks the current chunk token by token and keeps the open aggregates on an
 * explicit stack (parallel arrays, never recursion), so a reply can be nested as deep as
 * maxDepth without touching the JS stack. Nothing is saved per token while the bytes are all
 * there (the fast path); only when a chunk ends inside a token is a partial state kept:
 *
 *   mode  | what is held                                   | resumes when
 *   ------+------------------------------------------------+------------------------------------
 *   LINE  | the bytes of an unfinished line (type byte on) | a CRLF arrives: the line is re-read
 *   BULK  | slices of a payload whose length is known      | length + 2 bytes are held: one concat
 *
 * A 100 MiB bulk in 64 KiB chunks therefore costs one copy; nothing is rescanned.
 *
 * Speed notes: lengths and integers are read from the bytes; strings are the dominant cost and
 * come from text.ts (short ASCII built in JS, short map keys from a shared cache, the rest from
 * utf8Slice). #deliver is kept small so V8 inlines it into the loop.
 */
import { ProtocolError, ReplyError } from '../errors.js';
import { MAX_DOUBLE_LENGTH, parseDoubleText } from './double.js';
import { setField } from './record.js';
import { KEY_MAX, SHORT_TEXT, joinText, keyCache, shortText, type FastBuffer } from './text.js';
import { VerbatimString, type DecoderOptions, type RespValue } from './types.js';


// Frame kinds on the aggregate stack.
const K_ARRAY = 0;
const K_MAP = 1;
const K_SET = 2;
const K_PUSH = 3;
const K_ATTR = 4;
const K_STRING = 5; // a streamed string ($?): its items are the ;N chunks
const K_NONE = -1; // no open frame

// What a completed top-level value is.
const V_REPLY = 0;
const V_ERROR = 1;
const V_PUSH = 2;
const V_ATTR = 3;

// Partial-token modes.
const M_NONE = 0;
const M_LINE = 1;
const M_BULK = 2;

// #length() results below zero.
const L_NULL = -1;
const L_STREAMED = -2;
const L_INCOMPLETE = -3;

/** The element count of a streamed aggregate: never reaches zero, closed by `.`. */
const STREAMED = -1;
/** A map frame waiting for its next key. Never a RespValue. */
const NO_KEY: unique symbol = Symbol('no key');
/** Lines without CRLF up to this size are re-read as they grow, so bad bytes fail early. */
const SMALL_LINE = 4096;
/** Digits accepted in a length: 10 is enough for any count a server can send. */
const MAX_LENGTH_DIGITS = 10;

const BIG_RE = /^[+-]?\d+$/;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

type MapItems = Record<string, RespValue> | Map<RespValue, RespValue>;

export class Decoder {
  readonly #onReply: DecoderOptions['onReply'];
  readonly #onError: DecoderOptions['onError'];
  readonly #onPush: DecoderOptions['onPush'];
  readonly #returnBuffers: (() => boolean) | undefined;
  readonly #maxDepth: number;
  readonly #maxBulk: number;
  readonly #mapAsMap: boolean;
  readonly #setAsSet: boolean;
  readonly #verbatimObject: boolean;

  // The aggregate stack: frame i is (#kinds[i], #counts[i], #items[i], #keys[i]).
  #depth = 0;
  readonly #kinds: number[] = [];
  readonly #counts: number[] = [];
  readonly #items: unknown[] = [];
  readonly #keys: unknown[] = [];
  #top = K_NONE; // kind of the top frame: K_STRING admits only `;`, K_MAP may want a key

  // The current top-level reply.
  #started = false;
  #asBuffers = false;
  #replyOffset = 0;
  #attribute: RespValue | undefined = undefined;

  #received = 0; // bytes written since reset()
  #epoch = 0; // bumped by reset(), so a callback that resets stops the running loop
  #failed: unknown = null; // what write() threw; rethrown until reset()
  #next = 0; // out-parameter of #length()

  // The partial token (see the table above).
  #mode = M_NONE;
  #pieces: Buffer[] = [];
  #piecesLength = 0;
  #partialOffset = 0; // stream offset of the first held byte
  #bulkType = 0;
  #bulkLength = 0;

  constructor(options: DecoderOptions) {
    this.#onReply = options.onReply;
    this.#onError = options.onError;
    this.#onPush = options.onPush;
    this.#returnBuffers = options.returnBuffers;
    this.#maxDepth = options.maxDepth ?? 512;
    this.#maxBulk = options.maxBulkLength ?? 512 * 1024 * 1024;
    this.#mapAsMap = options.mapAs === 'map';
    this.#setAsSet = options.setAs === 'set';
    this.#verbatimObject = options.verbatim === 'object';
  }

  /** Bytes of the current, incomplete top-level reply received so far (0 between replies). */
  get pendingBytes(): number {
    return this.#started ? this.#received - this.#replyOffset : 0;
  }

  /** Forget everything: partial reply, pending attribute, stream offset, a previous failure. */
  reset(): void {
    this.#epoch++;
    this.#depth = 0;
    this.#kinds.length = this.#counts.length = this.#items.length = this.#keys.length = 0;
    this.#top = K_NONE;
    this.#started = false;
    this.#attribute = undefined;
    this.#received = 0;
    this.#failed = null;
    this.#dropPartial();
  }

  /**
   * Decode a chunk. The chunk is kept by reference while a reply spans it, so the caller must
   * not reuse its memory. Callbacks run synchronously; they may call reset() but not write().
   * Throws ProtocolError on malformed input; the decoder then refuses input until reset().
   * A callback that throws has the same effect (its error propagates out of write()).
   */
  write(chunk: Buffer): void {
    if (this.#failed !== null) throw this.#failed;
    const base = this.#received;
    this.#received += chunk.length;
    const epoch = this.#epoch;
    try {
      let pos = 0;
      if (this.#mode === M_LINE) {
        pos = this.#feedLine(chunk);
        if (pos < 0 || this.#epoch !== epoch) return;
      }
      if (this.#mode === M_BULK) {
        pos = this.#feedBulk(chunk, pos);
        if (pos < 0 || this.#epoch !== epoch) return;
      }
      if (pos < chunk.length) this.#parse(chunk, pos, base);
    } catch (error) {
      // Bad bytes, or a callback that threw: either way the rest of this chunk is lost, so
      // decoding on would misread the stream. Refuse until reset().
      if (this.#epoch === epoch) this.#failed = error;
      throw error;
    }
  }

  // ── the loop ────────────────────────────────────────────────────────────────────────

  #parse(buf: Buffer, pos: number, base: number): void {
    const len = buf.length;
    const epoch = this.#epoch;
    while (pos < len) {
      if (!this.#started) this.#start(base + pos);
      const start = pos;
      const type = buf[pos]!;
      if (this.#top === K_STRING && type !== 59) throw this.#error('expected a ";" chunk of a streamed string', base + pos);
      let value: RespValue;
      let vk = V_REPLY;
      switch (type) {
        case 36: // $ bulk string
        case 33: // ! bulk error
        case 61: // = verbatim string
        case 59: {
          // ; chunk of a streamed string
          const n = this.#length(buf, pos + 1, len, base);
          if (n === L_INCOMPLETE) return this.#holdLine(buf, start, base);
          const p = this.#next;
          if (n < 0) {
            if (n === L_NULL && type === 36) {
              value = null;
              pos = p;
              break;
            }
            if (n === L_STREAMED && type === 36) {
              this.#open(K_STRING, STREAMED, [], base + start);
              pos = p;
              continue;
            }
            throw this.#error('invalid length', base + pos + 1);
          }
          if (type === 59) {
            if (this.#top !== K_STRING) throw this.#error('";" outside a streamed string', base + pos);
            if (n === 0) {
              value = this.#close();
              pos = p;
              break;
            }
          }
          if (n > this.#maxBulk) throw this.#error(`bulk length ${n} above maxBulkLength`, base + pos + 1);
          if (p + n + 2 > len) return this.#holdBulk(buf, p, type, n, base);
          if (buf[p + n] !== 13) throw this.#error('expected CR after bulk payload', base + p + n);
          if (buf[p + n + 1] !== 10) throw this.#error('expected LF after bulk payload', base + p + n + 1);
          if (type === 36) value = this.#string(buf, p, p + n);
          else if (type === 33) {
            value = new ReplyError((buf as FastBuffer).utf8Slice(p, p + n));
            vk = V_ERROR;
          } else if (type === 61) value = this.#verbatim(buf, p, p + n, base);
          else value = buf.subarray(p, p + n); // copied when the streamed string closes
          pos = p + n + 2;
          break;
        }
        case 44: {
          // , double: its line is capped, so hostile input is refused after a few hundred bytes
          let p = pos + 1;
          const cap = pos + 1 + MAX_DOUBLE_LENGTH;
          while (p < len && buf[p] !== 13) {
            if (p === cap) throw this.#error(`double longer than ${MAX_DOUBLE_LENGTH} bytes`, base + pos + 1);
            p++;
          }
          if (p + 1 >= len) return this.#holdLine(buf, start, base);
          if (buf[p + 1] !== 10) throw this.#error('expected LF after CR', base + p + 1);
          value = parseDouble((buf as FastBuffer).latin1Slice(pos + 1, p), base + pos + 1);
          pos = p + 2;
          break;
        }
        case 43: // + simple string
        case 45: // - simple error
        case 40: {
          // ( big number
          let p = pos + 1;
          while (p < len && buf[p] !== 13) p++;
          if (p + 1 >= len) return this.#holdLine(buf, start, base);
          if (buf[p + 1] !== 10) throw this.#error('expected LF after CR', base + p + 1);
          if (type === 43) value = this.#string(buf, pos + 1, p);
          else if (type === 45) {
            value = new ReplyError((buf as FastBuffer).utf8Slice(pos + 1, p));
            vk = V_ERROR;
          } else value = parseBig((buf as FastBuffer).latin1Slice(pos + 1, p), base + pos + 1);
          pos = p + 2;
          break;
        }
        case 58: {
          // : integer, read from the bytes; only more than 15 digits go through a string
          let p = pos + 1;
          if (p >= len) return this.#holdLine(buf, start, base);
          let c = buf[p]!;
          const negative = c === 45;
          if (negative || c === 43) p++;
          const digits = p;
          let n = 0;
          for (;;) {
            if (p >= len) return this.#holdLine(buf, start, base);
            c = buf[p]!;
            if (c === 13) break;
            c -= 48;
            if (c < 0 || c > 9) throw this.#error('invalid integer', base + p);
            n = n * 10 + c;
            p++;
          }
          if (p === digits) throw this.#error('invalid integer', base + p);
          if (p + 1 >= len) return this.#holdLine(buf, start, base);
          if (buf[p + 1] !== 10) throw this.#error('expected LF after CR', base + p + 1);
          value = p - digits > 15 ? bigInteger((buf as FastBuffer).latin1Slice(pos + 1, p)) : negative ? 0 - n : n;
          pos = p + 2;
          break;
        }
        case 42: // * array
        case 37: // % map
        case 126: // ~ set
        case 62: // > push
        case 124: {
          // | attribute
          const n = this.#length(buf, pos + 1, len, base);
          if (n === L_INCOMPLETE) return this.#holdLine(buf, start, base);
          pos = this.#next;
          if (n === L_NULL) {
            if (type !== 42) throw this.#error('invalid length', base + start + 1);
            value = null;
            break;
          }
          const kind =
            type === 42 ? K_ARRAY : type === 37 ? K_MAP : type === 126 ? K_SET : type === 124 ? K_ATTR : this.#depth === 0 ? K_PUSH : K_ARRAY;
          if (n !== 0) {
            this.#open(kind, n === L_STREAMED ? STREAMED : kind === K_MAP || kind === K_ATTR ? 2 * n : n, this.#newItems(kind), base + start);
            continue;
          }
          if (kind === K_ATTR && this.#depth > 0) continue; // a nested attribute is dropped
          value = this.#newItems(kind) as RespValue;
          vk = kind === K_PUSH ? V_PUSH : kind === K_ATTR ? V_ATTR : V_REPLY;
          break;
        }
        case 95: // _ null
        case 35: // # boolean
        case 46: {
          // . end of a streamed aggregate
          const p = type === 35 ? pos + 2 : pos + 1;
          if (p + 1 >= len) return this.#holdLine(buf, start, base);
          if (type === 35 && buf[pos + 1] !== 116 && buf[pos + 1] !== 102) throw this.#error('invalid boolean', base + pos + 1);
          if (buf[p] !== 13) throw this.#error('expected CR', base + p);
          if (buf[p + 1] !== 10) throw this.#error('expected LF after CR', base + p + 1);
          pos = p + 2;
          if (type === 95) value = null;
          else if (type === 35) value = buf[start + 1] === 116;
          else {
            const d = this.#depth - 1;
            if (d < 0 || this.#counts[d] !== STREAMED) throw this.#error('"." outside a streamed aggregate', base + start);
            const kind = this.#kinds[d]!;
            if ((kind === K_MAP || kind === K_ATTR) && this.#keys[d] !== NO_KEY) {
              throw this.#error('streamed map ended after a key', base + start);
            }
            value = this.#close();
            if (kind === K_ATTR && this.#depth > 0) continue;
            vk = kind === K_PUSH ? V_PUSH : kind === K_ATTR ? V_ATTR : V_REPLY;
          }
          break;
        }
        default:
          throw this.#error(`unknown type byte 0x${type.toString(16)}`, base + pos);
      }
      this.#deliver(value, vk);
      if (this.#epoch !== epoch) return;
    }
  }

  /**
   * Hands a complete value to the open frame. Small enough to be inlined: an array element
   * that does not complete its array is the common case; everything else goes to #settle().
   */
  #deliver(value: RespValue, vk: number): void {
    const d = this.#depth - 1;
    if (d >= 0 && this.#kinds[d] === K_ARRAY) {
      const count = this.#counts[d]!;
      if (count !== 1) {
        (this.#items[d] as RespValue[]).push(value);
        if (count !== STREAMED) this.#counts[d] = count - 1;
        return;
      }
    }
    this.#settle(value, vk);
  }

  /** Adds a value to the open frame, closes every frame it completes, emits a finished reply. */
  #settle(value: RespValue, vk: number): void {
    let depth = this.#depth;
    while (depth > 0) {
      const d = depth - 1;
      const kind = this.#kinds[d]!;
      if (kind === K_MAP || kind === K_ATTR) {
        const key = this.#keys[d];
        if (key === NO_KEY) this.#keys[d] = value;
        else {
          this.#keys[d] = NO_KEY;
          this.#setEntry(d, key as RespValue, value);
        }
      } else if (kind === K_SET && this.#setAsSet) (this.#items[d] as Set<RespValue>).add(value);
      else (this.#items[d] as RespValue[]).push(value);
      const count = this.#counts[d]!;
      if (count !== 1) {
        if (count !== STREAMED) this.#counts[d] = count - 1;
        return;
      }
      value = this.#close();
      depth = d;
      if (kind === K_ATTR) {
        if (d > 0) return; // nested attributes are dropped, never counted
        vk = V_ATTR;
      } else vk = kind === K_PUSH ? V_PUSH : V_REPLY;
    }
    this.#started = false;
    if (vk === V_REPLY) {
      const attribute = this.#attribute;
      if (attribute === undefined) this.#onReply(value);
      else {
        this.#attribute = undefined;
        this.#onReply(value, attribute);
      }
    } else if (vk === V_ERROR) {
      this.#attribute = undefined;
      this.#onError(value as ReplyError);
    } else if (vk === V_PUSH) this.#onPush(value as RespValue[]);
    else {
      // An attribute belongs to the reply that follows: that reply has already started.
      this.#attribute = value;
      this.#started = true;
    }
  }

  #start(offset: number): void {
    this.#started = true;
    this.#replyOffset = offset;
    const returnBuffers = this.#returnBuffers;
    this.#asBuffers = returnBuffers !== undefined && returnBuffers();
  }

  // ── the stack ───────────────────────────────────────────────────────────────────────

  #open(kind: number, count: number, items: unknown, offset: number): void {
    const d = this.#depth;
    if (d >= this.#maxDepth) throw this.#error(`nesting deeper than maxDepth ${this.#maxDepth}`, offset);
    this.#kinds[d] = kind;
    this.#counts[d] = count;
    this.#items[d] = items;
    this.#keys[d] = NO_KEY;
    this.#depth = d + 1;
    this.#top = kind;
  }

  /** Pops the top frame and returns its value. */
  #close(): RespValue {
    const d = --this.#depth;
    const kind = this.#kinds[d];
    let value = this.#items[d] as RespValue;
    this.#items[d] = undefined; // let the value go once the reply is out
    this.#top = d > 0 ? this.#kinds[d - 1]! : K_NONE;
    if (kind === K_STRING) {
      const joined = Buffer.concat(value as Buffer[]);
      value = this.#asBuffers ? joined : joined.toString('utf8');
    }
    return value;
  }

  #newItems(kind: number): unknown {
    if (kind === K_MAP || kind === K_ATTR) return this.#mapAsMap ? new Map() : {};
    if (kind === K_SET && this.#setAsSet) return new Set();
    return [];
  }

  #setEntry(d: number, key: RespValue, value: RespValue): void {
    const items = this.#items[d] as MapItems;
    if (items instanceof Map) items.set(key, value);
    else if (typeof key !== 'string') {
      // First non-string key: this map becomes a Map (mapAs 'auto').
      const map = new Map<RespValue, RespValue>(Object.entries(items));
      map.set(key, value);
      this.#items[d] = map;
    } else setField(items, key, value);
  }

  // ── tokens ──────────────────────────────────────────────────────────────────────────

  /**
   * Reads `<digits>\r\n`, `-1\r\n` or `?\r\n` at p. Returns the length, L_NULL, L_STREAMED or
   * L_INCOMPLETE, and leaves the offset after the LF in #next.
   */
  #length(buf: Buffer, p: number, len: number, base: number): number {
    if (p >= len) return L_INCOMPLETE;
    let c = buf[p]!;
    let n: number;
    if (c === 63 || c === 45) {
      // "?" or "-1"
      if (c === 45) {
        if (++p >= len) return L_INCOMPLETE;
        if (buf[p] !== 49) throw this.#error('invalid length', base + p);
      }
      n = c === 63 ? L_STREAMED : L_NULL;
      p++;
      if (p >= len) return L_INCOMPLETE;
      if (buf[p] !== 13) throw this.#error('invalid length', base + p);
    } else {
      const digits = p;
      n = 0;
      for (;;) {
        if (p >= len) return L_INCOMPLETE;
        c = buf[p]!;
        if (c === 13) break;
        c -= 48;
        if (c < 0 || c > 9 || p - digits >= MAX_LENGTH_DIGITS) throw this.#error('invalid length', base + p);
        n = n * 10 + c;
        p++;
      }
      if (p === digits) throw this.#error('invalid length', base + p);
    }
    if (p + 1 >= len) return L_INCOMPLETE;
    if (buf[p + 1] !== 10) throw this.#error('expected LF after CR', base + p + 1);
    this.#next = p + 2;
    return n;
  }

  /** A string value: UTF-8 text, or a Buffer that owns its memory in Buffers mode. */
  #string(buf: Buffer, start: number, end: number): string | Buffer {
    if (!this.#asBuffers) {
      if (end - start <= KEY_MAX) {
        if (this.#top === K_MAP && this.#keys[this.#depth - 1] === NO_KEY) return keyCache.get(buf, start, end);
        if (end - start <= SHORT_TEXT) return shortText(buf, start, end);
      }
      return (buf as FastBuffer).utf8Slice(start, end);
    }
    const out = Buffer.allocUnsafe(end - start);
    buf.copy(out, 0, start, end);
    return out;
  }

  #verbatim(buf: Buffer, start: number, end: number, base: number): string | Buffer | VerbatimString {
    if (end - start < 4 || buf[start + 3] !== 58) throw this.#error('verbatim string without "xxx:" format', base + start);
    const text = this.#string(buf, start + 4, end);
    return this.#verbatimObject ? new VerbatimString((buf as FastBuffer).latin1Slice(start, start + 3), text) : text;
  }

  #error(message: string, offset: number): ProtocolError {
    return new ProtocolError(message, offset);
  }

  // ── partial tokens ──────────────────────────────────────────────────────────────────

  #holdLine(buf: Buffer, start: number, base: number): void {
    this.#mode = M_LINE;
    this.#pieces = [buf.subarray(start)];
    this.#piecesLength = buf.length - start;
    this.#partialOffset = base + start;
  }

  #holdBulk(buf: Buffer, payload: number, type: number, length: number, base: number): void {
    this.#mode = M_BULK;
    this.#bulkType = type;
    this.#bulkLength = length;
    this.#pieces = payload < buf.length ? [buf.subarray(payload)] : [];
    this.#piecesLength = buf.length - payload;
    this.#partialOffset = base + payload;
  }

  #dropPartial(): void {
    this.#mode = M_NONE;
    this.#pieces = [];
    this.#piecesLength = 0;
  }

  /** LINE mode: returns where the rest of the chunk starts, or -1 if the line is still open. */
  #feedLine(chunk: Buffer): number {
    const pieces = this.#pieces;
    const offset = this.#partialOffset;
    // The line ends at the first CRLF, which may straddle the boundary.
    let lf = chunk.indexOf(10);
    while (lf !== -1) {
      const before = lf > 0 ? chunk[lf - 1] : pieces[pieces.length - 1]![pieces[pieces.length - 1]!.length - 1];
      if (before === 13) break;
      lf = chunk.indexOf(10, lf + 1);
    }
    if (lf === -1) {
      const total = this.#piecesLength + chunk.length;
      if (total <= SMALL_LINE) {
        // Re-read the short line so a bad byte fails now, as it would have in one chunk.
        const head = Buffer.concat([...pieces, chunk]);
        this.#dropPartial();
        this.#parse(head, 0, offset);
      } else {
        if (total > this.#maxBulk) throw this.#error('line longer than maxBulkLength', offset);
        pieces.push(chunk);
        this.#piecesLength = total;
      }
      return -1;
    }
    const head = Buffer.concat([...pieces, chunk.subarray(0, lf + 1)]);
    this.#dropPartial();
    // Exactly one token: it ends at head's end, or is a bulk header whose payload follows.
    this.#parse(head, 0, offset);
    return lf + 1;
  }

  /** BULK mode: returns where the rest of the chunk starts, or -1 if the payload is still short. */
  #feedBulk(chunk: Buffer, pos: number): number {
    const n = this.#bulkLength;
    const need = n + 2 - this.#piecesLength;
    const avail = chunk.length - pos;
    if (avail < need) {
      if (avail > 0) this.#pieces.push(pos === 0 ? chunk : chunk.subarray(pos));
      this.#piecesLength += avail;
      return -1;
    }
    const pieces = this.#pieces;
    pieces.push(chunk.subarray(pos, pos + need)); // need > 0: a full payload never waits here
    const last = pieces[pieces.length - 1]!;
    const lf = last[last.length - 1];
    const cr = last.length >= 2 ? last[last.length - 2] : pieces[pieces.length - 2]![pieces[pieces.length - 2]!.length - 1];
    const offset = this.#partialOffset;
    if (cr !== 13) throw this.#error('expected CR after bulk payload', offset + n);
    if (lf !== 10) throw this.#error('expected LF after bulk payload', offset + n + 1);
    const type = this.#bulkType;
    this.#dropPartial();
    if (type === 36 && !this.#asBuffers) {
      this.#deliver(joinText(pieces, n), V_REPLY);
      return pos + need;
    }
    const payload = Buffer.concat(pieces, n); // the one copy; we own it from here
    let value: RespValue;
    let vk = V_REPLY;
    if (type === 36) value = payload;
    else if (type === 33) {
      value = new ReplyError(payload.toString('utf8'));
      vk = V_ERROR;
    } else if (type === 61) value = this.#verbatim(payload, 0, n, offset);
    else value = payload;
    this.#deliver(value, vk);
    return pos + need;
  }
}


function parseDouble(text: string, offset: number): number {
  const value = parseDoubleText(text);
  if (value === undefined) throw new ProtocolError(`invalid double "${text.slice(0, 32)}"`, offset);
  return value;
}

function parseBig(text: string, offset: number): bigint {
  if (!BIG_RE.test(text)) throw new ProtocolError('invalid big number', offset);
  return BigInt(text);
}

/** An integer of more than 15 digits: a number when it is safe, a bigint when it is not. */
function bigInteger(text: string): number | bigint {
  const big = BigInt(text);
  return big > MAX_SAFE || big < -MAX_SAFE ? big : Number(big);
}
