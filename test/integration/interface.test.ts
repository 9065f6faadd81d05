/**
 * Issue 14 items 1, 2, 3 and 5 against real servers: the ioredis positional forms of every
 * typed method that takes options (TTL really set, scores really returned), options and URLs
 * that mean what they say, a client that reconnects until told to stop, lazy connect, default
 * timeouts, and the client as an EventEmitter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter, once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { ArgumentTypeError, ConnectionError, InvalidOptionError, TimeoutError, createClient, type Client } from '../../src/index.js';
import { standaloneTarget } from '../harness/context.js';
import { startStandalone, type StandaloneServer } from '../harness/servers.js';
import { waitUntil, within } from '../harness/wait.js';

const k = (name: string): string => `iface:${randomUUID()}:${name}`;

describe('issue 14 item 1: ioredis positional forms mean what they mean in ioredis', () => {
  let c: Client;
  beforeAll(async () => {
    const { host, port } = standaloneTarget();
    c = await createClient({ host, port }).connect();
  });
  afterAll(async () => {
    await c.close();
  });

  it("set(k, v, 'EX', 60) stores a TTL; PX, NX, XX, GET and KEEPTTL too", async () => {
    const key = k('set');
    expect(await c.set(key, 'v', 'EX', 60)).toBe('OK');
    const ttl = await c.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await c.set(key, 'w', 'NX')).toBeNull();
    expect(await c.set(key, 'w', 'XX', 'GET')).toBe('v');
    expect(await c.ttl(key)).toBe(-1);
    await c.set(key, 'x', 'PX', 50_000);
    expect(await c.pttl(key)).toBeGreaterThan(40_000);
    await c.set(key, 'y', 'KEEPTTL');
    expect(await c.pttl(key)).toBeGreaterThan(40_000);
    expect(await c.set(k('missing'), 'v', 'XX')).toBeNull();
    // Lower case works as on the server.
    await c.set(key, 'z', 'ex', 30);
    expect(await c.ttl(key)).toBeGreaterThan(20);
  });

  it('refuses an unknown token, a missing value and an unknown options key, naming the argument', async () => {
    const key = k('bad');
    const unknown = await c.set(key, 'v', 'EXX' as 'EX', 60).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ArgumentTypeError);
    expect((unknown as ArgumentTypeError).index).toBe(2);
    expect((unknown as Error).message).toMatch(/SET: argument #2/);
    const missing = await c.set(key, 'v', 'EX').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ArgumentTypeError);
    expect((missing as Error).message).toMatch(/EX/);
    const typo = await c.set(key, 'v', { ex: 60 } as never).catch((e: unknown) => e);
    expect(typo).toBeInstanceOf(ArgumentTypeError);
    expect((typo as Error).message).toMatch(/'ex'/);
    const zaddTypo = await c.zaddWith(key, { nx: true } as never, [{ score: 1, member: 'a' }]).catch((e: unknown) => e);
    expect(zaddTypo).toBeInstanceOf(ArgumentTypeError);
    expect(await c.exists(key)).toBe(0);
    // In a pipeline the refusal fails exec(), before anything is sent.
    await expect(c.pipeline().set(key, 'v', 'EXX' as 'EX', 1).exec()).rejects.toBeInstanceOf(ArgumentTypeError);
    expect(await c.exists(key)).toBe(0);
  });

  it('the object form keeps working and pipelines take the positional form', async () => {
    const key = k('obj');
    const none: { EX: number } | undefined = undefined;
    expect(await c.set(key, 'v', none)).toBe('OK');
    await c.set(key, 'v', { EX: 100 });
    expect(await c.ttl(key)).toBeGreaterThan(90);
    const [r] = await c.pipeline().set(key, 'v', 'EX', 200).exec();
    expect(r).toBe('OK');
    expect(await c.ttl(key)).toBeGreaterThan(190);
  });

  it("zrange(k, 0, -1, 'WITHSCORES') returns the scores; BYSCORE, REV and LIMIT apply", async () => {
    const key = k('z');
    await c.zadd(key, 1, 'a', 2, 'b', 3, 'c');
    expect(await c.zrange(key, 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'b', '2', 'c', '3']);
    expect(await c.zrange(key, '(1', '+inf', 'BYSCORE')).toEqual(['b', 'c']);
    expect(await c.zrange(key, 0, -1, 'REV')).toEqual(['c', 'b', 'a']);
    expect(await c.zrange(key, '-inf', '+inf', 'BYSCORE', 'LIMIT', 1, 1)).toEqual(['b']);
    expect(await c.zrange(key, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 2, 'WITHSCORES')).toEqual(['c', '3', 'b', '2']);
    expect(await c.zrangeWithScores(key, 0, 0, 'REV')).toEqual([{ member: 'c', score: 3 }]);
    expect(await c.zrange(key, 0, -1, { REV: true })).toEqual(['c', 'b', 'a']);
  });

  it('zadd takes its flags positionally; zaddWith with the object form', async () => {
    const key = k('zadd');
    expect(await c.zadd(key, 'NX', 1, 'a')).toBe(1);
    expect(await c.zadd(key, 'NX', 5, 'a')).toBe(0);
    expect(await c.zscore(key, 'a')).toBe(1);
    expect(await c.zadd(key, 'XX', 'CH', 7, 'a')).toBe(1);
    expect(await c.zadd(key, 'GT', 'CH', 2, 'a')).toBe(0);
    expect(await c.zscore(key, 'a')).toBe(7);
    expect(await c.zaddWith(key, { XX: true, CH: true }, [{ score: 9, member: 'a' }])).toBe(1);
  });

  it('expire, pexpire, expireat and pexpireat take NX/XX/GT/LT', async () => {
    const key = k('exp');
    await c.set(key, 'v');
    expect(await c.expire(key, 100, 'NX')).toBe(1);
    expect(await c.expire(key, 50, 'NX')).toBe(0);
    expect(await c.expire(key, 50, 'GT')).toBe(0);
    expect(await c.expire(key, 200, 'GT')).toBe(1);
    expect(await c.pexpire(key, 1_000, 'LT')).toBe(1);
    const later = Math.floor(Date.now() / 1000) + 500;
    expect(await c.expireat(key, later, 'LT')).toBe(0);
    expect(await c.expireat(key, later, 'GT')).toBe(1);
    expect(await c.pexpireat(key, later * 1000 + 5000, 'XX')).toBe(1);
    expect(await c.ttl(key)).toBeGreaterThan(400);
    await expect(c.expire(key, 10, 'SOON' as never)).rejects.toBeInstanceOf(ArgumentTypeError);
  });

  it("scan and hscan take 'MATCH', 'COUNT' and 'TYPE'", async () => {
    const prefix = k('scan');
    await c.mset(`${prefix}:1`, 'a', `${prefix}:2`, 'b');
    await c.hset(`${prefix}:h`, 'f1', 'x', 'g1', 'y');
    const seen = new Set<string>();
    let cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      const page = await c.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      page.items.forEach((x) => seen.add(x));
      cursor = page.cursor;
      if (cursor === '0') break;
    }
    expect([...seen].sort()).toEqual([`${prefix}:1`, `${prefix}:2`, `${prefix}:h`]);
    const hashes: string[] = [];
    cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      const page = await c.scan(cursor, 'MATCH', `${prefix}:*`, 'TYPE', 'hash', 'COUNT', 1000);
      hashes.push(...page.items);
      cursor = page.cursor;
      if (cursor === '0') break;
    }
    expect(hashes).toEqual([`${prefix}:h`]);
    expect((await c.hscan(`${prefix}:h`, 0, 'MATCH', 'f*')).items).toEqual(['f1', 'x']);
    await expect(c.scan(0, 'MATCH')).rejects.toBeInstanceOf(ArgumentTypeError);
  });

  it('lists, sets and streams: counts, COUNT, MAXLEN and the raw stream forms', async () => {
    const list = k('l');
    await c.rpush(list, 'a', 'b', 'c', 'd');
    expect(await c.lpop(list, 2)).toEqual(['a', 'b']);
    expect(await c.rpop(list, 1)).toEqual(['d']);
    const set = k('s');
    await c.sadd(set, 'x', 'y', 'z');
    expect((await c.srandmember(set, 2)).length).toBe(2);
    expect((await c.spop(set, 2)).length).toBe(2);
    expect(await c.scard(set)).toBe(1);

    const st = k('st');
    const id1 = await c.xadd(st, '*', 'f', 'v1');
    const id2 = await c.xadd(st, 'MAXLEN', '~', 100, '*', 'f', 'v2');
    expect(await c.xlen(st)).toBe(2);
    expect(await c.xrange(st, '-', '+', 'COUNT', 1)).toEqual([{ id: id1, message: { f: 'v1' } }]);
    expect(await c.xrevrange(st, '+', '-', 'COUNT', 1)).toEqual([{ id: id2, message: { f: 'v2' } }]);
    expect(await c.xread('COUNT', 1, 'STREAMS', st, '0')).toEqual([{ name: st, messages: [{ id: id1, message: { f: 'v1' } }] }]);
    expect(await c.xgroupCreate(st, 'g', '0', 'MKSTREAM')).toBe('OK');
    expect(await c.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 1, 'STREAMS', st, '>')).toEqual([
      { name: st, messages: [{ id: id1, message: { f: 'v1' } }] },
    ]);
    expect(await c.xtrim(st, 'MAXLEN', '=', 1)).toBe(1);
    const fresh = k('st2');
    expect(await c.xgroupCreate(fresh, 'g', '$', 'MKSTREAM')).toBe('OK');
    expect(await c.xlen(fresh)).toBe(0);
  });

  it('eval with numkeys, blpop with several keys, info with several sections', async () => {
    const key = k('eval');
    expect(await c.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, key, 'v')).toBe('OK');
    expect(await c.get(key)).toBe('v');
    const a = k('{b}a');
    const b = k('{b}b');
    await c.rpush(b, 'x');
    expect(await c.blpop(a, b, 1)).toEqual({ key: b, element: 'x' });
    const info = await c.info('server', 'clients');
    expect(info).toMatch(/# Server/);
    expect(info).toMatch(/# Clients/);
  });
});

describe('issue 14 item 2: options and URLs', () => {
  const servers: StandaloneServer[] = [];
  const clients: Client[] = [];
  const track = (c: Client): Client => (clients.push(c), c);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('url is an option, merged with the others; explicit options win', async () => {
    const { port } = standaloneTarget();
    const viaUrl = track(createClient({ url: `redis://127.0.0.1:${port}/3` }));
    expect(await viaUrl.call('CLIENT', 'INFO')).toMatch(/ db=3 /);
    const merged = track(createClient({ url: `redis://127.0.0.1:${port}/3`, db: 4, clientName: 'merged' }));
    const info = (await merged.call('CLIENT', 'INFO')) as string;
    expect(info).toMatch(/ db=4 /);
    expect(info).toMatch(/ name=merged /);
    const query = track(createClient(`valkey://127.0.0.1:${port}?db=5&protocol=2`));
    expect(await query.call('CLIENT', 'INFO')).toMatch(/ db=5 /);
    expect(query.protocol).toBe(2);
  });

  it('an unknown option key is an InvalidOptionError naming it; ioredis and node-redis spellings work', async () => {
    expect(() => createClient({ prot: 3 } as never)).toThrow(expect.objectContaining({ code: 'SLOTLINE_OPTION', option: 'prot' }));
    expect(() => createClient({ reconnect: { maxDelayy: 5 } } as never)).toThrow(expect.objectContaining({ option: 'reconnect.maxDelayy' }));
    expect(() => createClient({ port: 1, connectTimout: 5 } as never)).toThrow(InvalidOptionError);
    const { port } = standaloneTarget();
    const aliased = track(createClient({ port, database: 6, connectionName: 'aliased' }));
    const info = (await aliased.call('CLIENT', 'INFO')) as string;
    expect(info).toMatch(/ db=6 /);
    expect(info).toMatch(/ name=aliased /);
    expect(() => createClient({ db: 1, database: 2 } as never)).toThrow(expect.objectContaining({ option: 'database' }));
  });

  it('connects over a unix socket: unix:///path and the path option', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slotline-unix-'));
    const socket = join(dir, 'redis.sock');
    const server = await startStandalone({ args: ['--unixsocket', socket, '--unixsocketperm', '700'] });
    servers.push(server);
    const viaUrl = track(createClient(`unix://${socket}?db=2`));
    const info = (await viaUrl.call('CLIENT', 'INFO')) as string;
    expect(info).toMatch(/ db=2 /);
    expect(info).toMatch(/redis\.sock/);
    const viaPath = track(createClient({ path: socket }));
    expect(await viaPath.ping()).toBe('PONG');
  });
});

describe('issue 14 item 3: a client that never gives up unless told to', () => {
  const servers: StandaloneServer[] = [];
  const clients: Client[] = [];
  const track = (c: Client): Client => (clients.push(c), c);
  afterAll(async () => {
    clients.forEach((c) => c.disconnect());
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('keeps reconnecting past the old 20-attempt limit and serves commands when the server is back', async () => {
    const server = await startStandalone();
    servers.push(server);
    const c = track(createClient({ port: server.port, reconnect: { initialDelay: 2, maxDelay: 5, jitter: 0 } }));
    await c.connect();
    let attempts = 0;
    c.on('reconnecting', ({ attempt }) => (attempts = attempt));
    await server.kill();
    await waitUntil('30 reconnect attempts', () => attempts >= 30, 10_000);
    expect(c.status).toBe('reconnecting');
    await server.restart();
    expect(await within(c.ping(), 10_000, 'ping after restart')).toBe('PONG');
  });

  it('reconnectStrategy(attempt, lastError) chooses the delay or stops with an Error', async () => {
    const server = await startStandalone();
    servers.push(server);
    const seen: Array<{ attempt: number; error: string | undefined }> = [];
    const c = track(
      createClient({
        port: server.port,
        reconnectStrategy: (attempt, lastError) => {
          seen.push({ attempt, error: lastError?.constructor.name });
          return attempt >= 3 ? new Error('enough') : 100;
        },
      }),
    );
    await c.connect();
    await server.kill();
    // Issued once the loss is seen, so the ping waits in the offline queue and is never written.
    await waitUntil('the loss is seen', () => c.status === 'reconnecting', 5000);
    const err = await within(c.ping(), 10_000, 'ping while giving up').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).reason).toBe('reconnect-gave-up');
    expect((err as Error).message).toMatch(/enough/);
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(seen[1]!.error).toBe('ConnectionError');
    expect(c.status).toBe('closed');
  });

  it('a command issued before connect() starts the connection (lazy connect)', async () => {
    const { host, port } = standaloneTarget();
    const c = track(createClient({ host, port }));
    expect(c.status).toBe('idle');
    expect(await within(c.ping(), 5000, 'ping before connect()')).toBe('PONG');
    expect(c.status).toBe('ready');
  });

  it('lazyConnect: false connects at creation', async () => {
    const { host, port } = standaloneTarget();
    const eager = track(createClient({ host, port, lazyConnect: false }));
    await within(once(eager, 'ready'), 5000, 'ready without connect()');
    expect(eager.status).toBe('ready');
  });

  it('a lazy first connection to a server that is down keeps trying: commands time out, then work once it is up', async () => {
    const server = await startStandalone();
    servers.push(server);
    await server.kill();
    const c = track(createClient({ port: server.port, commandTimeout: 500, reconnect: { initialDelay: 10, maxDelay: 50 } }));
    const err = await within(c.ping(), 5000, 'ping while the server is down').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(c.status).toBe('reconnecting');
    // connect() meanwhile is bounded by connectTimeout, and the client keeps trying.
    const short = track(createClient({ port: server.port, connectTimeout: 300, reconnect: { initialDelay: 10, maxDelay: 50 } }));
    void short.ping().catch(() => undefined);
    await waitUntil('reconnecting', () => short.status === 'reconnecting', 5000);
    const notYet = await within(short.connect(), 5000, 'connect() while reconnecting').catch((e: unknown) => e);
    expect(notYet).toBeInstanceOf(ConnectionError);
    expect(short.status).toBe('reconnecting');
    await server.restart();
    await waitUntil('ready after the server came up', () => c.status === 'ready', 10_000);
    expect(await c.ping()).toBe('PONG');
  });

  it('a lazy first connection the server refuses (wrong password) ends at once with ConnectionError', async () => {
    const server = await startStandalone({ password: 'right' });
    servers.push(server);
    const c = track(createClient({ port: server.port, password: 'wrong' }));
    const err = await within(c.ping(), 5000, 'ping with a wrong password').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).reason).toBe('handshake');
    expect(c.status).toBe('closed');
  });

  it('a blocking command gets its server timeout plus commandTimeout, not forever', async () => {
    const server = await startStandalone();
    servers.push(server);
    const c = track(createClient({ port: server.port, commandTimeout: 300 }));
    await c.connect();
    // A pooled connection exists before the server sleeps (opening one would wait for it).
    expect(await c.blpop(k('warm'), 0.01)).toBeNull();
    // The server sleeps 3 s: BLPOP's own 0.2 s timeout cannot fire, so the client's must.
    const sleeping = c.call('DEBUG', 'SLEEP', '3').catch(() => undefined);
    const started = Date.now();
    const err = await within(c.blpop(k('never'), 0.2), 5000, 'blpop during DEBUG SLEEP').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(2500);
    await sleeping;
  });
});

describe('issue 14 item 5: the client is an EventEmitter', () => {
  const servers: StandaloneServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('emits connect, ready, reconnecting { attempt, delay }, error and end; once and removeAllListeners work', async () => {
    const server = await startStandalone();
    servers.push(server);
    const c = createClient({ port: server.port, reconnect: { initialDelay: 20, maxDelay: 40, jitter: 0 } });
    expect(c).toBeInstanceOf(EventEmitter);
    const order: string[] = [];
    c.on('connect', () => order.push('connect'));
    c.on('ready', () => order.push('ready'));
    c.on('error', () => undefined);
    const ready = once(c, 'ready');
    void c.connect();
    await within(ready, 5000, 'events.once(client, ready)');
    expect(order).toEqual(['connect', 'ready']);
    const reconnecting = once(c, 'reconnecting');
    await server.kill();
    const [info] = (await within(reconnecting, 5000, 'reconnecting')) as [{ attempt: number; delay: number }];
    expect(info).toEqual({ attempt: 1, delay: 20 });
    // events.once rejects on 'error', which each refused reconnect attempt emits: a plain listener here.
    const again = new Promise<void>((resolve) => c.once('ready', resolve));
    await server.restart();
    await within(again, 10_000, 'ready again');
    expect(order.filter((e) => e === 'connect').length).toBe(2);
    c.removeAllListeners('ready');
    expect(c.listenerCount('ready')).toBe(0);
    const end = once(c, 'end');
    await c.close();
    await within(end, 5000, 'end');
  });
});
