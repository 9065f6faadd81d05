/**
 * The pure client-side cache (src/cache/): LRU bound, TTL, per-key invalidation, flushes and
 * the in-flight race rules, plus which commands it serves or invalidates. No server.
 */
import { describe, expect, it } from 'vitest';
import { ClientCache, type Ticket } from '../../../src/cache/store.js';
import { classify, keyId, readInvalidation } from '../../../src/cache/commands.js';
import { resolveCacheOptions } from '../../../src/cache/options.js';
import { cloneReply } from '../../../src/cache/clone.js';
import { InvalidOptionError } from '../../../src/errors.js';

const make = (maxEntries = 100, ttlMs = 0): ClientCache => new ClientCache({ maxEntries, ttlMs });

/** A read of one key: a miss stores `value` when the reply comes. */
function readAndStore(c: ClientCache, key: string, value: string, now = 0): void {
  const t = c.lookup([key], [`e:${key}`], now);
  expect(Array.isArray(t)).toBe(false);
  c.complete(t as Ticket, [value]);
}

describe('client-side cache store', () => {
  it('serves a stored entry until its key is invalidated, then never again', () => {
    const c = make();
    readAndStore(c, 'k', 'v1');
    expect(c.lookup(['k'], ['e:k'], 1)).toEqual(['v1']);
    c.invalidate(['k']);
    const after = c.lookup(['k'], ['e:k'], 2);
    expect(Array.isArray(after)).toBe(false);
    c.abandon(after as Ticket);
    expect(c.stats).toMatchObject({ hits: 1, misses: 2, invalidations: 1, entries: 0 });
  });

  it('does not store a read whose key was invalidated while it was in flight', () => {
    const c = make();
    const t = c.lookup(['k'], ['e:k'], 0) as Ticket;
    c.invalidate(['k']);
    c.complete(t, ['old']);
    expect(Array.isArray(c.lookup(['k'], ['e:k'], 1))).toBe(false);
    expect(c.stats.entries).toBe(0);
  });

  it('a read sent after the invalidation is stored even while an older read of the key is in flight', () => {
    const c = make();
    const older = c.lookup(['k'], ['e:k'], 0) as Ticket;
    c.invalidate(['k']);
    const newer = c.lookup(['k'], ['e:k'], 1) as Ticket;
    c.complete(older, ['old']);
    expect(c.stats.entries).toBe(0);
    c.complete(newer, ['new']);
    expect(c.lookup(['k'], ['e:k'], 2)).toEqual(['new']);
  });

  it('a flush drops everything and every read in flight', () => {
    const c = make();
    readAndStore(c, 'a', '1');
    const t = c.lookup(['b'], ['e:b'], 0) as Ticket;
    c.flush();
    c.complete(t, ['2']);
    expect(c.stats).toMatchObject({ entries: 0, flushes: 1 });
    // Nothing held, nothing in flight: a flush drops nothing and is not counted.
    c.flush();
    expect(c.stats.flushes).toBe(1);
  });

  it('an invalidation of another key does not stop a read in flight from being stored', () => {
    const c = make();
    const t = c.lookup(['k'], ['e:k'], 0) as Ticket;
    c.invalidate(['other']);
    c.complete(t, ['v']);
    expect(c.lookup(['k'], ['e:k'], 1)).toEqual(['v']);
  });

  it('per key for multi-key reads: only the invalidated key of an MGET in flight is left out', () => {
    const c = make();
    const t = c.lookup(['a', 'b'], ['m:a', 'm:b'], 0) as Ticket;
    c.invalidate(['a']);
    c.complete(t, ['1', '2']);
    expect(Array.isArray(c.lookup(['b'], ['m:b'], 1))).toBe(true);
    expect(Array.isArray(c.lookup(['a'], ['m:a'], 1))).toBe(false);
  });

  it('forgets the in-flight state of a key once its reads are done (memory stays bounded)', () => {
    const c = make();
    for (let i = 0; i < 1000; i++) {
      const t = c.lookup([`k${i}`], [`e:k${i}`], 0) as Ticket;
      c.invalidate([`k${i}`]);
      c.abandon(t);
    }
    // A fresh read of k0 is stored: no stale stamp is left behind to refuse it.
    readAndStore(c, 'k0', 'v');
    expect(c.lookup(['k0'], ['e:k0'], 1)).toEqual(['v']);
  });

  it('maxEntries bounds the size, evicting the least recently used', () => {
    const c = make(3);
    readAndStore(c, 'a', '1');
    readAndStore(c, 'b', '2');
    readAndStore(c, 'c', '3');
    expect(c.lookup(['a'], ['e:a'], 0)).toEqual(['1']); // a is now the most recent
    readAndStore(c, 'd', '4'); // evicts b
    expect(c.stats).toMatchObject({ entries: 3, evictions: 1 });
    const b = c.lookup(['b'], ['e:b'], 0);
    expect(Array.isArray(b)).toBe(false);
    c.abandon(b as Ticket);
    expect(c.lookup(['a'], ['e:a'], 0)).toEqual(['1']);
  });

  it('when every entry was used since it was stored, the oldest still goes first (second chance ends)', () => {
    const c = make(3);
    for (const k of ['a', 'b', 'c']) readAndStore(c, k, k);
    for (const k of ['a', 'b', 'c']) expect(c.lookup([k], [`e:${k}`], 0)).toEqual([k]);
    readAndStore(c, 'd', 'd');
    expect(c.stats).toMatchObject({ entries: 3, evictions: 1 });
    const a = c.lookup(['a'], ['e:a'], 0);
    expect(Array.isArray(a)).toBe(false);
    c.abandon(a as Ticket);
    for (const k of ['b', 'c', 'd']) expect(c.lookup([k], [`e:${k}`], 0)).toEqual([k]);
  });

  it('ttlMs bounds an entry age, counted from when its read was sent', () => {
    const c = make(100, 1000);
    readAndStore(c, 'k', 'v', 5000);
    expect(c.lookup(['k'], ['e:k'], 6000)).toEqual(['v']);
    const expired = c.lookup(['k'], ['e:k'], 6001);
    expect(Array.isArray(expired)).toBe(false);
    expect(c.stats).toMatchObject({ evictions: 1, entries: 0 });
  });

  it('several entries of one key (fields, string/Buffer) all go with the key', () => {
    const c = make();
    const t1 = c.lookup(['h'], ['h:f1'], 0) as Ticket;
    c.complete(t1, ['1']);
    const t2 = c.lookup(['h'], ['h:f2'], 0) as Ticket;
    c.complete(t2, ['2']);
    expect(c.stats.entries).toBe(2);
    c.invalidate(['h']);
    expect(c.stats.entries).toBe(0);
  });
});

