/** issue 11 item 12: one safe record builder for every reply shape that becomes an object. */
import { describe, expect, it } from 'vitest';
import { asRecord, asRecordList, asStreamEntries } from '../../../src/commands/transforms.js';
import type { RespValue } from '../../../src/resp/types.js';
import { recorder } from '../resp/helpers.js';

function expectOwnProto(rec: Record<string, unknown>, value: unknown): void {
  expect(Object.getPrototypeOf(rec)).toBe(Object.prototype);
  expect(Object.getOwnPropertyDescriptor(rec, '__proto__')).toEqual({ value, enumerable: true, writable: true, configurable: true });
  expect(Object.keys(rec)).toContain('__proto__');
}

describe('issue 11 item 12: __proto__ fields stay own properties', () => {
  it('issue 11 item 12: RESP2 flat arrays, Maps and nested lists', () => {
    expectOwnProto(asRecord(['__proto__', 'p', 'a', '1']), 'p');
    expectOwnProto(asRecord(['__proto__', ['x']]), ['x']);
    expectOwnProto(asRecord(new Map<RespValue, RespValue>([['__proto__', 'p']])), 'p');
    expectOwnProto(asStreamEntries([['1-0', ['__proto__', 'v']]])[0]!.message, 'v');
    const [lib] = asRecordList([['library_name', 'l', '__proto__', ['x', 'y']]]);
    expectOwnProto(lib!, ['x', 'y']);
    const [nested] = asRecordList([new Map<RespValue, RespValue>([['__proto__', 'v']])]);
    expectOwnProto(nested!, 'v');
    // Nothing leaked onto Object.prototype.
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('issue 11 item 12: RESP3 maps from the decoder, plain-object and Map modes', () => {
    for (const mapAs of ['auto', 'map'] as const) {
      const { decoder, events } = recorder({ mapAs });
      decoder.write(Buffer.from('%2\r\n+__proto__\r\n+p\r\n+a\r\n:1\r\n'));
      const value = (events[0] as { value: RespValue }).value;
      const rec = asRecord(value);
      expectOwnProto(rec, 'p');
      expect(rec['a']).toBe(1);
    }
  });
});
