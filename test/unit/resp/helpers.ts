/**
 * Test-only helpers for the RESP decoder: a recorder of what the decoder emits, the three ways
 * of feeding bytes (whole, byte by byte, split at every boundary) and a small RESP3 serializer
 * used by the property test. Nothing here is imported by src/.
 */
import { Decoder } from '../../../src/resp/decoder.js';
import type { ReplyError } from '../../../src/errors.js';
import type { DecoderOptions, RespValue } from '../../../src/resp/types.js';

export type Event =
  | { kind: 'reply'; value: RespValue; attribute?: RespValue }
  | { kind: 'error'; error: ReplyError }
  | { kind: 'push'; value: RespValue[] };

export type DecodeOptions = Partial<Omit<DecoderOptions, 'onReply' | 'onError' | 'onPush'>>;

export function recorder(options: DecodeOptions = {}): { decoder: Decoder; events: Event[] } {
  const events: Event[] = [];
  const decoder = new Decoder({
    ...options,
    onReply: (value, attribute) =>
      events.push(attribute === undefined ? { kind: 'reply', value } : { kind: 'reply', value, attribute }),
    onError: (error) => events.push({ kind: 'error', error }),
    onPush: (value) => events.push({ kind: 'push', value }),
  });
  return { decoder, events };
}

/** Feeds `bytes` cut at the given offsets (ascending) and returns what was emitted. */
export function decodeSplit(bytes: Buffer, cuts: readonly number[], options?: DecodeOptions): Event[] {
  const { decoder, events } = recorder(options);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    // Fresh copies: the decoder may keep what it was given, and must not care where it came from.
    if (cut > from) decoder.write(Buffer.from(bytes.subarray(from, cut)));
    from = cut;
  }
  if (decoder.pendingBytes !== 0) throw new Error(`decoder still holds ${decoder.pendingBytes} bytes`);
  return events;
}

export const whole = (bytes: Buffer, options?: DecodeOptions): Event[] => decodeSplit(bytes, [], options);

export const byteByByte = (bytes: Buffer, options?: DecodeOptions): Event[] =>
  decodeSplit(
    bytes,
    Array.from({ length: bytes.length }, (_, i) => i),
    options,
  );

/** For each i: write(slice(0, i)), write(slice(i)). Calls `check` with the events of each split. */
export function everySplit(bytes: Buffer, check: (events: Event[], at: number) => void, options?: DecodeOptions): void {
  for (let i = 1; i < bytes.length; i++) check(decodeSplit(bytes, [i], options), i);
}

// ── a small RESP3 serializer, for the property test ────────────────────────────────────

/** A RESP3 value with its wire form chosen explicitly. */
export type Wire =
  | { t: 'simple'; v: string }
  | { t: 'bulk'; v: string }
  | { t: 'stream-string'; chunks: string[] }
  | { t: 'verbatim'; format: string; v: string }
  | { t: 'error'; v: string } // nested only: top-level errors go to onError
  | { t: 'int'; v: number | bigint }
  | { t: 'double'; v: number }
  | { t: 'big'; v: bigint }
  | { t: 'bool'; v: boolean }
  | { t: 'null' }
  | { t: 'array' | 'set'; items: Wire[]; streamed: boolean }
  | { t: 'map'; entries: Array<[Wire, Wire]>; streamed: boolean }
  | { t: 'with-attribute'; attribute: Array<[Wire, Wire]>; value: Wire }; // nested: dropped

export function serialize(w: Wire): string {
  switch (w.t) {
    case 'simple':
      return `+${w.v}\r\n`;
    case 'bulk':
      return `$${Buffer.byteLength(w.v)}\r\n${w.v}\r\n`;
    case 'stream-string':
      return `$?\r\n${w.chunks.map((c) => `;${Buffer.byteLength(c)}\r\n${c}\r\n`).join('')};0\r\n`;
    case 'verbatim':
      return `=${Buffer.byteLength(w.v) + 4}\r\n${w.format}:${w.v}\r\n`;
    case 'error':
      return `!${Buffer.byteLength(w.v)}\r\n${w.v}\r\n`;
    case 'int':
      return `:${w.v}\r\n`;
    case 'double': {
      const v = w.v;
      const text = Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : Object.is(v, -0) ? '-0' : String(v);
      return `,${text}\r\n`;
    }
    case 'big':
      return `(${w.v}\r\n`;
    case 'bool':
      return `#${w.v ? 't' : 'f'}\r\n`;
    case 'null':
      return '_\r\n';
    case 'array':
    case 'set': {
      const type = w.t === 'array' ? '*' : '~';
      const body = w.items.map(serialize).join('');
      return w.streamed ? `${type}?\r\n${body}.\r\n` : `${type}${w.items.length}\r\n${body}`;
    }
    case 'map': {
      const body = w.entries.map(([k, v]) => serialize(k) + serialize(v)).join('');
      return w.streamed ? `%?\r\n${body}.\r\n` : `%${w.entries.length}\r\n${body}`;
    }
    case 'with-attribute':
      return `|${w.attribute.length}\r\n${w.attribute.map(([k, v]) => serialize(k) + serialize(v)).join('')}${serialize(w.value)}`;
  }
}

/** What the decoder must produce for `w` with default options. */
export function expected(w: Wire, makeError: (message: string) => ReplyError): RespValue {
  switch (w.t) {
    case 'simple':
    case 'bulk':
    case 'verbatim':
      return w.v;
    case 'stream-string':
      return w.chunks.join('');
    case 'error':
      return makeError(w.v);
    case 'int':
    case 'double':
    case 'big':
    case 'bool':
      return w.v;
    case 'null':
      return null;
    case 'array':
    case 'set':
      return w.items.map((i) => expected(i, makeError));
    case 'map': {
      const entries = w.entries.map(([k, v]) => [expected(k, makeError), expected(v, makeError)] as const);
      if (entries.every(([k]) => typeof k === 'string')) {
        const obj: Record<string, RespValue> = {};
        for (const [k, v] of entries) Object.defineProperty(obj, k as string, { value: v, enumerable: true, writable: true, configurable: true });
        return obj;
      }
      return new Map(entries);
    }
    case 'with-attribute':
      return expected(w.value, makeError);
  }
}

/** A canonical text of emitted events, cheap to compare across thousands of splits. */
export function digest(events: readonly Event[]): string {
  return events.map((e) => `${e.kind}:${describe(e.kind === 'error' ? e.error : e.value)}${'attribute' in e ? `@${describe(e.attribute as RespValue)}` : ''}`).join('\n');
}

function describe(v: RespValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return `<${v.toString('hex')}>`;
  if (Array.isArray(v)) return `[${v.map(describe).join(',')}]`;
  if (v instanceof Set) return `Set[${[...v].map(describe).join(',')}]`;
  if (v instanceof Map) return `Map{${[...v].map(([k, x]) => `${describe(k)}=>${describe(x)}`).join(',')}}`;
  if (v instanceof Error) return `${v.constructor.name}(${JSON.stringify(v.message)})`;
  if (typeof v === 'object' && 'format' in v && 'text' in v) return `Verbatim(${String(v.format)},${describe(v.text as RespValue)})`;
  return `{${Object.keys(v).map((k) => `${JSON.stringify(k)}:${describe((v as Record<string, RespValue>)[k]!)}`).join(',')}}`;
}
