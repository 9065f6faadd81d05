import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { commonSlot, keySlot, slotsOf, SLOT_COUNT } from '../../../src/cluster/slot.js';

/** The server's keyHashSlot (cluster.c), written out plainly as a reference. */
function referenceSlot(key: Buffer): number {
  const crc = (bytes: Buffer): number => {
    let c = 0;
    for (const b of bytes) {
      c ^= b << 8;
      for (let i = 0; i < 8; i++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    }
    return c;
  };
  const s = key.indexOf(0x7b);
  if (s === -1) return crc(key) & 0x3fff;
  const e = key.indexOf(0x7d, s + 1);
  if (e === -1 || e === s + 1) return crc(key) & 0x3fff;
  return crc(key.subarray(s + 1, e)) & 0x3fff;
}

describe('keySlot', () => {
  // Values from CLUSTER KEYSLOT on redis-server 7.0.15.
  it.each([
    ['foo', 12182],
    ['{user1}:a', 8106],
    ['{user1}:b', 8106],
    ['{}', 15257],
    ['{', 4092],
    ['{}{a}', 13650],
    ['a{}b}', 14284],
    ['{a', 10276],
    ['a}b{c}', 7365],
    ['', 0],
    ['{{a}}', 10276],
    ['héllo', 11061],
    ['123', 5970],
  ])('%j → %i', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
    expect(keySlot(Buffer.from(key))).toBe(slot);
  });

  it('hashes numbers as their decimal string', () => {
    expect(keySlot(123)).toBe(5970);
    expect(keySlot(-7)).toBe(keySlot('-7'));
    expect(keySlot(1.5)).toBe(keySlot('1.5'));
  });

  it('puts keys with the same hash tag in the same slot', () => {
    expect(keySlot('{user1}:a')).toBe(keySlot('{user1}:b'));
    expect(keySlot('x{tag}y')).toBe(keySlot('tag'));
  });

  it('hashes all-ASCII string keys (the fast path) as the server does, tags included', () => {
    const char = fc.constantFrom('{', '}', 'a', 'Z', '0', ':', ' ', '~', '\x7f', '\x00');
    fc.assert(
      fc.property(fc.array(char, { maxLength: 20 }).map((cs) => cs.join('')), (key) => {
        expect(keySlot(key)).toBe(referenceSlot(Buffer.from(key)));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches the server algorithm for any key, braces included', () => {
    const char = fc.constantFrom('{', '}', 'a', 'b', 'é', '1', ':');
    fc.assert(
      fc.property(fc.array(char, { maxLength: 12 }).map((cs) => cs.join('')), (key) => {
        const expected = referenceSlot(Buffer.from(key));
        expect(keySlot(key)).toBe(expected);
        expect(keySlot(Buffer.from(key))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const key = Buffer.from(bytes);
        expect(keySlot(key)).toBe(referenceSlot(key));
      }),
      { numRuns: 500 },
    );
  });

  it('stays within 0..16383', () => {
    for (let i = 0; i < 1000; i++) {
      const slot = keySlot(`key:${i}`);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(slot).toBeLessThan(SLOT_COUNT);
    }
  });
});

describe('slotsOf / commonSlot', () => {
  it('reads the keys at the given positions', () => {
    expect(slotsOf(['foo', 'x', '{user1}:a'], [0, 2])).toEqual([12182, 8106]);
    expect(commonSlot(['{user1}:a', 'v', '{user1}:b'], [0, 2])).toBe(8106);
    expect(commonSlot(['foo', '{user1}:b'], [0, 1])).toBe(-1);
    expect(commonSlot(['foo'], [])).toBe(-1);
  });
});
