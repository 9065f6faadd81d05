import { describe, expect, it } from 'vitest';
import { ReplyError } from '../../../src/errors.js';
import { VerbatimString, type RespValue } from '../../../src/resp/types.js';
import { Decoder } from '../../../src/resp/decoder.js';
import { byteByByte, digest, everySplit, recorder, whole, type DecodeOptions, type Event } from './helpers.js';

const reply = (value: RespValue, attribute?: RespValue): Event =>
  attribute === undefined ? { kind: 'reply', value } : { kind: 'reply', value, attribute };
const error = (message: string): Event => ({ kind: 'error', error: new ReplyError(message) });
const push = (value: RespValue[]): Event => ({ kind: 'push', value });
const obj = (entries: Array<[string, RespValue]>): Record<string, RespValue> => Object.fromEntries(entries);
const B = (s: string): Buffer => Buffer.from(s);

interface Case {
  name: string;
  bytes: string | Buffer;
  events: Event[];
  options?: DecodeOptions;
}

const cases: Case[] = [
  // RESP2
  { name: 'simple string', bytes: '+OK\r\n', events: [reply('OK')] },
  { name: 'empty simple string', bytes: '+\r\n', events: [reply('')] },
  { name: 'simple string, UTF-8', bytes: '+héllo wörld ☃ 🎉\r\n', events: [reply('héllo wörld ☃ 🎉')] },
  // Not valid RESP, but tolerated; what matters is the same result at every split.
  { name: 'bare LF inside a simple string', bytes: '+a\nb\r\n', events: [reply('a\nb')] },
  { name: 'simple error', bytes: '-ERR unknown command\r\n', events: [error('ERR unknown command')] },
  { name: 'integer', bytes: ':1000\r\n', events: [reply(1000)] },
  { name: 'negative integer', bytes: ':-42\r\n', events: [reply(-42)] },
  { name: 'integer with +', bytes: ':+7\r\n', events: [reply(7)] },
  { name: 'zero and minus zero', bytes: ':0\r\n:-0\r\n', events: [reply(0), reply(0)] },
  { name: 'max safe integer', bytes: ':9007199254740991\r\n:-9007199254740991\r\n', events: [reply(2 ** 53 - 1), reply(-(2 ** 53 - 1))] },
  { name: 'integer past 2^53 is a bigint', bytes: ':9007199254740992\r\n', events: [reply(9007199254740992n)] },
  { name: 'huge negative integer', bytes: ':-123456789012345678901234567890\r\n', events: [reply(-123456789012345678901234567890n)] },
  { name: '16-digit safe integer', bytes: ':1000000000000000\r\n', events: [reply(1e15)] },
  { name: 'bulk string', bytes: '$5\r\nhello\r\n', events: [reply('hello')] },
  { name: 'empty bulk string', bytes: '$0\r\n\r\n', events: [reply('')] },
  { name: 'binary-looking bulk with CRLF inside', bytes: '$6\r\na\r\nb\r\n\r\n', events: [reply('a\r\nb\r\n')] },
  { name: 'UTF-8 bulk counted in bytes', bytes: '$7\r\nté☃s\r\n', events: [reply('té☃s')] },
  { name: 'RESP2 null bulk', bytes: '$-1\r\n', events: [reply(null)] },
  { name: 'RESP2 null array', bytes: '*-1\r\n', events: [reply(null)] },
  { name: 'empty array', bytes: '*0\r\n', events: [reply([])] },
  { name: 'array', bytes: '*3\r\n:1\r\n$3\r\nfoo\r\n+bar\r\n', events: [reply([1, 'foo', 'bar'])] },
  { name: 'nested arrays', bytes: '*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n*0\r\n', events: [reply([[1, 2], [[]]])] },
  { name: 'array with nulls', bytes: '*3\r\n$-1\r\n*-1\r\n_\r\n', events: [reply([null, null, null])] },
  {
    name: 'EXEC reply with nested errors',
    bytes: '*3\r\n+OK\r\n-WRONGTYPE Operation against a key\r\n!9\r\nERR inner\r\n',
    events: [reply(['OK', new ReplyError('WRONGTYPE Operation against a key'), new ReplyError('ERR inner')])],
  },
  { name: 'several replies in one chunk', bytes: '+A\r\n:2\r\n$1\r\nC\r\n', events: [reply('A'), reply(2), reply('C')] },
  // RESP3 scalars
  { name: 'null', bytes: '_\r\n', events: [reply(null)] },
  { name: 'booleans', bytes: '#t\r\n#f\r\n', events: [reply(true), reply(false)] },
  { name: 'double', bytes: ',1.23\r\n', events: [reply(1.23)] },
  { name: 'double with exponent', bytes: ',1.5e10\r\n,-2E-3\r\n,3e+2\r\n', events: [reply(1.5e10), reply(-0.002), reply(300)] },
  { name: 'double inf, -inf, nan', bytes: ',inf\r\n,-inf\r\n,nan\r\n', events: [reply(Infinity), reply(-Infinity), reply(NaN)] },
  { name: 'double integral', bytes: ',10\r\n', events: [reply(10)] },
  { name: 'big number', bytes: '(3492890328409238509324850943850943825024385\r\n', events: [reply(3492890328409238509324850943850943825024385n)] },
  { name: 'small big number is still a bigint', bytes: '(-12\r\n', events: [reply(-12n)] },
  { name: 'bulk error', bytes: '!21\r\nSYNTAX invalid syntax\r\n', events: [error('SYNTAX invalid syntax')] },
  { name: 'verbatim string', bytes: '=15\r\ntxt:Some string\r\n', events: [reply('Some string')] },
  {
    name: 'verbatim string as object',
    bytes: '=15\r\nmkd:Some string\r\n',
    events: [reply(new VerbatimString('mkd', 'Some string'))],
    options: { verbatim: 'object' },
  },
  // RESP3 aggregates
  { name: 'map with string keys is an object', bytes: '%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n:2\r\n', events: [reply(obj([['first', 1], ['second', 2]]))] },
  {
    name: 'map with a non-string key is a Map',
    bytes: '%2\r\n+a\r\n:1\r\n:2\r\n+b\r\n',
    events: [reply(new Map<RespValue, RespValue>([['a', 1], [2, 'b']]))],
  },
  { name: 'map as Map', bytes: '%1\r\n+a\r\n:1\r\n', events: [reply(new Map([['a', 1]]))], options: { mapAs: 'map' } },
  { name: 'empty map', bytes: '%0\r\n', events: [reply({})] },
  {
    name: '__proto__ key is data, not a prototype',
    bytes: '%1\r\n+__proto__\r\n+x\r\n',
    events: [reply(JSON.parse('{"__proto__":"x"}') as RespValue)],
  },
  { name: 'set as array', bytes: '~3\r\n+a\r\n+b\r\n:1\r\n', events: [reply(['a', 'b', 1])] },
  { name: 'set as Set', bytes: '~2\r\n+a\r\n:1\r\n', events: [reply(new Set<RespValue>(['a', 1]))], options: { setAs: 'set' } },
  { name: 'map of arrays of maps', bytes: '%1\r\n+k\r\n*2\r\n%1\r\n+x\r\n#t\r\n%0\r\n', events: [reply({ k: [{ x: true }, {}] })] },
  // attributes
  {
    name: 'top-level attribute goes with the next reply only',
    bytes: '|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*2\r\n:2039123\r\n:9543892\r\n:7\r\n',
    events: [reply([2039123, 9543892], { 'key-popularity': { a: 0.1923 } }), reply(7)],
  },
  {
    name: 'nested attribute is dropped and not counted',
    bytes: '*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n',
    events: [reply([1, 2])],
  },
  { name: 'empty nested attribute', bytes: '*1\r\n|0\r\n+x\r\n', events: [reply(['x'])] },
  { name: 'attribute then error', bytes: '|1\r\n+a\r\n+b\r\n-ERR x\r\n+c\r\n', events: [error('ERR x'), reply('c')] },
  // pushes
  {
    name: 'pushes interleaved between replies',
    bytes: '+one\r\n>3\r\n+message\r\n+ch\r\n$2\r\nhi\r\n:2\r\n>2\r\n+invalidate\r\n*1\r\n+k\r\n',
    events: [reply('one'), push(['message', 'ch', 'hi']), reply(2), push(['invalidate', ['k']])],
  },
  { name: 'nested push is an array', bytes: '*1\r\n>1\r\n:1\r\n', events: [reply([[1]])] },
  // streamed
  { name: 'streamed string', bytes: '$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n', events: [reply('Hello word')] },
  { name: 'empty streamed string', bytes: '$?\r\n;0\r\n', events: [reply('')] },
  { name: 'streamed string splitting a UTF-8 character', bytes: Buffer.concat([B('$?\r\n;1\r\n'), B('☃').subarray(0, 1), B('\r\n;2\r\n'), B('☃').subarray(1), B('\r\n;0\r\n')]), events: [reply('☃')] },
  { name: 'streamed array', bytes: '*?\r\n:1\r\n:2\r\n.\r\n', events: [reply([1, 2])] },
  { name: 'empty streamed array', bytes: '*?\r\n.\r\n', events: [reply([])] },
  { name: 'streamed map', bytes: '%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n', events: [reply({ a: 1, b: 2 })] },
  { name: 'streamed set', bytes: '~?\r\n+a\r\n*?\r\n.\r\n.\r\n', events: [reply(['a', []])] },
  { name: 'streamed string inside streamed array', bytes: '*?\r\n$?\r\n;2\r\nab\r\n;0\r\n:3\r\n.\r\n', events: [reply(['ab', 3])] },
  // Buffers mode
  {
    name: 'Buffers mode: strings are Buffers, numbers stay numbers',
    bytes: '*5\r\n+OK\r\n$3\r\nfoo\r\n:1\r\n=7\r\ntxt:abc\r\n-ERR nested\r\n',
    events: [reply([B('OK'), B('foo'), 1, B('abc'), new ReplyError('ERR nested')])],
    options: { returnBuffers: () => true },
  },
  { name: 'Buffers mode: binary bulk', bytes: Buffer.from([36, 51, 13, 10, 0xff, 0x00, 0x80, 13, 10]), events: [reply(Buffer.from([0xff, 0, 0x80]))], options: { returnBuffers: () => true } },
  { name: 'Buffers mode: map keys make a Map', bytes: '%1\r\n+k\r\n+v\r\n', events: [reply(new Map([[B('k'), B('v')]]))], options: { returnBuffers: () => true } },
  { name: 'Buffers mode: streamed string', bytes: '$?\r\n;2\r\nab\r\n;0\r\n', events: [reply(B('ab'))], options: { returnBuffers: () => true } },
  // Every length around the short-text path (built in JS when ASCII), in bulk, simple and map-key form.
  ...Array.from({ length: 20 }, (_, n): Case => {
    const ascii = 'abcdefghijklmnopqrstuvwxyz'.slice(0, n);
    const wide = n === 0 ? '' : `${ascii.slice(1)}é`;
    const bulk = (t: string): string => `$${Buffer.byteLength(t)}\r\n${t}\r\n`;
    return {
      name: `strings of ${n} characters, ASCII and not`,
      bytes: `${bulk(ascii)}+${ascii}\r\n${bulk(wide)}+${wide}\r\n*2\r\n${bulk(ascii)}${bulk(wide)}%1\r\n${bulk(wide)}${bulk(ascii)}`,
      events: [reply(ascii), reply(ascii), reply(wide), reply(wide), reply([ascii, wide]), reply(obj([[wide, ascii]]))],
    };
  }),
  {
    name: 'short bulk strings with bytes above 127 decode as UTF-8, invalid bytes as U+FFFD',
    bytes: Buffer.concat([B('$4\r\n'), Buffer.from([0x61, 0xff, 0xc3, 0xa9]), B('\r\n')]),
    events: [reply('a\ufffdé')],
  },
];

