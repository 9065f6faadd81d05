/**
 * Issue 14 items 1 and 5, the types: the client is a typed EventEmitter, and both option forms
 * type-check while a misspelt option or event does not. Checked by tsc (tsconfig.test.json);
 * the runtime part only builds a client that never connects.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { createClient, createCluster, type Client, type CommandTraceContext, type HashEntry, type ScoredMember } from '../../src/index.js';

describe('issue 14: public types', () => {
  it('Client is a typed EventEmitter', () => {
    expectTypeOf<Client>().toMatchTypeOf<EventEmitter>();
    const c = createClient({ port: 1, reconnect: false });
    expect(c).toBeInstanceOf(EventEmitter);
    c.on('reconnecting', (info) => expectTypeOf(info).toEqualTypeOf<{ attempt: number; delay: number }>());
    c.once('error', (e) => expectTypeOf(e).toEqualTypeOf<Error>());
    // @ts-expect-error: no such event
    c.on('conect', () => undefined);
    c.removeAllListeners();
    expect(c.listenerCount('reconnecting')).toBe(0);
    c.disconnect();
  });

  it('options type-check in both forms; a misspelt one does not', () => {
    const c = createClient({ port: 1, reconnect: false, lazyConnect: true, offlineQueue: false });
    const calls = [
      c.set('k', 'v', 'EX', 60, 'NX'),
      c.set('k', 'v', { PX: 5 }),
      // @ts-expect-error: option keys are the server's tokens
      c.set('k', 'v', { ex: 60 }),
      c.zrange('k', 0, -1, 'WITHSCORES'),
      c.scan(0, 'MATCH', 'a*', 'COUNT', 10),
      c.expire('k', 1, 'GT'),
      // @ts-expect-error: not an EXPIRE mode
      c.expire('k', 1, 'SOON'),
    ];
    const popMany = c.lpop('k', 2);
    const popOne = c.lpop('k');
    expectTypeOf(popMany).toEqualTypeOf<Promise<string[] | null>>();
    expectTypeOf(popOne).toEqualTypeOf<Promise<string | null>>();
    // @ts-expect-error: not a client option
    expect(() => createClient({ keyPrefx: 'x' })).toThrow(/keyPrefx/);
    c.disconnect();
    return Promise.allSettled([...calls, popMany, popOne]);
  });

  it('iterators yield typed items; their options are checked by type too', () => {
    const c = createClient({ port: 1, reconnect: false });
    const cluster = createCluster({ nodes: [{ host: '127.0.0.1', port: 1 }] });
    expectTypeOf(c.scanIterator({ match: 'a*', count: 10, type: 'hash' })).toEqualTypeOf<AsyncGenerator<string, void, undefined>>();
    expectTypeOf(cluster.hscanIterator('h')).toEqualTypeOf<AsyncGenerator<HashEntry, void, undefined>>();
    expectTypeOf(c.zscanIterator('z', { match: 'm*' })).toEqualTypeOf<AsyncGenerator<ScoredMember, void, undefined>>();
    expectTypeOf(cluster.sscanIterator('s')).toEqualTypeOf<AsyncGenerator<string, void, undefined>>();
    // @ts-expect-error: TYPE is SCAN's only
    void c.sscanIterator('s', { type: 'set' });
    expectTypeOf<CommandTraceContext['serverPort']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<CommandTraceContext['statement']>().toEqualTypeOf<string>();
    c.disconnect();
    cluster.disconnect();
  });
});