describe('which commands the cache serves', () => {
  it('names a string read and a Buffer read of the same key apart, and a string and Buffer key alike', () => {
    const s = classify('GET', ['k'], false);
    const b = classify('GET', [Buffer.from('k')], true);
    const sb = classify('GET', [Buffer.from('k')], false);
    expect(s.kind).toBe('read');
    if (s.kind !== 'read' || b.kind !== 'read' || sb.kind !== 'read') throw new Error('not reads');
    expect(s.entries[0]).not.toBe(b.entries[0]);
    expect(s.entries[0]).toBe(sb.entries[0]);
    expect(s.keys).toEqual(b.keys);
  });

  it('keys with non-ASCII text are named by their UTF-8 bytes', () => {
    expect(keyId('é')).toBe(keyId(Buffer.from('é', 'utf8')));
    expect(keyId('é')).not.toBe('é');
  });

  it('arguments are part of the entry name and cannot run together', () => {
    const a = classify('HGET', ['h', 'ab'], false);
    const b = classify('HGET', ['h', 'a'], false);
    const c = classify('LRANGE', ['l', 0, -1], false);
    const d = classify('LRANGE', ['l', '0', '-1'], false);
    if (a.kind !== 'read' || b.kind !== 'read' || c.kind !== 'read' || d.kind !== 'read') throw new Error('not reads');
    expect(a.entries[0]).not.toBe(b.entries[0]);
    expect(c.entries[0]).not.toBe(d.entries[0]);
    // A key that ends like another key's read part never collides.
    const x = classify('GET', ['aGET|s'], false);
    const y = classify('GET', ['a'], false);
    if (x.kind !== 'read' || y.kind !== 'read') throw new Error('not reads');
    expect(x.entries[0]).not.toBe(y.entries[0]);
  });

  it('MGET is per key and never shares entries with GET', () => {
    const m = classify('MGET', ['a', 'b'], false);
    const g = classify('GET', ['a'], false);
    if (m.kind !== 'read' || g.kind !== 'read') throw new Error('not reads');
    expect(m.perKey).toBe(true);
    expect(m.keys).toEqual(['a', 'b']);
    expect(m.entries[0]).not.toBe(g.entries[0]);
  });

  it('writes name their keys; FLUSHALL flushes; time-dependent and random reads are not cached', () => {
    expect(classify('SET', ['k', 'v'], false)).toEqual({ kind: 'write', keys: ['k'] });
    expect(classify('MSET', ['a', '1', 'b', '2'], false)).toEqual({ kind: 'write', keys: ['a', 'b'] });
    expect(classify('DEL', ['a', 'b'], false)).toEqual({ kind: 'write', keys: ['a', 'b'] });
    expect(classify('EVAL', ['return 1', 1, 'k'], false)).toEqual({ kind: 'write', keys: ['k'] });
    expect(classify('FLUSHALL', [], false).kind).toBe('flush');
    expect(classify('TTL', ['k'], false).kind).toBe('none');
    expect(classify('SRANDMEMBER', ['k'], false).kind).toBe('none');
    expect(classify('EXISTS', ['a', 'b'], false).kind).toBe('none');
    expect(classify('PING', [], false).kind).toBe('none');
    expect(classify('CLIENT', ['TRACKING', 'OFF'], false).kind).toBe('refused');
  });

  it('reads invalidation pushes: keys, null (everything), other pushes', () => {
    expect(readInvalidation(['invalidate', ['a', Buffer.from('b')]])).toEqual(['a', 'b']);
    expect(readInvalidation([Buffer.from('invalidate'), null])).toBe('all');
    expect(readInvalidation(['message', 'ch', 'x'])).toBeUndefined();
    // A key that was not valid UTF-8 cannot be named exactly: everything goes.
    expect(readInvalidation(['invalidate', ['a\uFFFD']])).toBe('all');
  });
});