describe('Decoder: one table, three ways', () => {
  for (const c of cases) {
    const bytes = typeof c.bytes === 'string' ? B(c.bytes) : c.bytes;
    it(c.name, () => {
      expect(whole(bytes, c.options)).toEqual(c.events);
      expect(byteByByte(bytes, c.options)).toEqual(c.events);
      everySplit(bytes, (events, at) => expect(events, `split at ${at}`).toEqual(c.events), c.options);
    });
  }
});

describe('Decoder: a large mixed stream', () => {
  it('decodes ~3 KB of every type identically at every split', () => {
    const parts: Buffer[] = [];
    const events: Event[] = [];
    for (let i = 0; parts.reduce((n, p) => n + p.length, 0) < 3000; i++) {
      const c = cases[i % cases.length]!;
      if (c.options) continue;
      parts.push(typeof c.bytes === 'string' ? B(c.bytes) : c.bytes);
      events.push(...c.events);
    }
    const bytes = Buffer.concat(parts);
    expect(bytes.length).toBeGreaterThan(2000);
    expect(whole(bytes)).toEqual(events);
    expect(byteByByte(bytes)).toEqual(events);
    const want = digest(events);
    everySplit(bytes, (got, at) => {
      // A digest keeps ~3,000 splits × ~250 events fast; toEqual above pins the digest's meaning.
      if (digest(got) !== want) expect(got, `split at ${at}`).toEqual(events);
    });
  });
});

