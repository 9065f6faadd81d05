import { describe, it, expect } from 'vitest';
import {
  commandKeyIndexes,
  commandKeys,
  flagNames,
  hasFlag,
  hasKeySpecFlag,
  isBlocking,
  isKeyless,
  isReadOnly,
  lookupCommand,
} from '../../../src/commands/keys.js';
import { COMMANDS, SERVER_VERSION } from '../../../src/commands/table.generated.js';

const split = (line: string): string[] => line.split(' ').map((w) => (w === "''" ? '' : w));

/**
 * Expected positions were checked against redis-server 7.0.15's COMMAND GETKEYS (which counts
 * the name; these count from the first argument). Shard channels are the exception: the server
 * says they are not keys, we keep them because their slot picks the node.
 */
const KEY_CASES: Array<[string, number[]]> = [
  ['GET k', [0]],
  ['get k', [0]],
  ['SET k v GET', [0]],
  ['MSET a 1 b 2', [0, 2]],
  ['MGET a b c', [0, 1, 2]],
  ['DEL a b', [0, 1]],
  ['EXISTS a a', [0, 1]],
  ['TOUCH a', [0]],
  ['UNLINK a b', [0, 1]],
  ['MSETNX a 1 b 2', [0, 2]],
  ['EVAL return 2 k1 k2 a1', [2, 3]],
  ['EVALSHA abc 0', []],
  ['EVAL_RO s 1 k', [2]],
  ['EVALSHA_RO abc 1 k a', [2]],
  ['FCALL f 1 k x', [2]],
  ['FCALL_RO f 2 a b', [2, 3]],
  ['EVAL s 5 a b', [2, 3]], // numkeys larger than the arguments: only the keys present
  ['EVAL s x a', []], // numkeys not a number: the server will refuse it
  ['XREAD COUNT 2 STREAMS s1 s2 0 0', [3, 4]],
  ['XREAD BLOCK 0 STREAMS s $', [3]],
  ['XREADGROUP GROUP g c COUNT 1 STREAMS a b > >', [6, 7]],
  ['XREADGROUP GROUP streams c STREAMS a >', [4]], // a group named like the keyword
  ['ZUNIONSTORE dest 2 a b', [0, 2, 3]],
  ['ZUNIONSTORE dest 2 a b WEIGHTS 1 2', [0, 2, 3]],
  ['ZINTERSTORE dest 1 a', [0, 2]],
  ['ZDIFFSTORE dest 2 a b', [0, 2, 3]],
  ['ZUNION 2 a b', [1, 2]],
  ['ZINTER 2 a b', [1, 2]],
  ['ZDIFF 3 a b c WITHSCORES', [1, 2, 3]],
  ['LMPOP 2 a b LEFT', [1, 2]],
  ['BLMPOP 0 2 a b LEFT', [2, 3]],
  ['ZMPOP 1 z MIN', [1]],
  ['BZMPOP 1 2 a b MAX COUNT 2', [2, 3]],
  ['SINTERCARD 2 a b LIMIT 1', [1, 2]],
  ['ZINTERCARD 2 a b', [1, 2]],
  ['SORT k', [0]],
  ['SORT k STORE d', [0, 2]],
  ['SORT k BY w_* GET # LIMIT 0 10 ALPHA STORE d', [0, 10]],
  ['SORT_RO k BY x', [0]],
  ['MIGRATE h 1 k 0 100', [2]],
  ["MIGRATE h 1 '' 0 100 COPY REPLACE AUTH pw KEYS a b", [10, 11]],
  ["MIGRATE h 1 '' 0 100 AUTH2 u KEYS KEYS x", [9]], // a password spelled KEYS
  ['OBJECT ENCODING k', [1]],
  ['OBJECT FREQ k', [1]],
  ['MEMORY USAGE k SAMPLES 5', [1]],
  ['GEORADIUS g 0 0 1 m STORE d', [0, 6]],
  ['GEORADIUS g 0 0 1 m COUNT 3 STOREDIST d', [0, 8]],
  ['GEORADIUSBYMEMBER g m 1 km STORE d', [0, 5]],
  ['GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 km', [0, 1]],
  ['BLPOP a b 0', [0, 1]],
  ['BZPOPMIN a b 1', [0, 1]],
  ['BRPOPLPUSH a b 0', [0, 1]],
  ['BLMOVE a b LEFT RIGHT 0', [0, 1]],
  ['LMOVE a b LEFT LEFT', [0, 1]],
  ['RENAME a b', [0, 1]],
  ['LCS a b', [0, 1]],
  ['PFCOUNT a b', [0, 1]],
  ['PFMERGE d a b', [0, 1, 2]],
  ['SMOVE a b m', [0, 1]],
  ['ZRANGESTORE d s 0 -1', [0, 1]],
  ['BITOP AND d a b', [1, 2, 3]],
  ['COPY a b', [0, 1]],
  ['XADD s * f v', [0]],
  ['XINFO STREAM s', [1]],
  ['XGROUP CREATE s g $', [1]],
  ['WATCH a b', [0, 1]],
  ['SUNIONSTORE d a b', [0, 1, 2]],
  ['GETEX k EX 1', [0]],
  ['HSET h f v', [0]],
  ['SPUBLISH ch m', [0]],
  ['SSUBSCRIBE a b', [0, 1]],
  ['CLIENT LIST', []],
  ['client list', []],
  ['DEBUG OBJECT k', []],
  ['PUBSUB SHARDNUMSUB a', []],
  ['PING', []],
  ['DBSIZE', []],
  ['NOSUCHCOMMAND a b', []],
];

