/**
 * RESP command encoding: a command is an array of bulk strings (`*N\r\n` then `$len\r\n<bytes>\r\n`
 * per part). Owns argument validation (checkArgs), one-off encoding (encodeCommand) and batch
 * encoding for one socket write (CommandWriter). Pure: no sockets; imports only errors and
 * resp/types.
 *
 * CommandWriter memory layout — a slab is filled front to back and never rewritten:
 *
 *   slab:  [ taken earlier | start ... off = this batch | free ]
 *   take() hands out slab[start, off) and moves start to off, so a chunk the socket still
 *   holds is never overwritten. A Buffer argument of BIG_ARG bytes or more is not copied: it is
 *   handed out as a chunk of its own between two slab chunks. So is a string of BIG_ARG bytes
 *   or more, as the string itself: the socket encodes it straight into the write request, which
 *   saves a Buffer allocation and a pass over the text. Chunks are at most SLAB_SIZE bytes (or
 *   one big argument), so a batch of any size never needs one giant allocation.
 */
import { ArgumentTypeError } from '../errors.js';
import type { RedisArg } from './types.js';
import type { FastBuffer } from './text.js';

/** Arguments from this size (in bytes) go out as their own chunk instead of being copied. */
export const BIG_ARG = 16 * 1024;
/** Size of a fresh slab; also the largest chunk that holds more than one argument. */
export const SLAB_SIZE = 64 * 1024;
/** Size of a writer's first slab; each next one doubles, up to SLAB_SIZE. */
export const FIRST_SLAB = 1024;
/** Strings up to this many UTF-16 units are copied by a JS loop (no native call) when ASCII. */
const SHORT_STRING = 16;
/** Strings up to this many UTF-16 units are written by one native call, guessing ASCII. */
const MEDIUM_STRING = 4096;
/** Room for `*` or `$`, up to 16 digits, a sign and CRLF. */
const HEADER_ROOM = 20;

const EMPTY = Buffer.alloc(0);

/** What take() hands to the socket: bytes, or a big string argument for the socket to encode as UTF-8. */
export type Chunk = Buffer | string;

/**
 * Called through .call(): a `class X extends String` anywhere in the process (node-redis has
 * one) makes V8 stop inlining `s.charCodeAt(i)`, which then costs 5x; the builtin held in a
 * constant stays inlined.
 */
const charCodeAt = String.prototype.charCodeAt;

/** The server's default proto-max-bulk-len: the largest argument it accepts. */
export const MAX_ARGUMENT_BYTES = 512 * 1024 * 1024;

/**
 * Refuses, before anything is queued or written, an argument RESP cannot carry: anything but
 * a string, a Buffer or a finite number, or one over `maxBytes` (the server would drop the
 * connection, failing every other command on it). The error names the command, the argument
 * index and, for size, the byte count.
 */
export function checkArgs(name: string, args: readonly unknown[], maxBytes: number = MAX_ARGUMENT_BYTES): void {
  // A string's UTF-8 size is between its length and three times it: only a string whose length
  // is over a third of the limit is measured, so the common case costs a multiplication.
  const longest = maxBytes / 3;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg === 'string') {
      if (arg.length > longest) checkSize(name, i, Buffer.byteLength(arg), maxBytes);
      continue;
    }
    if (typeof arg === 'number') {
      if (Number.isFinite(arg)) continue;
    } else if (Buffer.isBuffer(arg)) {
      if (arg.length > maxBytes) checkSize(name, i, arg.length, maxBytes);
      continue;
    }
    throw new ArgumentTypeError(name, i, arg);
  }
}

function checkSize(name: string, index: number, size: number, maxBytes: number): void {
  if (size > maxBytes) {
    throw new ArgumentTypeError(name, index, undefined, 'too-large', `is ${size} bytes, over maxArgumentBytes ${maxBytes} (the server's proto-max-bulk-len); nothing was sent`, size);
  }
}

/**
 * One command in one Buffer. Arguments must have passed checkArgs(). The bytes come from a
 * shared slab (never rewritten once handed out), so small commands cost no allocation.
 */
export function encodeCommand(name: string, args: readonly RedisArg[]): Buffer {
  shared.add(name, args);
  const chunks = shared.take();
  if (chunks.length === 1 && typeof chunks[0] !== 'string') return chunks[0]!;
  return Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)));
}

/** Encodes many commands into few chunks for one write (see the layout above). */
export class CommandWriter {
  #slab: Buffer = EMPTY;
  #start = 0;
  #off = 0;
  #chunks: Chunk[] = [];
  #commands = 0;

  /** Commands added since the last take(). */
  get length(): number {
    return this.#commands;
  }

