import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { Decoder } from '../../../src/resp/decoder.js';
import { recorder, type DecodeOptions } from './helpers.js';

const B = (s: string): Buffer => Buffer.from(s);

/** Feeds the pieces and returns the ProtocolError thrown on the way (or fails). */
function protocolError(pieces: readonly Buffer[], options?: DecodeOptions): ProtocolError {
  const { decoder } = recorder(options);
  for (const piece of pieces) {
    try {
      decoder.write(piece);
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError);
      // Unusable until reset(): the same error again, even for valid bytes.
      expect(() => decoder.write(B('+OK\r\n'))).toThrow(error as Error);
      return error as ProtocolError;
    }
  }
  throw new Error('no ProtocolError was thrown');
}

// [name, bytes, offset of the offending byte]
const malformed: Array<[string, string, number]> = [
  ['unknown type byte', 'X\r\n', 0],
  ['unknown type byte after a reply', '+OK\r\n?', 5],
  ['letters as a bulk length', '$abc\r\n', 1],
  ['non-digit inside a length', '*12x\r\n', 3],
  ['negative array length other than -1', '*-5\r\n', 2],
  ['bulk length -2', '$-2\r\n', 2],
  ['null map', '%-1\r\n', 1],
  ['empty length', '$\r\n', 1],
  ['length with 11 digits', '$12345678901\r\n', 11],
  ['non-digit in an integer', ':12a\r\n', 3],
  ['empty integer', ':\r\n', 1],
  ['CR without LF after a simple string', '+OK\rX\r\n', 4],
  ['CR without LF after a length', '*1\rX', 3],
  ['bulk payload longer than declared', '$3\r\nabcXY\r\n', 7],
  ['bulk payload CR without LF', '$3\r\nabc\rY', 8],
  ['bad boolean', '#x\r\n', 1],
  ['boolean without CRLF', '#tt\r\n', 2],
  ['null with junk', '_x\r\n', 1],
  ['bad double', ',abc\r\n', 1],
  ['bad big number', '(12a\r\n', 1],
  ['"." at top level', '.\r\n', 0],
  ['"." inside a counted array', '*1\r\n.\r\n', 4],
  ['";" outside a streamed string', ';3\r\nabc\r\n', 0],
  ['not ";" inside a streamed string', '$?\r\n+x\r\n', 4],
  ['verbatim string without format', '=3\r\nabc\r\n', 4],
  ['streamed map ended after a key', '%?\r\n+a\r\n.\r\n', 8],
];

