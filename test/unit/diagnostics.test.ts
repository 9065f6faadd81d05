/**
 * Issue 14 item 7: the trace contexts' redaction follows `@opentelemetry/redis-common`'s
 * `defaultDbStatementSerializer` (its `serializationSubsets`, read from the 2026-08 source), and
 * commands that can carry a credential stay redacted even with traceArguments. The expected
 * statements are written out by hand from those rules, not computed.
 */
import { describe, expect, it } from 'vitest';
import { commandContext, peerOf, redactArgs, statementOf } from '../../src/diagnostics.js';
import type { RedisArg } from '../../src/resp/types.js';

const cases: ReadonlyArray<readonly [string, RedisArg[], string, string[]]> = [
  ['PING', [], 'PING', []],
  ['GET', ['k'], 'GET k', ['k']],
  ['GET', [Buffer.from('bin-key')], 'GET bin-key', ['bin-key']],
  ['SET', ['k', 'v', 'EX', 60], 'SET k [3 other arguments]', ['k', '?', '?', '?']],
  ['SETEX', ['k', 60, 'v'], 'SETEX k [2 other arguments]', ['k', '?', '?']],
  ['GETSET', ['k', 'v'], 'GETSET k [1 other arguments]', ['k', '?']],
  ['ECHO', ['hello'], 'ECHO [1 other arguments]', ['?']],
  ['HSET', ['h', 'f', 'v'], 'HSET h f [1 other arguments]', ['h', 'f', '?']],
  ['LINSERT', ['l', 'BEFORE', 'p', 'v'], 'LINSERT l BEFORE [2 other arguments]', ['l', 'BEFORE', '?', '?']],
  ['PUBLISH', ['ch', 'msg'], 'PUBLISH ch [1 other arguments]', ['ch', '?']],
  ['ZADD', ['z', 1, 'm'], 'ZADD z [2 other arguments]', ['z', '?', '?']],
  ['XADD', ['s', '*', 'f', 'v'], 'XADD s [3 other arguments]', ['s', '?', '?', '?']],
  ['MGET', ['a', 'b'], 'MGET [2 other arguments]', ['?', '?']],
  ['EXPIRE', ['k', 60], 'EXPIRE k 60', ['k', '60']],
  ['SCAN', ['0', 'MATCH', 'p*'], 'SCAN 0 MATCH p*', ['0', 'MATCH', 'p*']],
  ['HSCAN', ['h', '0'], 'HSCAN h 0', ['h', '0']],
  ['EVALSHA', ['abc', 1, 'k', 'arg'], 'EVALSHA abc 1 k arg', ['abc', '1', 'k', 'arg']],
  ['CLIENT', ['SETNAME', 'x'], 'CLIENT SETNAME x', ['SETNAME', 'x']],
  ['AUTH', ['user', 'pw'], 'AUTH [2 other arguments]', ['?', '?']],
  ['HELLO', [3, 'AUTH', 'default', 'pw'], 'HELLO [4 other arguments]', ['?', '?', '?', '?']],
  ['ACL', ['SETUSER', 'u', 'on', '>pw'], 'ACL SETUSER [3 other arguments]', ['SETUSER', '?', '?', '?']],
  ['CONFIG', ['SET', 'requirepass', 'pw'], 'CONFIG SET [2 other arguments]', ['SET', '?', '?']],
  ['MIGRATE', ['h', 6379, '', 0, 5000, 'AUTH', 'pw', 'KEYS', 'a'], 'MIGRATE [9 other arguments]', ['?', '?', '?', '?', '?', '?', '?', '?', '?']],
  ['FOO.BAR', ['x'], 'FOO.BAR [1 other arguments]', ['?']],
];

describe('trace redaction (redis-common rules)', () => {
  it.each(cases)('%s %j', (name, args, statement, shown) => {
    expect(statementOf(name, args)).toBe(statement);
    expect(redactArgs(name, args)).toEqual(shown);
  });

  it('traceArguments shows every argument, except of the commands that can carry a credential', () => {
    expect(statementOf('SET', ['k', 'v', 'EX', 60], true)).toBe('SET k v EX 60');
    expect(redactArgs('MGET', ['a', 'b'], true)).toEqual(['a', 'b']);
    for (const [name, args, statement, shown] of cases.filter(([n]) => ['AUTH', 'HELLO', 'ACL', 'CONFIG', 'MIGRATE'].includes(n))) {
      expect(statementOf(name, args, true)).toBe(statement);
      expect(redactArgs(name, args, true)).toEqual(shown);
    }
  });
});

describe('trace peer fields', () => {
  it('splits host and port; a socket path has no port', () => {
    expect(peerOf('127.0.0.1:6379', undefined, 2)).toEqual({ serverAddress: '127.0.0.1', serverPort: 6379, database: 2, server: '127.0.0.1:6379' });
    expect(peerOf('::1:7000', undefined, 0)).toMatchObject({ serverAddress: '::1', serverPort: 7000 });
    expect(peerOf('[::1]:7000', undefined, 0)).toMatchObject({ serverAddress: '::1', serverPort: 7000 });
    expect(peerOf('/tmp/redis.sock', '/tmp/redis.sock', 1)).toEqual({ serverAddress: '/tmp/redis.sock', serverPort: undefined, database: 1, server: '/tmp/redis.sock' });
    expect(peerOf('mymaster (via sentinels)', undefined, 0)).toMatchObject({ serverAddress: 'mymaster (via sentinels)', serverPort: undefined });
  });

  it('a command context carries the node-redis / ioredis field names', () => {
    const ctx = commandContext('SET', ['k', 'v'], peerOf('10.0.0.1:6380', undefined, 4), false, { mode: 'PIPELINE', size: 2 });
    expect(ctx).toEqual({
      command: 'SET',
      args: ['k', '?'],
      statement: 'SET k [1 other arguments]',
      database: 4,
      serverAddress: '10.0.0.1',
      serverPort: 6380,
      server: '10.0.0.1:6380',
      batchMode: 'PIPELINE',
      batchSize: 2,
    });
  });
});
