import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplyError } from '../../../src/errors.js';
import type { RespValue } from '../../../src/resp/types.js';
import { decodeSplit, expected, serialize, type Event, type Wire } from './helpers.js';

const text = fc.string({ unit: 'binary', maxLength: 20 });
const lineText = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\r') && !s.includes('\n'));

const scalar: fc.Arbitrary<Wire> = fc.oneof(
  lineText.map((v): Wire => ({ t: 'simple', v })),
  text.map((v): Wire => ({ t: 'bulk', v })),
  fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), { maxLength: 3 }).map((chunks): Wire => ({ t: 'stream-string', chunks })),
  fc.tuple(fc.constantFrom('txt', 'mkd'), text).map(([format, v]): Wire => ({ t: 'verbatim', format, v })),
  lineText.map((v): Wire => ({ t: 'error', v })),
  fc.oneof(fc.maxSafeInteger(), fc.bigInt().filter((b) => b > BigInt(Number.MAX_SAFE_INTEGER) || b < -BigInt(Number.MAX_SAFE_INTEGER))).map(
    (v): Wire => ({ t: 'int', v }),
  ),
  fc.double().map((v): Wire => ({ t: 'double', v })),
  fc.bigInt().map((v): Wire => ({ t: 'big', v })),
  fc.boolean().map((v): Wire => ({ t: 'bool', v })),
  fc.constant<Wire>({ t: 'null' }),
);

const { value } = fc.letrec<{ value: Wire; entries: Array<[Wire, Wire]> }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.record({ t: fc.constantFrom<'array' | 'set'>('array', 'set'), items: fc.array(tie('value'), { maxLength: 4 }), streamed: fc.boolean() }) as fc.Arbitrary<Wire>,
    fc.record({ t: fc.constant<'map'>('map'), entries: tie('entries'), streamed: fc.boolean() }) as fc.Arbitrary<Wire>,
    fc.record({ t: fc.constant<'with-attribute'>('with-attribute'), attribute: tie('entries'), value: tie('value') }) as fc.Arbitrary<Wire>,
  ),
  entries: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }) as fc.Arbitrary<Array<[Wire, Wire]>>,
}));

/** A top-level message: a reply (maybe after an attribute), a push, or an error reply. */
type Top = { kind: 'reply'; value: Wire; attribute?: Array<[Wire, Wire]> } | { kind: 'push'; items: Wire[] } | { kind: 'error'; message: string };

// At top level an error goes to onError and an attribute belongs to the reply after it.
const topValue = value.filter((w) => w.t !== 'error' && w.t !== 'with-attribute');

const top: fc.Arbitrary<Top> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant<'reply'>('reply'), value: topValue }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant<'reply'>('reply'), value: topValue, attribute: fc.array(fc.tuple(value, value), { maxLength: 2 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant<'push'>('push'), items: fc.array(value, { minLength: 1, maxLength: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant<'error'>('error'), message: lineText }), weight: 1 },
);

const makeError = (message: string): ReplyError => new ReplyError(message);

function wireOf(t: Top): string {
  if (t.kind === 'error') return `-${t.message}\r\n`;
  if (t.kind === 'push') return `>${t.items.length}\r\n${t.items.map(serialize).join('')}`;
  const attribute = t.attribute ? serialize({ t: 'map', entries: t.attribute, streamed: false }).replace(/^%/, '|') : '';
  return attribute + serialize(t.value);
}

function eventOf(t: Top): Event {
  if (t.kind === 'error') return { kind: 'error', error: makeError(t.message) };
  if (t.kind === 'push') return { kind: 'push', value: t.items.map((w) => expected(w, makeError)) };
  const value = expected(t.value, makeError);
  if (!t.attribute) return { kind: 'reply', value };
  return { kind: 'reply', value, attribute: expected({ t: 'map', entries: t.attribute, streamed: false }, makeError) as RespValue };
}

describe('Decoder: property round trip', () => {
  it('random RESP3 values, encoded, decode back equal under random chunking', () => {
    fc.assert(
      fc.property(fc.array(top, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 12 }), (tops, rawCuts) => {
        const bytes = Buffer.from(tops.map(wireOf).join(''));
        const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        expect(decodeSplit(bytes, cuts)).toEqual(tops.map(eventOf));
      }),
      { numRuns: 400 },
    );
  });
});
