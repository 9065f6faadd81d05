import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentTypeError } from '../../../src/errors.js';
import { BIG_ARG, CommandWriter, SLAB_SIZE, checkArgs, encodeCommand, type Chunk } from '../../../src/resp/encoder.js';
import type { RedisArg } from '../../../src/resp/types.js';
import { recorder } from './helpers.js';

const B = (s: string): Buffer => Buffer.from(s);

/** What the socket would send for these chunks (it encodes string chunks as UTF-8). */
function bytesOf(chunks: readonly Chunk[]): Buffer {
  return Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)));
}

function slabChunks(chunks: readonly Chunk[]): Buffer[] {
  return chunks.map((c) => {
    if (typeof c === 'string') throw new Error('unexpected string chunk');
    return c;
  });
}

function written(commands: Array<[string, RedisArg[]]>): { chunks: Chunk[]; bytes: Buffer } {
  const writer = new CommandWriter();
  for (const [name, args] of commands) writer.add(name, args);
  const chunks = writer.take();
  return { chunks, bytes: bytesOf(chunks) };
}

/** The bytes, both ways: encodeCommand and CommandWriter must agree exactly. */
function encodeBoth(name: string, args: RedisArg[]): string {
  const one = encodeCommand(name, args);
  expect(written([[name, args]]).bytes.equals(one)).toBe(true);
  return one.toString('latin1');
}