describe('clientCache option and reply copies', () => {
  it('resolves defaults and refuses bad values with InvalidOptionError', () => {
    expect(resolveCacheOptions({})).toEqual({ maxEntries: 10_000, ttlMs: 0 });
    expect(resolveCacheOptions(undefined)).toBeUndefined();
    expect(() => resolveCacheOptions({ maxEntries: 0 })).toThrow(InvalidOptionError);
    expect(() => resolveCacheOptions({ ttlMs: -1 })).toThrow(InvalidOptionError);
    expect(() => resolveCacheOptions({ size: 1 })).toThrow(InvalidOptionError);
    expect(() => resolveCacheOptions('yes')).toThrow(InvalidOptionError);
  });

  it('copies replies deeply, so a caller changing its value never changes the cache', () => {
    const v = ['a', Buffer.from('b'), { f: ['x'] }, new Map([['k', 'v']])];
    const c = cloneReply(v) as unknown[];
    expect(c).toEqual(v);
    (c[0] as unknown) = 'changed';
    (c[1] as Buffer)[0] = 0;
    ((c[2] as { f: string[] }).f).push('y');
    expect(v[0]).toBe('a');
    expect((v[1] as Buffer).toString()).toBe('b');
    expect((v[2] as { f: string[] }).f).toEqual(['x']);
  });
});