describe('Decoder: malformed input throws ProtocolError at the offending byte', () => {
  for (const [name, text, offset] of malformed) {
    it(name, () => {
      const bytes = B(text);
      expect(protocolError([bytes]).offset).toBe(offset);
      // Byte by byte and split at every boundary: the same offset, counted from the stream start.
      expect(protocolError([...bytes].map((b) => Buffer.from([b]))).offset).toBe(offset);
      for (let i = 1; i < bytes.length; i++) {
        expect(protocolError([bytes.subarray(0, i), bytes.subarray(i)]).offset, `split at ${i}`).toBe(offset);
      }
    });
  }

  it('offsets count from the last reset()', () => {
    const { decoder } = recorder();
    decoder.write(B('+OK\r\n:1\r\n'));
    expect(() => decoder.write(B('X'))).toThrow(ProtocolError);
    decoder.reset();
    decoder.write(B('+OK\r\n'));
    let caught: unknown;
    try {
      decoder.write(B('$1x\r\n'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).offset).toBe(7);
  });
});

describe('Decoder: truncated input waits', () => {
  it.each([
    ['$5\r\nhel', 7],
    ['*2\r\n:1\r\n', 8],
    ['+OK', 3],
    ['$?\r\n;2\r\nab\r\n', 12],
    ['|1\r\n+a\r\n+b\r\n', 12],
    ['%1\r\n+a\r\n', 8],
  ])('%j: no emit, no throw, pendingBytes %i', (text, pending) => {
    const bytes = B(text);
    for (const pieces of [[bytes], [...bytes].map((b) => Buffer.from([b]))]) {
      const { decoder, events } = recorder();
      for (const piece of pieces) decoder.write(piece);
      expect(events).toEqual([]);
      expect(decoder.pendingBytes).toBe(pending);
    }
  });
});

describe('Decoder: hostile sizes', () => {
  it('a reply nested 100,000 deep is a ProtocolError at depth 513, not a stack overflow', () => {
    expect(protocolError([B('*1\r\n'.repeat(100_000) + ':1\r\n')]).offset).toBe(512 * 4);
    expect(protocolError([B('~?\r\n'.repeat(100_000))]).offset).toBe(512 * 4);
    expect(protocolError([B('|1\r\n'.repeat(100_000))]).offset).toBe(512 * 4);
  });

  it('maxDepth is configurable and exact', () => {
    const { decoder, events } = recorder({ maxDepth: 2 });
    decoder.write(B('*1\r\n*1\r\n:1\r\n'));
    expect(events).toEqual([{ kind: 'reply', value: [[1]] }]);
    expect(protocolError([B('*1\r\n*1\r\n*1\r\n:1\r\n')], { maxDepth: 2 }).offset).toBe(8);
  });

  it('a bulk length above maxBulkLength is refused before any payload', () => {
    expect(protocolError([B('$536870913\r\n')]).offset).toBe(1);
    expect(protocolError([B('+OK\r\n$11\r\n')], { maxBulkLength: 10 }).offset).toBe(6);
    const { decoder } = recorder();
    decoder.write(B('$536870912\r\n'));
    expect(decoder.pendingBytes).toBe(12);
  });

  it('a huge declared aggregate allocates nothing up front', () => {
    const { decoder, events } = recorder();
    decoder.write(B('*4294967295\r\n:1\r\n'));
    expect(events).toEqual([]);
    expect(decoder.pendingBytes).toBe(17);
  });

  it('a 100 MiB bulk in 64 KiB chunks decodes (one concat, no rescans)', () => {
    const size = 100 * 1024 * 1024;
    const payload = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i += 4096) payload[i] = (i / 4096) & 0xff;
    payload[size - 1] = 0x7f;
    const { decoder, events } = recorder({ returnBuffers: () => true });
    decoder.write(B(`+before\r\n$${size}\r\n`));
    for (let i = 0; i < size; i += 65536) decoder.write(payload.subarray(i, i + 65536));
    expect(events).toHaveLength(1);
    decoder.write(B('\r\n+after\r\n'));
    expect(events).toHaveLength(3);
    const value = events[1]!.kind === 'reply' ? (events[1]!.value as Buffer) : B('');
    expect(value.length).toBe(size);
    expect([value[0], value[4096], value[8192 * 10], value[size - 1]]).toEqual([0, 1, 20, 0x7f]);
    expect(events[2]).toEqual({ kind: 'reply', value: B('after') });
  });

  it('a 4 MiB simple string in 64 KiB chunks decodes', () => {
    const text = 'a'.repeat(4 * 1024 * 1024);
    const bytes = B(`+${text}\r\n:1\r\n`);
    const { decoder, events } = recorder();
    for (let i = 0; i < bytes.length; i += 65536) decoder.write(bytes.subarray(i, i + 65536));
    expect(events.map((e) => (e.kind === 'reply' && typeof e.value === 'string' ? e.value.length : e))).toEqual([text.length, { kind: 'reply', value: 1 }]);
  });

  it('Decoder instances are independent', () => {
    const a = recorder();
    const b = new Decoder({ onReply: () => {}, onError: () => {}, onPush: () => {} });
    a.decoder.write(B('*1\r\n'));
    b.write(B(':1\r\n'));
    a.decoder.write(B(':2\r\n'));
    expect(a.events).toEqual([{ kind: 'reply', value: [2] }]);
  });
});