describe('Decoder: callbacks and options', () => {
  it('asks returnBuffers once per top-level reply, not per element', () => {
    let asked = 0;
    const { decoder, events } = recorder({
      returnBuffers: () => {
        asked++;
        return asked === 2;
      },
    });
    decoder.write(B('*2\r\n+a\r\n+b\r\n*2\r\n'));
    decoder.write(B('+a\r\n+b\r\n+c\r\n'));
    expect(asked).toBe(3);
    expect(events).toEqual([reply(['a', 'b']), reply([B('a'), B('b')]), reply('c')]);
  });

  it('a top-level attribute and its reply share one returnBuffers decision', () => {
    let asked = 0;
    const { decoder, events } = recorder({ returnBuffers: () => (asked++, true) });
    decoder.write(B('|1\r\n+a\r\n:1\r\n$1\r\nx\r\n'));
    expect(asked).toBe(1);
    expect(events).toEqual([reply(B('x'), new Map([[B('a'), 1]]))]);
  });

  it('reports pendingBytes while a reply is incomplete', () => {
    const { decoder, events } = recorder();
    decoder.write(B('+OK\r\n*2\r\n:1'));
    expect(events).toEqual([reply('OK')]);
    expect(decoder.pendingBytes).toBe(6);
    decoder.write(B('\r\n$3\r\nab'));
    expect(decoder.pendingBytes).toBe(14);
    decoder.write(B('c\r\n'));
    expect(decoder.pendingBytes).toBe(0);
    expect(events).toEqual([reply('OK'), reply([1, 'abc'])]);
  });

  it('reset() forgets a partial reply', () => {
    const { decoder, events } = recorder();
    decoder.write(B('*2\r\n:1\r\n$5\r\nab'));
    decoder.reset();
    expect(decoder.pendingBytes).toBe(0);
    decoder.write(B(':9\r\n'));
    expect(events).toEqual([reply(9)]);
  });

  it('stops the running chunk when a callback calls reset()', () => {
    const seen: RespValue[] = [];
    const decoder: Decoder = new Decoder({
      onReply: (value) => {
        seen.push(value);
        if (value === 'reset') decoder.reset();
      },
      onError: () => {},
      onPush: () => {},
    });
    decoder.write(B('+a\r\n+reset\r\n+dropped\r\n'));
    decoder.write(B('+b\r\n'));
    expect(seen).toEqual(['a', 'reset', 'b']);
  });

  it('a callback that throws stops the decoder until reset()', () => {
    const boom = new Error('boom');
    const seen: RespValue[] = [];
    const decoder = new Decoder({
      onReply: (value) => {
        if (value === 'boom') throw boom;
        seen.push(value);
      },
      onError: () => {},
      onPush: () => {},
    });
    expect(() => decoder.write(B('+a\r\n+boom\r\n+lost\r\n'))).toThrow(boom);
    expect(() => decoder.write(B('+b\r\n'))).toThrow(boom);
    decoder.reset();
    decoder.write(B('+c\r\n'));
    expect(seen).toEqual(['a', 'c']);
  });

  it('Buffers handed out do not alias the written chunk', () => {
    const { decoder, events } = recorder({ returnBuffers: () => true });
    const chunk = B('$3\r\nabc\r\n+de\r\n');
    decoder.write(chunk);
    chunk.fill(0);
    expect(events).toEqual([reply(B('abc')), reply(B('de'))]);
  });
});
