/**
 * Issue 14 items 1-3, the pure parts: client and cluster option parsing (URLs, aliases, unknown
 * keys, seed URLs), the reconnect decision, blocking-command limits and the option grammar.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentTypeError, InvalidOptionError } from '../../src/errors.js';
import { reconnectDelay, resolveOptions, type ResolvedReconnect } from '../../src/connection/options.js';
import { parseUrl } from '../../src/connection/url.js';
import { resolveClusterOptions } from '../../src/cluster/options.js';
import { blockingLimitMs, serverTimeoutMs } from '../../src/commands/blocking.js';
import { appendOptions, grammar, hasToken, limitRule } from '../../src/commands/options.js';
import type { RedisArg } from '../../src/resp/types.js';

describe('client options and URLs', () => {
  it('parses every scheme and the query forms', () => {
    expect(parseUrl('valkeys://u:p@h:7000/2')).toEqual({ host: 'h', port: 7000, username: 'u', password: 'p', db: 2, tls: true });
    expect(parseUrl('valkey://h?db=3&protocol=2&name=n')).toEqual({ host: 'h', db: 3, protocol: 2, clientName: 'n' });
    expect(parseUrl('unix:///tmp/r.sock?db=1')).toEqual({ path: '/tmp/r.sock', db: 1 });
    expect(() => parseUrl('redis://h?family=6')).toThrow(expect.objectContaining({ option: 'url' }));
    expect(() => parseUrl('redis://h?protocol=4')).toThrow(InvalidOptionError);
    expect(() => parseUrl('unix://')).toThrow(InvalidOptionError);
  });

  it('merges url under the explicit options', () => {
    const o = resolveOptions({ url: 'rediss://:pw@example.test:6390/4', db: 1, port: 6391 });
    expect(o).toMatchObject({ host: 'example.test', port: 6391, db: 1, password: 'pw', tls: {} });
    expect(resolveOptions({ url: 'unix:///tmp/x.sock' }).path).toBe('/tmp/x.sock');
  });

  it('takes the aliases of the table, refuses two spellings of one option and any unknown key', () => {
    const o = resolveOptions({ database: 3, connectionName: 'n', enableOfflineQueue: false, RESP: 2 });
    expect(o).toMatchObject({ db: 3, clientName: 'n', offlineQueue: false, protocol: 2 });
    expect(resolveOptions({ disableOfflineQueue: true }).offlineQueue).toBe(false);
    expect(resolveOptions({ socket: { host: 'h', port: 7, connectTimeout: 5 } })).toMatchObject({ host: 'h', port: 7, connectTimeout: 5 });
    expect(() => resolveOptions({ name: 'a', clientName: 'b' })).toThrow(expect.objectContaining({ option: 'clientName' }));
    expect(() => resolveOptions({ clientName: 'b', name: 'a' })).toThrow(expect.objectContaining({ option: 'name' }));
    expect(() => resolveOptions({ keyPrefx: 'x:' } as never)).toThrow(expect.objectContaining({ option: 'keyPrefx' }));
    expect(() => resolveOptions({ socket: { family: 6 } } as never)).toThrow(expect.objectContaining({ option: 'socket.family' }));
    expect(() => resolveOptions({ reconnect: { tries: 3 } } as never)).toThrow(expect.objectContaining({ option: 'reconnect.tries' }));
  });

  it('defaults: reconnect forever, lazy connect, a finite command timeout', () => {
    const o = resolveOptions({});
    expect(o.reconnect).toMatchObject({ maxAttempts: Infinity });
    expect(o.lazyConnect).toBe(true);
    expect(o.commandTimeout).toBe(10_000);
    expect(() => resolveOptions({ reconnect: false, reconnectStrategy: () => 1 })).toThrow(expect.objectContaining({ option: 'reconnectStrategy' }));
  });

  it('reconnectDelay: backoff until maxAttempts, or what the strategy says', () => {
    const r: ResolvedReconnect = { initialDelay: 50, maxDelay: 2000, maxAttempts: Infinity, jitter: 0 };
    expect(reconnectDelay(r, 1, undefined)).toBe(50);
    expect(reconnectDelay(r, 1000, undefined)).toBe(2000);
    expect(reconnectDelay({ ...r, maxAttempts: 2 }, 3, undefined)).toBeInstanceOf(Error);
    const lost = new Error('lost');
    const seen: unknown[] = [];
    const s = { ...r, strategy: (n: number, e: Error | undefined) => (seen.push([n, e]), n < 2 ? 7 : false) } as const;
    expect(reconnectDelay(s, 1, lost)).toBe(7);
    expect(reconnectDelay(s, 2, lost)).toBeInstanceOf(Error);
    expect(seen).toEqual([[1, lost], [2, lost]]);
    expect(reconnectDelay({ ...r, strategy: () => NaN }, 1, undefined)).toBeInstanceOf(Error);
    expect(reconnectDelay({ ...r, strategy: () => { throw new Error('boom'); } }, 1, undefined)).toEqual(new Error('boom'));
  });
});

describe('cluster options', () => {
  it('a seed URL brings its credentials and TLS to every node; explicit options win', () => {
    const o = resolveClusterOptions({ nodes: ['rediss://alice:pw@10.0.0.1:7000', '10.0.0.2:7001'] });
    expect(o.seeds).toEqual([{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }]);
    expect(o.node).toMatchObject({ username: 'alice', password: 'pw', tls: {} });
    expect(resolveClusterOptions({ nodes: ['redis://:pw@h:1'], password: 'other' }).node.password).toBe('other');
    expect(() => resolveClusterOptions({ nodes: ['redis://:a@h:1', 'redis://:b@h:2'] })).toThrow(/disagree on password/);
    expect(() => resolveClusterOptions({ nodes: ['redis://:a@h:1', 'redis://:b@h:2'] })).not.toThrow(/\b[ab]@/);
    expect(() => resolveClusterOptions({ nodes: ['redis://h:1/3'] })).toThrow(/database 0/);
  });

  it('per-node options under one key (ioredis and node-redis names too); single-server options refused', () => {
    expect(resolveClusterOptions({ nodes: ['h:1'], redisOptions: { password: 'x', clientName: 'n' }, clientName: 'top' }).node).toMatchObject({
      password: 'x',
      clientName: 'top',
    });
    expect(resolveClusterOptions({ nodes: ['h:1'], defaults: { username: 'u' } }).node.username).toBe('u');
    expect(() => resolveClusterOptions({ nodes: ['h:1'], db: 2 } as never)).toThrow(expect.objectContaining({ option: 'db' }));
    expect(() => resolveClusterOptions({ nodes: ['h:1'], nodeOptions: { url: 'redis://x' } } as never)).toThrow(expect.objectContaining({ option: 'nodeOptions.url' }));
    expect(() => resolveClusterOptions({ nodes: ['h:1'], scaleReads: 'slave' } as never)).toThrow(expect.objectContaining({ option: 'scaleReads' }));
  });
});

describe('blocking commands: server timeout plus commandTimeout', () => {
  it('reads the server timeout of each blocking command', () => {
    expect(serverTimeoutMs('BLPOP', ['a', 'b', 1.5])).toBe(1500);
    expect(serverTimeoutMs('BLMPOP', [2, 2, 'a', 'b', 'LEFT'])).toBe(2000);
    expect(serverTimeoutMs('XREAD', ['COUNT', 1, 'BLOCK', 300, 'STREAMS', 'BLOCK', '0'])).toBe(300);
    expect(serverTimeoutMs('XREAD', ['STREAMS', 'BLOCK', '0'])).toBeUndefined();
    expect(serverTimeoutMs('WAIT', [1, 250])).toBe(250);
    expect(blockingLimitMs('BLPOP', ['a', 2], 10_000)).toBe(12_000);
    expect(blockingLimitMs('BLPOP', ['a', 0], 10_000)).toBe(0);
    expect(blockingLimitMs('BLPOP', ['a', 2], 0)).toBe(0);
  });
});

describe('option grammar: objects and tokens checked the same way', () => {
  const g = grammar('ZRANGE', 'BYSCORE REV LIMIT=2 WITHSCORES', { LIMIT: limitRule });
  const build = (rest: unknown[]): RedisArg[] => {
    const args: RedisArg[] = ['k', 0, -1];
    appendOptions(args, g, rest);
    return args;
  };
  it('builds the same arguments from both forms', () => {
    expect(build(['byscore', 'LIMIT', 0, 10])).toEqual(['k', 0, -1, 'byscore', 'LIMIT', 0, 10]);
    expect(build([{ BYSCORE: true, LIMIT: { offset: 0, count: 10 }, REV: false }])).toEqual(['k', 0, -1, 'BYSCORE', 'LIMIT', 0, 10]);
    expect(build([])).toEqual(['k', 0, -1]);
    expect(build([undefined])).toEqual(['k', 0, -1]);
  });
  it('finds a flag in either form', () => {
    expect(hasToken(['rev', 'withscores'], 'WITHSCORES')).toBe(true);
    expect(hasToken([{ WITHSCORES: true }], 'WITHSCORES')).toBe(true);
    expect(hasToken([{ WITHSCORES: false }], 'WITHSCORES')).toBe(false);
    expect(hasToken(['LIMIT', 0, 1], 'WITHSCORES')).toBe(false);
  });
  it('names the refused argument', () => {
    expect(() => build(['LIMIT', 0])).toThrow(expect.objectContaining({ index: 3, problem: 'count' }));
    expect(() => build(['REV', 'nope'])).toThrow(expect.objectContaining({ index: 4, problem: 'shape' }));
    expect(() => build(['LIMIT', 0, null])).toThrow(expect.objectContaining({ index: 5, problem: 'type' }));
    expect(() => build([{ rev: true }])).toThrow(/unknown option 'rev'/);
    expect(() => build([{ LIMIT: 5 }])).toThrow(ArgumentTypeError);
    expect(() => build([{ REV: 'yes' }])).toThrow(/flag/);
  });
});
