/**
 * issue 11 item 11: RESP doubles parsed without a backtracking regex, with a capped line, by one
 * parser shared by the decoder and the reply transforms (issue 10 §3).
 */
import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { ProtocolError } from '../../../src/errors.js';
import { MAX_DOUBLE_LENGTH, parseDoubleText } from '../../../src/resp/double.js';
import { asNumber } from '../../../src/commands/transforms.js';
import { recorder } from './helpers.js';

const B = (s: string): Buffer => Buffer.from(s);

function decodeError(bytes: Buffer): { error: unknown; ms: number } {
  const { decoder } = recorder();
  const started = performance.now();
  try {
    decoder.write(bytes);
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  return { error: undefined, ms: performance.now() - started };
}

describe('issue 11 item 11: RESP doubles', () => {
  it('issue 11 item 11: "," + 32,000 digits + "x" is a ProtocolError, fast', () => {
    for (const bytes of [B(`,${'1'.repeat(32_000)}x\r\n`), B(`,${'1'.repeat(32_000)}.${'1'.repeat(32_000)}x\r\n`), B(`,${'1'.repeat(32_000)}x`)]) {
      const { error, ms } = decodeError(bytes);
      expect(error).toBeInstanceOf(ProtocolError);
      expect(ms).toBeLessThan(50);
    }
  });

  it('issue 11 item 11: the parser is linear even on text it is handed directly', () => {
    const started = performance.now();
    expect(parseDoubleText(`${'1'.repeat(200_000)}x`)).toBeUndefined();
    expect(parseDoubleText(`${'1'.repeat(100_000)}.${'1'.repeat(100_000)}ex`)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('issue 11 item 11: a double line over the cap is refused, one at the cap is read', () => {
    const atCap = `1.${'0'.repeat(MAX_DOUBLE_LENGTH - 2)}`;
    const { decoder, events } = recorder();
    decoder.write(B(`,${atCap}\r\n`));
    expect(events).toEqual([{ kind: 'reply', value: 1 }]);
    expect(decodeError(B(`,${atCap}0\r\n`)).error).toBeInstanceOf(ProtocolError);
    // Split across chunks: refused once the line passes the cap, without waiting for its end.
    const split = recorder();
    split.decoder.write(B(',1.'));
    expect(() => split.decoder.write(B('0'.repeat(MAX_DOUBLE_LENGTH + 10)))).toThrow(ProtocolError);
  });

  it.each([
    ['inf', Infinity],
    ['+inf', Infinity],
    ['-inf', -Infinity],
    ['nan', NaN],
    ['-nan', NaN],
    ['1.23', 1.23],
    ['-1.5', -1.5],
    ['+2', 2],
    ['10', 10],
    ['1.', 1],
    ['.5', 0.5],
    ['1.5e10', 1.5e10],
    ['-2E-3', -0.002],
    ['3e+2', 300],
    ['1.7976931348623157e+308', 1.7976931348623157e308],
  ])('issue 11 item 11: %s decodes to %s, in the decoder and in the transforms', (text, value) => {
    expect(parseDoubleText(text)).toBe(value);
    const { decoder, events } = recorder();
    decoder.write(B(`,${text}\r\n`));
    expect(events).toEqual([{ kind: 'reply', value }]);
    expect(asNumber(text)).toBe(value);
    expect(asNumber(B(text))).toBe(value);
  });

  it.each(['', '+', '-', '.', 'e5', '1e', '1e+', '1.2.3', '1x', ' 1', '1 ', 'infinity', 'NaN', '0x10', '1_000', '--1'])(
    'issue 11 item 11: %j is not a double',
    (text) => {
      expect(parseDoubleText(text)).toBeUndefined();
      expect(decodeError(B(`,${text}\r\n`)).error).toBeInstanceOf(ProtocolError);
      expect(asNumber(text)).toBeNaN();
    },
  );
});