describe('encodeCommand / CommandWriter: exact bytes', () => {
  it.each<[string, RedisArg[], string]>([
    ['PING', [], '*1\r\n$4\r\nPING\r\n'],
    ['SET', ['key', 'value'], '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n'],
    ['EXPIRE', ['k', 10], '*3\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$2\r\n10\r\n'],
    ['INCRBY', ['k', -5], '*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$2\r\n-5\r\n'],
    ['ZADD', ['z', 1.5, 'm'], '*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\n1.5\r\n$1\r\nm\r\n'],
    ['SET', ['', 0], '*3\r\n$3\r\nSET\r\n$0\r\n\r\n$1\r\n0\r\n'],
    ['X', [-0, 2 ** 60, 1e21], '*4\r\n$1\r\nX\r\n$1\r\n0\r\n$19\r\n1152921504606846976\r\n$5\r\n1e+21\r\n'],
    ['X', [Number.MAX_SAFE_INTEGER], '*2\r\n$1\r\nX\r\n$16\r\n9007199254740991\r\n'],
  ])('%s %j', (name, args, bytes) => {
    expect(encodeBoth(name, args)).toBe(bytes);
  });

  it('counts UTF-8 lengths in bytes (short, medium and long strings)', () => {
    expect(encodeBoth('SET', ['é☃🎉', 'x'])).toBe(Buffer.from('*3\r\n$3\r\nSET\r\n$9\r\né☃🎉\r\n$1\r\nx\r\n').toString('latin1'));
    for (const s of ['é'.repeat(40), 'é'.repeat(100), '☃'.repeat(3000), '🎉'.repeat(5000)]) {
      const bytes = encodeCommand('SET', ['k', s]);
      const size = Buffer.byteLength(s);
      expect(bytes.toString('utf8')).toBe(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${size}\r\n${s}\r\n`);
      expect(written([['SET', ['k', s]]]).bytes.equals(bytes)).toBe(true);
    }
  });

  it('widens the length header when the UTF-8 bytes need more digits than the UTF-16 units', () => {
    // Short (JS loop), medium (one native write) and long strings, each crossing a digit boundary,
    // some ASCII before the first wide character so a guess is partly written first.
    for (const s of ['é'.repeat(5), 'abcé', 'abcdefghijklmno☃', 'é'.repeat(60), 'x'.repeat(90) + '🎉'.repeat(4), '☃'.repeat(400), 'é'.repeat(4096), 'é'.repeat(4097)]) {
      const size = Buffer.byteLength(s);
      const expected = Buffer.from(`*3\r\n$3\r\nSET\r\n$${size}\r\n${s}\r\n$1\r\nx\r\n`);
      expect(encodeCommand('SET', [s, 'x']).equals(expected)).toBe(true);
      expect(written([['SET', [s, 'x']], ['SET', [s, 'x']]]).bytes.equals(Buffer.concat([expected, expected]))).toBe(true);
    }
  });

  it('writes the same bytes after a String subclass exists (V8 then treats charCodeAt differently)', () => {
    class Tagged extends String {}
    expect(new Tagged('x').length).toBe(1);
    expect(encodeBoth('SET', ['key', 'é☃🎉'])).toBe(Buffer.from('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$9\r\né☃🎉\r\n').toString('latin1'));
  });

  it('is binary-safe: Buffers with CRLF inside', () => {
    const arg = Buffer.from([0, 13, 10, 36, 13, 10, 0xff]);
    expect(encodeBoth('SET', ['k', arg])).toBe(Buffer.concat([B('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$7\r\n'), arg, B('\r\n')]).toString('latin1'));
  });

  it('round-trips any arguments through the decoder', () => {
    const arg = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.array(arg, { maxLength: 6 })), { minLength: 1, maxLength: 8 }), (commands) => {
        const { decoder, events } = recorder({ returnBuffers: () => true });
        for (const chunk of written(commands).chunks) decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'utf8'));
        // Numbers come back as text that parses to the same number (-0 as "0").
        const asSent = (a: RedisArg, got: Buffer): Buffer | number =>
          typeof a === 'number' ? Number(got.toString()) + 0 : Buffer.isBuffer(a) ? a : B(a);
        expect(events).toHaveLength(commands.length);
        commands.forEach(([name, args], i) => {
          const event = events[i]!;
          const got = (event.kind === 'reply' ? event.value : []) as Buffer[];
          expect([got[0], ...args.map((a, j) => asSent(a, got[j + 1]!))]).toEqual([B(name), ...args.map((a) => (typeof a === 'number' ? a + 0 : Buffer.isBuffer(a) ? a : B(a)))]);
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('CommandWriter: chunks', () => {
  it('does not copy big Buffers: the same memory is its own chunk', () => {
    const big = Buffer.alloc(BIG_ARG, 7);
    const { chunks, bytes } = written([
      ['SET', ['a', 'small']],
      ['SET', ['b', big]],
      ['GET', ['a']],
    ]);
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(big);
    expect(bytes.equals(Buffer.concat([encodeCommand('SET', ['a', 'small']), encodeCommand('SET', ['b', big]), encodeCommand('GET', ['a'])]))).toBe(true);
  });

  it('copies Buffers below the threshold', () => {
    const small = Buffer.alloc(BIG_ARG - 1, 7);
    const { chunks } = written([['SET', ['b', small]]]);
    expect(chunks).toHaveLength(1);
    expect(slabChunks(chunks)[0]!.buffer).not.toBe(small.buffer);
  });

  it('hands big strings to the socket as they are, sized in UTF-8 bytes', () => {
    for (const big of ['s'.repeat(BIG_ARG), 'é'.repeat(BIG_ARG / 2), '☃'.repeat(BIG_ARG)]) {
      const { chunks, bytes } = written([
        ['SET', ['a', 'small']],
        ['SET', ['b', big]],
        ['GET', ['a']],
      ]);
      expect(chunks).toHaveLength(3);
      expect(chunks[1]).toBe(big);
      const size = Buffer.byteLength(big);
      expect(bytes.toString('utf8')).toBe(`*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nsmall\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$${size}\r\n${big}\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n`);
      expect(encodeCommand('SET', ['b', big]).equals(bytesOf(written([['SET', ['b', big]]]).chunks))).toBe(true);
    }
    // Just below the threshold in bytes: copied into the slab.
    const below = 'é'.repeat(BIG_ARG / 2 - 1) + 'x';
    expect(written([['SET', ['b', below]]]).chunks).toHaveLength(1);
  });

  it('never rewrites chunks it has handed out', () => {
    const writer = new CommandWriter();
    writer.add('SET', ['k', 'first']);
    const first = slabChunks(writer.take());
    const snapshot = Buffer.concat(first);
    for (let i = 0; i < 5000; i++) writer.add('SET', [`key:${i}`, 'second batch']);
    writer.take();
    expect(Buffer.concat(first).equals(snapshot)).toBe(true);
    expect(writer.take()).toEqual([]);
    expect(writer.length).toBe(0);
  });

  it('encodes 1,000,000 commands into several bounded chunks', () => {
    const writer = new CommandWriter();
    let expectedSize = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const key = `key:${i}`;
      writer.add('SET', [key, 'value']);
      expectedSize += 4 + 9 + (1 + String(key.length).length + 2) + key.length + 2 + 11;
    }
    expect(writer.length).toBe(1_000_000);
    const chunks = slabChunks(writer.take());
    expect(chunks.length).toBeGreaterThan(100);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(SLAB_SIZE);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(expectedSize);
    const head = '*3\r\n$3\r\nSET\r\n$5\r\nkey:0\r\n$5\r\nval';
    const tail = '\r\n$10\r\nkey:999999\r\n$5\r\nvalue\r\n';
    expect(chunks[0]!.subarray(0, head.length).toString()).toBe(head);
    expect(chunks.at(-1)!.subarray(-tail.length).toString()).toBe(tail);
  });

  it('splits one command with very many arguments across chunks', () => {
    const args = Array.from({ length: 200_000 }, (_, i) => `f${i}`);
    const { chunks, bytes } = written([['HMGET', ['h', ...args]]]);
    expect(chunks.length).toBeGreaterThan(10);
    expect(bytes.equals(encodeCommand('HMGET', ['h', ...args]))).toBe(true);
  });
});

describe('checkArgs', () => {
  it.each<[unknown, string]>([
    [undefined, 'undefined'],
    [null, 'null'],
    [{ a: 1 }, 'object'],
    [['x'], 'array'],
    [NaN, 'number'],
    [Infinity, 'number'],
    [true, 'boolean'],
    [10n, 'bigint'],
  ])('refuses %s, naming the command and the index', (bad, type) => {
    let caught: unknown;
    try {
      checkArgs('SET', ['key', bad]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ArgumentTypeError);
    expect((caught as ArgumentTypeError).command).toBe('SET');
    expect((caught as ArgumentTypeError).index).toBe(1);
    expect((caught as ArgumentTypeError).message).toContain(type);
  });

  it('accepts strings, Buffers and finite numbers', () => {
    expect(() => checkArgs('SET', ['k', B('v'), 1, -1.5, 0])).not.toThrow();
  });

  it('CommandWriter.add refuses a bad argument and writes nothing of that command', () => {
    const writer = new CommandWriter();
    writer.add('SET', ['a', '1']);
    expect(() => writer.add('SET', ['b', undefined as unknown as string])).toThrow(ArgumentTypeError);
    writer.add('GET', ['a']);
    expect(Buffer.concat(writer.take().map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c, 'utf8')))).equals(Buffer.concat([encodeCommand('SET', ['a', '1']), encodeCommand('GET', ['a'])]))).toBe(true);
  });
});