  /** Appends one command. Throws ArgumentTypeError (and writes nothing) on a bad argument. */
  add(name: string, args: readonly RedisArg[]): void {
    checkArgs(name, args);
    this.#ensure(HEADER_ROOM);
    this.#off = writeHeader(this.#slab, this.#off, 42, args.length + 1);
    this.#string(name);
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (typeof arg === 'string') this.#string(arg);
      else if (typeof arg === 'number') this.#number(arg);
      else this.#buffer(arg);
    }
    this.#commands++;
  }

  /** The chunks of every command added since the last take(), in order. Never rewritten. */
  take(): Chunk[] {
    this.#seal();
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#commands = 0;
    return chunks;
  }

  /** Drops what was added since the last take(). */
  clear(): void {
    this.#off = this.#start;
    this.#chunks = [];
    this.#commands = 0;
  }

  /**
   * A string argument. The header's length must be the UTF-8 byte count, known only after a
   * scan; short and medium strings guess ASCII (byte count = s.length), write the payload
   * after a header of that width, and fix the header up in the rare case the guess was wrong.
   */
  #string(s: string): void {
    const n = s.length;
    if (n > MEDIUM_STRING) {
      this.#longString(s);
      return;
    }
    this.#ensure(HEADER_ROOM + 3 * n);
    const slab = this.#slab;
    const off = this.#off;
    const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
    const at = off + digits + 3; // payload start for an ASCII guess
    let size = n;
    if (n <= SHORT_STRING) {
      let i = 0;
      for (; i < n; i++) {
        const c = charCodeAt.call(s, i);
        if (c > 127) break;
        slab[at + i] = c;
      }
      if (i < n) size = (slab as FastBuffer).utf8Write(s, at);
    } else size = (slab as FastBuffer).utf8Write(s, at);
    if (size === n) {
      slab[off] = 36;
      writeDigits(slab, off + 1, n, digits);
      slab[at - 2] = 13;
      slab[at - 1] = 10;
    } else {
      // Not ASCII: more bytes than units, so perhaps a wider header; move the payload once.
      const wider = digitCount(size) - digits;
      if (wider > 0) slab.copyWithin(at + wider, at, at + size);
      writeHeader(slab, off, 36, size);
    }
    let end = off + digitCount(size) + 3 + size;
    slab[end++] = 13;
    slab[end++] = 10;
    this.#off = end;
  }

  #longString(s: string): void {
    const size = Buffer.byteLength(s);
    if (size >= BIG_ARG) {
      this.#ensure(HEADER_ROOM);
      this.#off = writeHeader(this.#slab, this.#off, 36, size);
      this.#seal();
      this.#chunks.push(s); // encoded by the socket, with no Buffer of its own
      this.#ensure(2);
      this.#slab[this.#off++] = 13;
      this.#slab[this.#off++] = 10;
      return;
    }
    this.#ensure(HEADER_ROOM + size);
    const slab = this.#slab;
    let off = writeHeader(slab, this.#off, 36, size);
    off += (slab as FastBuffer).utf8Write(s, off, size);
    slab[off++] = 13;
    slab[off++] = 10;
    this.#off = off;
  }

  #number(value: number): void {
    if (!Number.isSafeInteger(value)) {
      this.#string(numberText(value));
      return;
    }
    this.#ensure(2 * HEADER_ROOM);
    const slab = this.#slab;
    const negative = value < 0;
    const abs = negative ? -value : value;
    const digits = digitCount(abs);
    let off = writeHeader(slab, this.#off, 36, digits + (negative ? 1 : 0));
    if (negative) slab[off++] = 45;
    off = writeDigits(slab, off, abs, digits);
    slab[off++] = 13;
    slab[off++] = 10;
    this.#off = off;
  }

  #buffer(arg: Buffer): void {
    const n = arg.length;
    if (n < BIG_ARG) {
      this.#ensure(HEADER_ROOM + n);
      let off = writeHeader(this.#slab, this.#off, 36, n);
      off += arg.copy(this.#slab, off);
      this.#slab[off++] = 13;
      this.#slab[off++] = 10;
      this.#off = off;
      return;
    }
    this.#ensure(HEADER_ROOM);
    this.#off = writeHeader(this.#slab, this.#off, 36, n);
    this.#seal();
    this.#chunks.push(arg); // not copied: the caller's memory goes to the socket as is
    this.#ensure(2);
    this.#slab[this.#off++] = 13;
    this.#slab[this.#off++] = 10;
  }

  /** Makes room for `size` bytes at #off, sealing the current chunk if a new slab is needed. */
  #ensure(size: number): void {
    if (this.#slab.length - this.#off >= size) return;
    // A writer keeps its last slab for good, and a full 64 KiB one per idle node was most of a
    // 1,000-node cluster client's memory (bench/src/scale). So slabs start at FIRST_SLAB and
    // double up to SLAB_SIZE; while growing, this batch's bytes move to the bigger slab, so a
    // batch that fits in SLAB_SIZE stays one chunk. A busy writer reaches SLAB_SIZE in a few
    // batches and then allocates exactly as before.
    const pending = this.#off - this.#start;
    if (this.#slab.length < SLAB_SIZE && pending + size <= SLAB_SIZE) {
      let grown = Math.max(FIRST_SLAB, 2 * this.#slab.length);
      while (grown < pending + size) grown *= 2;
      const next = Buffer.allocUnsafeSlow(Math.min(SLAB_SIZE, grown));
      this.#slab.copy(next, 0, this.#start, this.#off);
      this.#slab = next;
      this.#start = 0;
      this.#off = pending;
      return;
    }
    this.#seal();
    this.#slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, size));
    this.#start = this.#off = 0;
  }

  /** Moves slab[start, off) to the chunk list; those bytes are never written again. */
  #seal(): void {
    if (this.#off > this.#start) {
      this.#chunks.push(this.#slab.subarray(this.#start, this.#off));
      this.#start = this.#off;
    }
  }
}

const shared = new CommandWriter();

/**
 * Decimal text for Redis. Integers beyond 2^53 are written exactly (2 ** 60 is
 * 1152921504606846976, not JS's shortest form 1152921504606847000); -0 is "0".
 */
function numberText(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? BigInt(value).toString() : String(value);
}

/** Writes `<type><n>\r\n` at off and returns the offset after it. */
function writeHeader(buf: Buffer, off: number, type: number, n: number): number {
  buf[off++] = type;
  off = writeDigits(buf, off, n, digitCount(n));
  buf[off++] = 13;
  buf[off++] = 10;
  return off;
}

function writeDigits(buf: Buffer, off: number, n: number, digits: number): number {
  let p = off + digits;
  const end = p;
  do {
    const q = Math.floor(n / 10);
    buf[--p] = 48 + (n - q * 10);
    n = q;
  } while (n > 0);
  return end;
}

function digitCount(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}
