import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createClient, defineLibrary, defineScript, LibraryHeaderError, ReplyError, type Client } from '../../src/index.js';
import { startStandalone, type StandaloneServer } from '../harness/servers.js';

// These tests flush scripts and functions and restart servers: they run on servers of their own.

const k = (name: string): string => `scripts-test:${randomUUID()}:${name}`;

const incr = defineScript({ lua: "return redis.call('INCR', KEYS[1])", keys: 1 });
const readKey = defineScript({ lua: "return redis.call('GET', KEYS[1])", keys: 1, readOnly: true });
const writeFromReadOnly = defineScript({ lua: "return redis.call('SET', KEYS[1], 'x')", keys: 1, readOnly: true });
const broken = defineScript({ lua: 'return (' });
const counters = defineLibrary(
  [
    '#!lua name=counters',
    "redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)",
    "redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}",
  ].join('\n'),
);

/** `calls` of one entry of INFO commandstats, e.g. 'script|load'; 0 when absent. */
async function calls(admin: Client, command: string): Promise<number> {
  const info = await admin.info('commandstats');
  const m = new RegExp(`^cmdstat_${command.replace('|', '\\|')}:calls=(\\d+)`, 'm').exec(info);
  return m === null ? 0 : Number(m[1]);
}

/** How many error replies with this code the server sent (INFO errorstats); 0 when absent. */
async function errors(admin: Client, code: string): Promise<number> {
  const info = await admin.info('errorstats');
  const m = new RegExp(`^errorstat_${code}:count=(\\d+)`, 'm').exec(info);
  return m === null ? 0 : Number(m[1]);
}

