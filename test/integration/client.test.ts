import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  ArgumentTypeError,
  ConnectionError,
  createClient,
  ReplyError,
  SlotlineError,
  TimeoutError,
  type Client,
} from '../../src/index.js';
import { standaloneTarget } from '../harness/context.js';
import { startStandalone, type StandaloneServer } from '../harness/servers.js';

const k = (name: string): string => `client-test:${randomUUID()}:${name}`;

describe('standalone client against the shared server', () => {
  let client: Client;
  beforeAll(async () => {
    const { host, port } = standaloneTarget();
    client = createClient({ host, port });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
  });

  it('negotiates RESP3 and answers basic commands', async () => {
    expect(client.protocol).toBe(3);
    expect(await client.ping()).toBe('PONG');
    const key = k('s');
    expect(await client.set(key, 'v')).toBe('OK');
    expect(await client.get(key)).toBe('v');
    expect(await client.get(k('missing'))).toBeNull();
    expect(await client.call('STRLEN', key)).toBe(1);
  });

  it('resolves 10,000 concurrent commands with their own replies', async () => {
    const prefix = k('many');
    const sets = Array.from({ length: 10_000 }, (_, i) => client.set(`${prefix}:${i}`, `value-${i}`));
    await Promise.all(sets);
    const gets = await Promise.all(Array.from({ length: 10_000 }, (_, i) => client.get(`${prefix}:${i}`)));
    gets.forEach((v, i) => expect(v).toBe(`value-${i}`));
    const echoes = await Promise.all(Array.from({ length: 2000 }, (_, i) => client.echo(`e${i}`)));
    echoes.forEach((v, i) => expect(v).toBe(`e${i}`));
  });

  it('a bad argument fails that command alone, before anything is sent', async () => {
    const key = k('bad');
    const bad = client.call('SET', key, undefined as unknown as string);
    const good = client.set(key, 'fine');
    await expect(bad).rejects.toBeInstanceOf(ArgumentTypeError);
    await expect(bad).rejects.toThrow(/SET: argument #1 is undefined/);
    expect(await good).toBe('OK');
    expect(await client.get(key)).toBe('fine');
  });

  it('a server error rejects that command with a typed ReplyError and the next one works', async () => {
    const key = k('list');
    await client.set(key, 'string');
    const err = await client.lpop(key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as ReplyError).code).toBe('WRONGTYPE');
    expect((err as ReplyError).command).toBe('LPOP');
    expect(await client.get(key)).toBe('string');
  });

  it('returns the same shapes for hashes, sets, sorted sets and streams', async () => {
    const h = k('h');
    await client.hset(h, { a: '1', b: '2' });
    expect(await client.hgetall(h)).toEqual({ a: '1', b: '2' });
    const s = k('set');
    await client.sadd(s, 'x', 'y');
    expect((await client.smembers(s)).sort()).toEqual(['x', 'y']);
    const z = k('z');
    await client.zadd(z, [{ score: 1.5, member: 'a' }, { score: 2, member: 'b' }]);
    expect(await client.zscore(z, 'a')).toBe(1.5);
    expect(await client.zrangeWithScores(z, 0, -1)).toEqual([
      { member: 'a', score: 1.5 },
      { member: 'b', score: 2 },
    ]);
    const st = k('stream');
    const id = await client.xadd(st, '*', { f: 'v' });
    const entries = await client.xrange(st);
    expect(entries).toEqual([{ id, message: { f: 'v' } }]);
    const read = await client.xread([{ key: st, id: '0' }]);
    expect(read).toEqual([{ name: st, messages: [{ id, message: { f: 'v' } }] }]);
  });

  it('mget/mset accept the argument shapes ioredis users know', async () => {
    const a = k('{m}a');
    const b = k('{m}b');
    await client.mset({ [a]: '1', [b]: '2' });
    expect(await client.mget(a, b)).toEqual(['1', '2']);
    expect(await client.mget([a, b])).toEqual(['1', '2']);
    await client.mset(a, '3', b, '4');
    expect(await client.mget([a], b)).toEqual(['3', '4']);
  });

  it('keeps 64-bit integers exact as bigint', async () => {
    const key = k('big');
    await client.set(key, '9007199254740993');
    expect(await client.call('INCRBY', key, 0)).toBe(9007199254740993n);
  });

  it('decodes Buffers on request', async () => {
    const key = k('bin');
    const bytes = Buffer.from([0, 255, 13, 10, 128]);
    await client.set(key, bytes);
    const got = await client.getBuffer(key);
    expect(Buffer.isBuffer(got)).toBe(true);
    expect(got!.equals(bytes)).toBe(true);
  });

  it('refuses connection-state commands on the shared connection', async () => {
    await expect(client.call('WATCH', 'x')).rejects.toThrow(/use watch\(keys/);
    await expect(client.call('MULTI')).rejects.toBeInstanceOf(SlotlineError);
    expect(await client.ping()).toBe('PONG');
  });
});

describe('standalone client with servers of its own', () => {
  const servers: StandaloneServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('rejects connect() clearly on a refused port, without a retry loop', async () => {
    const server = await startStandalone();
    servers.push(server);
    const port = server.port;
    await server.stop();
    const c = createClient({ port, connectTimeout: 2000 });
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).reason).toBe('refused');
    expect(c.status).toBe('closed');
  });

  it('gives a clear error on a wrong password, and works with the right one', async () => {
    const server = await startStandalone({ password: 's3cret' });
    servers.push(server);
    const bad = createClient({ port: server.port, password: 'wrong' });
    const err = await bad.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/authentication failed/);
    expect((err as Error).message).not.toMatch(/wrong/);
    expect(bad.status).toBe('closed');
    const good = createClient(`redis://:s3cret@127.0.0.1:${server.port}/2`);
    await good.connect();
    await good.set('k', 'v');
    expect(await good.call('CLIENT', 'INFO')).toMatch(/db=2/);
    await good.close();
  });

  it('falls back to RESP2 when asked and keeps the same reply shapes', async () => {
    const server = await startStandalone();
    servers.push(server);
    const c = createClient({ port: server.port, protocol: 2, clientName: 'resp2-client' });
    await c.connect();
    expect(c.protocol).toBe(2);
    await c.hset('h', 'a', '1');
    expect(await c.hgetall('h')).toEqual({ a: '1' });
    await c.zadd('z', 1, 'a');
    expect(await c.zscore('z', 'a')).toBe(1);
    expect(await c.zrangeWithScores('z', 0, -1)).toEqual([{ member: 'a', score: 1 }]);
    expect(await c.call('CLIENT', 'GETNAME')).toBe('resp2-client');
    await c.close();
  });

  it('rejects in-flight commands when the server dies, then reconnects and serves new ones', async () => {
    const server = await startStandalone();
    servers.push(server);
    const c = createClient({ port: server.port, reconnect: { initialDelay: 20, maxDelay: 200, maxAttempts: 100 } });
    await c.connect();
    // The handler is attached now: the rejection arrives while kill() is still being awaited.
    const sleeping = c.call('DEBUG', 'SLEEP', '2').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    await server.kill();
    const err = await sleeping;
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).written).toBe(true);
    await server.restart();
    // Offline queue: issued while reconnecting, sent after the handshake.
    expect(await c.set('after', 'restart')).toBe('OK');
    expect(await c.get('after')).toBe('restart');
    await c.close();
  });

  it('times out a command and keeps the following replies aligned', async () => {
    const server = await startStandalone();
    servers.push(server);
    const c = createClient({ port: server.port, commandTimeout: 200 });
    await c.connect();
    await c.set('a', '1');
    const slow = c.call('DEBUG', 'SLEEP', '0.5');
    const err = await slow.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    // Let the server wake up; its late +OK is then the next reply on the socket.
    await new Promise((r) => setTimeout(r, 400));
    // The late +OK of DEBUG SLEEP must not be handed to this GET.
    const after = await Promise.all([c.get('a'), c.echo('x'), c.incr('n')]);
    expect(after).toEqual(['1', 'x', 1]);
    await c.close();
  });

  it('close() waits for pending replies; disconnect() rejects them', async () => {
    const server = await startStandalone();
    servers.push(server);
    const c = createClient({ port: server.port });
    await c.connect();
    const pending = Array.from({ length: 100 }, (_, i) => c.echo(String(i)));
    await c.close();
    expect(await Promise.all(pending)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    await expect(c.ping()).rejects.toBeInstanceOf(ConnectionError);

    const d = createClient({ port: server.port });
    await d.connect();
    const slow = d.call('DEBUG', 'SLEEP', '0.3');
    d.disconnect();
    const err = await slow.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).reason).toBe('client-closed');
  });

  it('with reconnect disabled and the offline queue off, commands fail fast while down', async () => {
    const server = await startStandalone();
    servers.push(server);
    const c = createClient({ port: server.port, reconnect: false });
    await c.connect();
    await server.kill();
    await expect(c.ping()).rejects.toBeInstanceOf(ConnectionError);
    expect(c.status).toBe('closed');
    await server.restart();
  });

  it('applies back-pressure: past maxInFlight callers wait, or fail with onBackpressure fail', async () => {
    const server = await startStandalone();
    servers.push(server);
    const waiting = createClient({ port: server.port, maxInFlight: 10 });
    await waiting.connect();
    const all = await Promise.all(Array.from({ length: 500 }, (_, i) => waiting.echo(String(i))));
    expect(all[499]).toBe('499');
    await waiting.close();

    const failing = createClient({ port: server.port, maxInFlight: 10, onBackpressure: 'fail' });
    await failing.connect();
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => failing.echo(String(i))));
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected.length).toBe(40);
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionError);
    expect(await failing.ping()).toBe('PONG');
    await failing.close();
  });
});