describe('commandKeyIndexes', () => {
  it.each(KEY_CASES)('%s → %j', (line, expected) => {
    const [name, ...args] = split(line);
    expect([...commandKeyIndexes(name!, args)]).toEqual(expected);
  });

  it('accepts Buffers and numbers as arguments', () => {
    expect(commandKeyIndexes('EVAL', ['s', 2, Buffer.from('a'), 'b'])).toEqual([2, 3]);
    expect(commandKeyIndexes('XREAD', [Buffer.from('streams'), 'a', '0'])).toEqual([1]);
    expect(commandKeyIndexes('SORT', ['k', Buffer.from('store'), 'd'])).toEqual([0, 2]);
    expect(commandKeyIndexes('MIGRATE', ['h', 1, Buffer.alloc(0), 0, 5, 'KEYS', 'x'])).toEqual([6]);
    expect(commandKeyIndexes('OBJECT', [Buffer.from('ENCODING'), 'k'])).toEqual([1]);
  });

  it('does not go past the arguments given', () => {
    expect(commandKeyIndexes('GET', [])).toEqual([]);
    expect(commandKeyIndexes('RENAME', ['a'])).toEqual([0]);
    expect(commandKeyIndexes('XREAD', ['STREAMS'])).toEqual([]);
    expect(commandKeyIndexes('ZUNIONSTORE', ['d', '3', 'a'])).toEqual([0, 2]);
  });

  it('returns the same frozen array for a key at a fixed position', () => {
    const a = commandKeyIndexes('GET', ['x']);
    const b = commandKeyIndexes('HGET', ['y', 'f']);
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('commandKeys and isKeyless read the same positions', () => {
    expect(commandKeys('MSET', ['a', '1', 'b', '2'])).toEqual(['a', 'b']);
    expect(isKeyless('PING', [])).toBe(true);
    expect(isKeyless('EVAL', ['s', '0'])).toBe(true);
    expect(isKeyless('EVAL', ['s', '1', 'k'])).toBe(false);
  });
});

describe('lookupCommand', () => {
  it('is case-insensitive and resolves subcommands', () => {
    expect(lookupCommand('get', [])?.name).toBe('get');
    expect(lookupCommand('GeT', [])?.name).toBe('get');
    expect(lookupCommand('CLIENT', ['LIST'])?.name).toBe('client|list');
    expect(lookupCommand('client', ['list'])?.name).toBe('client|list');
    expect(lookupCommand('Script', ['Load', 'return 1'])?.name).toBe('script|load');
    expect(lookupCommand('FUNCTION', ['LOAD', 'code'])?.name).toBe('function|load');
    expect(lookupCommand('CLUSTER', ['SHARDS'])?.name).toBe('cluster|shards');
    expect(lookupCommand('CLIENT', [Buffer.from('kill')])?.name).toBe('client|kill');
  });

  it('keeps the container for a missing or unknown subcommand, undefined for unknown commands', () => {
    expect(lookupCommand('CLIENT', [])?.name).toBe('client');
    expect(lookupCommand('CLIENT', [])?.container).toBe(true);
    expect(lookupCommand('CLIENT', ['NOPE'])?.name).toBe('client');
    expect(lookupCommand('GET', ['k'])?.container).toBe(false);
    expect(lookupCommand('NOSUCHCOMMAND', [])).toBeUndefined();
  });

  it('carries arity, flags, key specs and tips', () => {
    const get = lookupCommand('GET', ['k'])!;
    expect(get.arity).toBe(2);
    expect(hasFlag(get, 'readonly')).toBe(true);
    expect(hasFlag(get, 'fast')).toBe(true);
    expect(hasFlag(get, 'write')).toBe(false);
    expect(flagNames(get)).toEqual(['readonly', 'fast']);
    expect(get.keySpecs).toHaveLength(1);
    expect(get.keySpecs[0]!.begin).toEqual({ kind: 'index', index: 1 });
    expect(get.keySpecs[0]!.find).toEqual({ kind: 'range', lastKey: 0, keyStep: 1, limit: 0 });
    expect(hasKeySpecFlag(get.keySpecs[0]!, 'RO')).toBe(true);

    const xread = lookupCommand('XREAD', [])!;
    expect(xread.keySpecs[0]!.begin).toEqual({ kind: 'keyword', keyword: 'STREAMS', startFrom: 1 });
    expect(xread.keySpecs[0]!.find).toEqual({ kind: 'range', lastKey: -1, keyStep: 1, limit: 2 });
    const evalSpec = lookupCommand('EVAL', [])!;
    expect(evalSpec.keySpecs[0]!.find).toEqual({ kind: 'keynum', keyNumIndex: 0, firstKey: 1, keyStep: 1 });
    expect(hasKeySpecFlag(lookupCommand('SPUBLISH', [])!.keySpecs[0]!, 'not_key')).toBe(true);

    const dbsize = lookupCommand('DBSIZE', [])!;
    expect(dbsize.requestPolicy).toBe('all_shards');
    expect(dbsize.responsePolicy).toBe('agg_sum');
    expect(lookupCommand('MGET', [])!.requestPolicy).toBe('multi_shard');
    expect(lookupCommand('MGET', [])!.responsePolicy).toBeUndefined();
    expect(lookupCommand('SCRIPT', ['EXISTS'])!.responsePolicy).toBe('agg_logical_and');
    expect(lookupCommand('CLIENT', ['LIST'])!.nondeterministic).toBe('output');
    expect(lookupCommand('KEYS', ['*'])!.nondeterministic).toBe('order');
    expect(lookupCommand('GET', [])!.requestPolicy).toBeUndefined();
  });
});

describe('isReadOnly', () => {
  it.each([
    ['GET k', true],
    ['MGET a b', true],
    ['EVAL_RO s 0', true],
    ['FCALL_RO f 0', true],
    ['SORT_RO k', true],
    ['XREAD STREAMS s 0', true],
    ['OBJECT ENCODING k', true],
    ['SET k v', false],
    ['SORT k', false], // flagged write: a replica would redirect it even without STORE
    ['EVAL s 0', false],
    ['XREADGROUP GROUP g c STREAMS s >', false],
    ['CLIENT LIST', false],
    ['NOSUCHCOMMAND', false],
  ] as Array<[string, boolean]>)('%s → %s', (line, expected) => {
    const [name, ...args] = split(line);
    expect(isReadOnly(name!, args)).toBe(expected);
  });
});

describe('isBlocking', () => {
  it.each([
    ['BLPOP a 0', true],
    ['BRPOP a 0', true],
    ['BLMOVE a b LEFT RIGHT 0', true],
    ['BRPOPLPUSH a b 0', true],
    ['BZPOPMIN a 0', true],
    ['BZPOPMAX a 0', true],
    ['BLMPOP 0 1 a LEFT', true],
    ['BZMPOP 0 1 a MIN', true],
    ['WAIT 1 0', true],
    ['WAITAOF 1 0 0', true], // 7.2+: blocking even when the table predates it
    ['waitaof 1 0 0', true],
    ['XREAD STREAMS s 0', false],
    ['XREAD COUNT 1 STREAMS s 0', false],
    ['XREAD BLOCK 0 STREAMS s $', true],
    ['xread count 1 block 10 streams s $', true],
    ['XREADGROUP GROUP g c STREAMS s >', false],
    ['XREADGROUP GROUP g c COUNT 1 BLOCK 100 NOACK STREAMS s >', true],
    ['XREADGROUP GROUP block c STREAMS s >', false], // a group named BLOCK
    ['XREAD STREAMS BLOCK 0', false], // a stream named BLOCK
    ['GET k', false],
    ['LPOP a', false],
    ['SUBSCRIBE ch', false],
    ['NOSUCHCOMMAND', false],
  ] as Array<[string, boolean]>)('%s → %s', (line, expected) => {
    const [name, ...args] = split(line);
    expect(isBlocking(name!, args)).toBe(expected);
  });
});

describe('the generated table', () => {
  it('comes from both real servers and includes subcommands', () => {
    expect(SERVER_VERSION).toMatch(/^redis-server \d+\.\d+\.\d+ \+ valkey-server \d+\.\d+\.\d+$/);
    const names = new Set(COMMANDS.map((row) => row[0]));
    // The last five are in Valkey 8 and not in Redis 7.0.
    for (const n of ['get', 'client|list', 'script|load', 'function|load', 'cluster|shards', 'object|encoding', 'waitaof', 'client|no-touch', 'client|setinfo', 'cluster|myshardid', 'script|show']) {
      expect(names.has(n)).toBe(true);
    }
    expect(COMMANDS.length).toBeGreaterThan(300);
  });

  it('resolves every row by its name', () => {
    for (const [name] of COMMANDS) {
      const [container, sub] = name.split('|');
      const spec = sub === undefined ? lookupCommand(container!, []) : lookupCommand(container!, [sub]);
      expect(spec?.name).toBe(name);
    }
  });
});
