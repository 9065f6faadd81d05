import { describe, expect, it } from 'vitest';
import { ReplyError, ArgumentTypeError, CrossSlotError, SlotlineError } from '../../src/errors.js';
import { backoffDelay, parseUrl, resolveOptions } from '../../src/connection/options.js';

describe('ReplyError classification', () => {
  it.each([
    ['MOVED 3999 127.0.0.1:6381', 'moved', { slot: 3999, host: '127.0.0.1', port: 6381 }],
    ['ASK 3999 [::1]:6381', 'ask', { slot: 3999, host: '::1', port: 6381 }],
    ['TRYAGAIN Multiple keys request during rehashing of slot', 'tryagain', undefined],
    ['CLUSTERDOWN The cluster is down', 'clusterdown', undefined],
    ['NOSCRIPT No matching script. Please use EVAL.', 'noscript', undefined],
    ['ERR Function not found', 'nofunction', undefined],
    ["ERR unknown command 'HELLO', with args beginning with: ", 'unknown-command', undefined],
    ['WRONGPASS invalid username-password pair or user is disabled.', 'auth', undefined],
    ['WRONGTYPE Operation against a key holding the wrong kind of value', 'other', undefined],
  ])('%s → %s', (message, kind, redirect) => {
    const e = new ReplyError(message);
    expect(e.kind).toBe(kind);
    expect(e.redirect).toEqual(redirect);
    expect(e.code).toBe(message.split(' ')[0]);
    expect(e).toBeInstanceOf(SlotlineError);
  });

  it('names command and index for bad arguments, and cross-slot keys', () => {
    const a = new ArgumentTypeError('SET', 1, undefined);
    expect(a).toBeInstanceOf(TypeError);
    expect(a.message).toBe('SET: argument #1 is undefined; expected string, Buffer or number');
    const c = new CrossSlotError('MULTI', ['a', 'b'], [15495, 3300]);
    expect(c.message).toContain("'a' (slot 15495)");
    expect(c.message).toContain("'b' (slot 3300)");
  });
});

describe('options', () => {
  it('parses redis:// and rediss:// URLs', () => {
    expect(parseUrl('redis://user:p%40ss@example.local:6380/3')).toEqual({
      host: 'example.local',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 3,
    });
    expect(parseUrl('rediss://127.0.0.1').tls).toBe(true);
    expect(() => parseUrl('http://x')).toThrow(/scheme/);
    expect(() => parseUrl('redis://:secret@host/notanumber')).toThrow(/database/);
  });

  it('never puts a password in an error message', () => {
    expect(() => parseUrl('redis://:secret@[bad')).toThrow(/\*\*\*/);
    try {
      parseUrl('redis://:secret@[bad');
    } catch (e) {
      expect(String(e)).not.toContain('secret');
    }
  });

  it('validates numbers and fills defaults', () => {
    const o = resolveOptions({});
    expect(o.port).toBe(6379);
    expect(o.maxBatch).toBe(1000);
    expect(() => resolveOptions({ port: -1 })).toThrow(/port/);
  });

  it('backs off exponentially with bounded jitter', () => {
    const r = { initialDelay: 50, maxDelay: 2000, maxAttempts: 10, jitter: 0.2 };
    expect(backoffDelay(r, 0, () => 0.5)).toBe(50);
    expect(backoffDelay(r, 3, () => 0.5)).toBe(400);
    expect(backoffDelay(r, 10, () => 0.5)).toBe(2000);
    expect(backoffDelay(r, 3, () => 0)).toBe(320);
    expect(backoffDelay(r, 3, () => 1)).toBe(480);
  });
});