async function until(what: string, check: () => Promise<boolean>, boundMs = 10_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('scripts', () => {
  let server: StandaloneServer;
  let client: Client;
  let admin: Client;
  beforeAll(async () => {
    server = await startStandalone();
    admin = await createClient({ port: server.port }).connect();
  });
  beforeEach(async () => {
    // A fresh client per test: what it believes loaded starts empty.
    client = await createClient({ port: server.port }).connect();
    return async () => {
      await client.close();
    };
  });
  afterAll(async () => {
    await admin.close();
    await server.stop();
  });

  it('sends the body once per connection in steady state', async () => {
    await admin.scriptFlush();
    const before = await calls(admin, 'script|load');
    const key = k('steady');
    await Promise.all(Array.from({ length: 20 }, () => client.runScript(incr, [key])));
    for (let i = 0; i < 10; i++) await client.runScript(incr, [key]);
    for (let i = 0; i < 5; i++) await client.pipeline().runScript(incr, [key]).get(key).runScript(incr, [key]).exec();
    expect(await client.get(key)).toBe('40');
    expect((await calls(admin, 'script|load')) - before).toBe(1);
    expect(await calls(admin, 'evalsha')).toBeGreaterThanOrEqual(40);
  });

  it('keeps working after SCRIPT FLUSH from another client, for single calls', async () => {
    const key = k('flush');
    expect(await client.runScript(incr, [key])).toBe(1);
    await admin.scriptFlush();
    const noscript = await errors(admin, 'NOSCRIPT');
    expect(await client.runScript(incr, [key])).toBe(2);
    // The connection believed it held the script: one NOSCRIPT, repaired by load + retry.
    expect((await errors(admin, 'NOSCRIPT')) - noscript).toBe(1);
    expect(await client.scriptExists(incr.sha)).toEqual([true]);
  });

  it('repairs NOSCRIPT in the middle of a pipeline; repaired entries ran after the rest', async () => {
    const key = k('pipe');
    const out = await client
      .pipeline()
      .runScript(incr, [key])
      .scriptFlush()
      .runScript(incr, [key])
      .get(key)
      .runScript(incr, [key])
      .incr(key)
      .exec();
    // Entries 2 and 4 met NOSCRIPT and were re-run after the batch, in their order: the GET and
    // INCR in between saw the counter before them.
    expect(out).toEqual([1, 'OK', 3, '1', 4, 2]);
    expect(await client.get(key)).toBe('4');
  });

  it('repairs a pipeline whose script was flushed by another client since its last use', async () => {
    const key = k('pipe2');
    await client.runScript(incr, [key]);
    await admin.scriptFlush();
    const out = await client.pipeline().set(k('x'), 'v').runScript(incr, [key]).runScript(readKey, [key]).exec();
    // The read-only script was not held yet, so it was loaded up front and ran in order; the
    // flushed one was re-run after the batch, so the read saw the counter before it.
    expect(out).toEqual(['OK', 2, '1']);
    expect(await client.get(key)).toBe('2');
  });

  it('never meets NOSCRIPT inside MULTI, even right after a flush: the whole transaction applies', async () => {
    const key = k('multi');
    await client.runScript(incr, [key]);
    await admin.scriptFlush();
    const noscript = await errors(admin, 'NOSCRIPT');
    const out = await client.multi().incr(key).runScript(incr, [key]).runScript(readKey, [key]).get(key).exec();
    expect(out).toEqual([2, 3, '3', '3']);
    expect(await errors(admin, 'NOSCRIPT')).toBe(noscript);
  });

  it('reports a script that does not compile in place, inside MULTI the others still apply', async () => {
    const key = k('broken');
    const out = await client.multi().incr(key).runScript(broken).incr(key).exec();
    expect(out[0]).toBe(1);
    expect(out[1]).toBeInstanceOf(ReplyError);
    expect((out[1] as ReplyError).message).toMatch(/compiling script/);
    expect(out[2]).toBe(2);
    await expect(client.runScript(broken)).rejects.toThrow(/compiling script/);
    const [p] = await client.pipeline().runScript(broken).exec();
    expect((p as ReplyError).message).toMatch(/compiling script/);
  });

  it('runs a read-only script with EVALSHA_RO', async () => {
    const key = k('ro');
    await client.set(key, 'v');
    const before = await calls(admin, 'evalsha_ro');
    expect(await client.runScript(readKey, [key])).toBe('v');
    expect((await calls(admin, 'evalsha_ro')) - before).toBe(1);
    const error = await client.runScript(writeFromReadOnly, [key]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplyError);
    expect((error as ReplyError).message).toMatch(/Write commands are not allowed from read-only scripts/);
  });

  it('runs scripts inside watch()', async () => {
    const key = k('watch');
    await client.set(key, '5');
    const out = await client.watch(key, async (tx) => {
      const v = await tx.runScript(readKey, [key]);
      return tx.multi().runScript(incr, [key]).set(`${key}:copy`, String(v));
    });
    expect(out).toEqual([6, 'OK']);
    expect(await client.get(`${key}:copy`)).toBe('5');
  });

  it('refuses a call with the wrong number of keys before sending: the promise rejects, nothing throws', async () => {
    await expect(client.runScript(incr, [])).rejects.toThrow(/takes 1 key/);
  });
});

describe('functions', () => {
  let server: StandaloneServer;
  let client: Client;
  let admin: Client;
  beforeAll(async () => {
    server = await startStandalone();
    admin = await createClient({ port: server.port }).connect();
  });
  beforeEach(async () => {
    await admin.functionFlush();
    client = await createClient({ port: server.port }).connect();
    return async () => {
      await client.close();
    };
  });
  afterAll(async () => {
    await admin.close();
    await server.stop();
  });

  it('functionLoad / functionList / functionDelete round trip, under RESP3 and RESP2', async () => {
    expect(await client.functionLoad(counters.code)).toBe('counters');
    await expect(client.functionLoad(counters.code)).rejects.toThrow(/already exists/);
    expect(await client.functionLoad(counters.code, { replace: true })).toBe('counters');
    const expected = [
      {
        libraryName: 'counters',
        engine: 'LUA',
        functions: expect.arrayContaining([
          { name: 'bump', description: null, flags: [] },
          { name: 'peek', description: null, flags: ['no-writes'] },
        ]),
      },
    ];
    expect(await client.functionList()).toEqual(expected);
    const resp2 = await createClient({ port: server.port, protocol: 2 }).connect();
    try {
      expect(await resp2.functionList({ libraryName: 'counters', withCode: true })).toEqual([{ ...expected[0], code: counters.code }]);
    } finally {
      await resp2.close();
    }
    expect(await client.functionDelete('counters')).toBe('OK');
    expect(await client.functionList()).toEqual([]);
    await expect(client.functionDelete('counters')).rejects.toThrow(/Library not found/);
  });

  it('runFunction loads the library when the function is missing, also after FUNCTION FLUSH', async () => {
    const key = k('fn');
    expect(await client.runFunction(counters, 'bump', [key], [2])).toBe(2);
    await admin.functionFlush();
    expect(await client.runFunction(counters, 'bump', [key], [3])).toBe(5);
    expect(await client.runFunction(counters, 'peek', [key], [], { readOnly: true })).toBe('5');
    await expect(client.runFunction(counters, 'nope', [key])).rejects.toMatchObject({ kind: 'nofunction' });
  });

  it('loads the library once per connection in steady state', async () => {
    const key = k('fn-steady');
    const before = await calls(admin, 'function|load');
    await Promise.all(Array.from({ length: 10 }, () => client.runFunction(counters, 'bump', [key], [1])));
    await client.pipeline().runFunction(counters, 'bump', [key], [1]).runFunction(counters, 'peek', [key]).exec();
    expect(await client.get(key)).toBe('11');
    expect((await calls(admin, 'function|load')) - before).toBe(1);
  });

  it('runFunction in a pipeline after FUNCTION FLUSH: repaired, results in place', async () => {
    const key = k('fn-pipe');
    await client.runFunction(counters, 'bump', [key], [1]);
    await admin.functionFlush();
    const out = await client.pipeline().runFunction(counters, 'bump', [key], [10]).get(key).runFunction(counters, 'peek', [key], [], { readOnly: true }).exec();
    expect(out).toEqual([11, '1', '11']);
  });

  it('runFunction in multi after FUNCTION FLUSH: loaded inside the transaction, all applied', async () => {
    const key = k('fn-multi');
    await client.runFunction(counters, 'bump', [key], [1]);
    await admin.functionFlush();
    const out = await client.multi().incr(key).runFunction(counters, 'bump', [key], [5]).get(key).exec();
    expect(out).toEqual([2, 7, '7']);
    const again = await client.multi().runFunction(counters, 'bump', [key], [1]).exec();
    expect(again).toEqual([8]);
  });

  it('defineLibrary without a header throws LibraryHeaderError', () => {
    expect(() => defineLibrary("redis.register_function('f', function() return 1 end)")).toThrow(LibraryHeaderError);
  });
});

describe('scripts and functions across a server restart', () => {
  let server: StandaloneServer;
  let client: Client;
  beforeAll(async () => {
    server = await startStandalone();
    client = await createClient({ port: server.port, reconnect: { initialDelay: 20, maxDelay: 200, maxAttempts: 200 } }).connect();
  });
  afterAll(async () => {
    await client.close();
    await server.stop();
  });

  it('loads again on the new connection generation, without meeting NOSCRIPT', async () => {
    const key = k('restart');
    expect(await client.runScript(incr, [key])).toBe(1);
    expect(await client.runFunction(counters, 'bump', [key], [1])).toBe(2);
    await server.restart();
    // The restarted server starts empty (no persistence): wait until the client is back on it.
    await until('the client to reconnect', async () => (await client.ping()) === 'PONG');
    expect(await client.runScript(incr, [key])).toBe(1);
    expect(await client.pipeline().runScript(incr, [key]).runFunction(counters, 'bump', [key], [5]).exec()).toEqual([2, 7]);
    expect(await client.multi().runScript(incr, [key]).exec()).toEqual([8]);
    const info = await client.info('errorstats');
    expect(info).not.toMatch(/errorstat_NOSCRIPT/);
    expect(info).not.toMatch(/errorstat_ERR/); // "Function not found" is an ERR
  });
});
