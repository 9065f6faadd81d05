/**
 * Issue 13, Pub/Sub on one server (RESP3 on the shared connection, RESP2 on a connection of its
 * own): listeners and iterators, unsubscribe by name and by listener, ordinary commands checked
 * by value on a subscribed RESP3 client under a message flood, iterator end and overflow,
 * resubscription after CLIENT KILL and after a server restart, keyspace notifications.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { CommandRefusedError, createClient, PubSubOverflowError, type Client, type PubSubMessage } from '../../src/index.js';
import { standaloneTarget } from '../harness/context.js';
import { startStandalone, type StandaloneServer } from '../harness/servers.js';
import { waitUntil, within } from '../harness/wait.js';

const ch = (name: string): string => `pubsub:${randomUUID()}:${name}`;

const clients: Client[] = [];
const servers: StandaloneServer[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(servers.map((s) => s.stop()));
});

function client(options: Parameters<typeof createClient>[0] & object = {}): Client {
  const c = createClient({ ...standaloneTarget(), ...options });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

/** How many subscribers the server counts on `channel` (PUBSUB NUMSUB). */
async function numsub(c: Client, channel: string): Promise<number> {
  const r = (await c.call('PUBSUB', 'NUMSUB', channel)) as unknown[];
  return Number(r[1]);
}

/** CLIENT KILL ID for every connection named `name` (under RESP2: the subscriber's too). */
async function killByName(admin: Client, name: string): Promise<void> {
  const list = String(await admin.call('CLIENT', 'LIST'));
  const ids = list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /^id=(\d+)/.exec(line)![1]!);
  expect(ids.length).toBeGreaterThan(0);
  for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
}

describe.each([3, 2] as const)('Pub/Sub over RESP%i', (protocol) => {
  it('delivers channel, pattern and shard messages to their listeners as { channel, message, pattern? }', async () => {
    const sub = client({ protocol });
    const pub = client();
    const got: Array<[string, PubSubMessage]> = [];
    const c1 = ch('a');
    const prefix = ch('p');
    const s1 = ch('s');
    await sub.subscribe(c1, (m) => got.push(['channel', m]));
    await sub.psubscribe(`${prefix}.*`, (m) => got.push(['pattern', m]));
    await sub.ssubscribe(s1, (m) => got.push(['shard', m]));
    expect(await pub.publish(c1, 'one')).toBe(1);
    expect(await pub.publish(`${prefix}.x`, 'two')).toBe(1);
    expect(await pub.spublish(s1, 'three')).toBe(1);
    await waitUntil('three messages', () => got.length === 3);
    expect(got).toEqual([
      ['channel', { channel: c1, message: 'one' }],
      ['pattern', { channel: `${prefix}.x`, message: 'two', pattern: `${prefix}.*` }],
      ['shard', { channel: s1, message: 'three' }],
    ]);
  });

  it('hands Buffers when the client returns Buffers', async () => {
    const sub = client({ protocol, returnBuffers: true });
    const pub = client();
    const c1 = ch('buf');
    const got: PubSubMessage[] = [];
    await sub.subscribe(c1, (m) => got.push(m));
    const bytes = Buffer.from([0, 255, 1, 254]);
    await pub.publish(c1, bytes);
    await waitUntil('a message', () => got.length === 1);
    expect(Buffer.isBuffer(got[0]!.message)).toBe(true);
    expect(got[0]!.message).toEqual(bytes);
    expect(got[0]!.channel).toBe(c1);
  });

  it('unsubscribes by channel and by listener; the server drops a name once no listener is left', async () => {
    const sub = client({ protocol });
    const pub = client();
    const [a, b] = [ch('a'), ch('b')];
    const l1: PubSubMessage[] = [];
    const l2: PubSubMessage[] = [];
    const one = (m: PubSubMessage): number => l1.push(m);
    const two = (m: PubSubMessage): number => l2.push(m);
    await sub.subscribe([a, b], one);
    await sub.subscribe(a, two);
    await pub.publish(a, 'x');
    await waitUntil('both listeners', () => l1.length === 1 && l2.length === 1);
    await sub.unsubscribe(one); // by listener, everywhere
    expect(await numsub(pub, a)).toBe(1); // `two` still listens to a
    expect(await numsub(pub, b)).toBe(0);
    await pub.publish(a, 'y');
    await pub.publish(b, 'z');
    await waitUntil('two got y', () => l2.length === 2);
    expect(l1.map((m) => m.message)).toEqual(['x']);
    await sub.unsubscribe(a, two); // by channel and listener
    expect(await numsub(pub, a)).toBe(0);
    await sub.subscribe([a, b], one);
    await sub.unsubscribe([a]); // by channel: all its listeners
    expect(await numsub(pub, a)).toBe(0);
    expect(await numsub(pub, b)).toBe(1);
    await sub.unsubscribe(); // everything
    expect(await numsub(pub, b)).toBe(0);
  });

  it('ends an iterator cleanly on unsubscribe(), on the client unsubscribing its name, on break and on close()', async () => {
    const sub = client({ protocol });
    const pub = client();
    const c1 = ch('it');
    const it1 = sub.subscribe(c1);
    await it1.ready;
    await pub.publish(c1, 'm1');
    const first = await within(it1.next(), 2000, 'first message');
    expect(first).toEqual({ value: { channel: c1, message: 'm1' }, done: false });
    const pending = it1.next();
    await it1.unsubscribe();
    expect(await within(pending, 2000, 'end')).toEqual({ value: undefined, done: true });
    expect(await numsub(pub, c1)).toBe(0);

    const it2 = sub.subscribe(c1);
    await it2.ready;
    const loop = (async () => {
      const seen: string[] = [];
      for await (const m of it2) seen.push(String(m.message));
      return seen;
    })();
    await pub.publish(c1, 'a');
    await pub.publish(c1, 'b');
    await waitUntil('both buffered or read', async () => (await numsub(pub, c1)) === 1);
    await sub.unsubscribe(c1);
    expect(await within(loop, 2000, 'loop end')).toEqual(['a', 'b']);

    const it3 = sub.subscribe(c1);
    await it3.ready;
    await pub.publish(c1, 'once');
    for await (const m of it3) {
      expect(m.message).toBe('once');
      break; // leaving the loop unsubscribes
    }
    await waitUntil('server dropped the channel', async () => (await numsub(pub, c1)) === 0, 2000);

    const it4 = sub.subscribe(c1);
    await it4.ready;
    const waiting = it4.next();
    await sub.close();
    expect(await within(waiting, 2000, 'end on close')).toEqual({ value: undefined, done: true });
  });

  it('overflow: a full buffer loses the next message, keeps the buffered ones, then throws PubSubOverflowError', async () => {
    const sub = client({ protocol });
    const pub = client();
    const c1 = ch('ov');
    const it = sub.subscribe(c1, { bufferSize: 5 });
    await it.ready;
    for (let i = 0; i < 8; i++) await pub.publish(c1, String(i));
    await waitUntil('the subscription dropped after the overflow', async () => (await numsub(pub, c1)) === 0);
    const seen: string[] = [];
    const error = await (async () => {
      try {
        for await (const m of it) seen.push(String(m.message));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(seen).toEqual(['0', '1', '2', '3', '4']);
    expect(error).toBeInstanceOf(PubSubOverflowError);
    expect((error as PubSubOverflowError).limit).toBe(5);
  });

  it('restores every subscription after CLIENT KILL and says so with "resubscribed"', async () => {
    const name = `pubsub-kill-${randomUUID()}`;
    const sub = client({ protocol, clientName: name });
    const admin = client();
    const [a, p, s] = [ch('a'), ch('p'), ch('s')];
    const got: string[] = [];
    await sub.subscribe(a, (m) => got.push(`a:${m.message}`));
    await sub.psubscribe(`${p}*`, (m) => got.push(`p:${m.message}`));
    await sub.ssubscribe(s, (m) => got.push(`s:${m.message}`));
    const events: unknown[] = [];
    sub.on('resubscribed', (e) => events.push(e));
    await killByName(admin, name);
    await waitUntil('resubscribed', () => events.length >= 1, 10_000);
    expect(events[0]).toMatchObject({ channels: [a], patterns: [`${p}*`], shardChannels: [s] });
    await admin.publish(a, '1');
    await admin.publish(`${p}x`, '2');
    await admin.spublish(s, '3');
    await waitUntil('three messages after the kill', () => got.length === 3);
    expect(got.sort()).toEqual(['a:1', 'p:2', 's:3']);
  });

  it('psubscribe receives keyspace notifications', async () => {
    const sub = client({ protocol });
    const admin = client();
    const key = ch('key');
    const events: PubSubMessage[] = [];
    const before = (await admin.call('CONFIG', 'GET', 'notify-keyspace-events')) as unknown;
    const old = Array.isArray(before) ? String(before[1]) : String((before as Record<string, unknown>)['notify-keyspace-events'] ?? '');
    await admin.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    try {
      await sub.psubscribe(`__keyspace@0__:${key}`, (m) => events.push(m));
      await admin.set(key, 'v');
      await admin.del(key);
      await waitUntil('two notifications', () => events.length === 2);
      expect(events).toEqual([
        { channel: `__keyspace@0__:${key}`, message: 'set', pattern: `__keyspace@0__:${key}` },
        { channel: `__keyspace@0__:${key}`, message: 'del', pattern: `__keyspace@0__:${key}` },
      ]);
    } finally {
      await admin.call('CONFIG', 'SET', 'notify-keyspace-events', old);
    }
  });
});

describe('Pub/Sub on the shared RESP3 connection', () => {
  it('keeps ordinary commands right, checked by value, while a flood of messages arrives', async () => {
    const sub = client();
    const pub = client();
    const c1 = ch('flood');
    let received = 0;
    let wrong = 0;
    await sub.subscribe(c1, (m) => {
      if (m.message === `msg:${received}`) received++;
      else wrong++;
    });
    const MESSAGES = 4000;
    const publishing = (async () => {
      for (let i = 0; i < MESSAGES; i += 100) {
        const p = pub.pipeline();
        for (let j = i; j < i + 100; j++) p.publish(c1, `msg:${j}`);
        await p.exec();
      }
    })();
    const bad: string[] = [];
    const workers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 250; i++) {
        const key = `${c1}:${w}:${i}`;
        const value = randomUUID();
        await sub.set(key, value);
        const back = await sub.get(key);
        if (back !== value) bad.push(`${key}: ${String(back)}`);
        const echoed = await sub.call('ECHO', value);
        if (echoed !== value) bad.push(`echo ${String(echoed)}`);
        if (i % 50 === 0) await sub.del(key);
      }
    });
    await Promise.all([publishing, ...workers]);
    await waitUntil('every message', () => received === MESSAGES, 10_000);
    expect(bad).toEqual([]);
    expect(wrong).toBe(0);
  });

  it('still refuses a raw SUBSCRIBE through call(), pointing to subscribe()', async () => {
    const c = client();
    await expect(c.call('SUBSCRIBE', 'x')).rejects.toBeInstanceOf(CommandRefusedError);
    await expect(c.call('SUBSCRIBE', 'x')).rejects.toThrow(/client\.subscribe/);
  });

  it('refuses bad arguments with a typed error and keeps serving', async () => {
    const c = client();
    await expect(c.subscribe([], () => undefined)).rejects.toThrow(/at least one name/);
    await expect(c.subscribe(42 as never, () => undefined)).rejects.toThrow(/channel name/);
    expect(() => c.subscribe('x', { bufferSize: 0 })).toThrow(/bufferSize/);
    expect(await c.call('PING')).toBe('PONG');
  });
});

describe.each([3, 2] as const)('resubscription after a server restart (RESP%i, private server)', (protocol) => {
  it('receives again on every subscription once the server is back', async () => {
    const server = await startStandalone();
    servers.push(server);
    const sub = createClient({ host: server.host, port: server.port, protocol, reconnect: { initialDelay: 50, maxDelay: 200 } });
    sub.on('error', () => undefined);
    clients.push(sub);
    const c1 = ch('r');
    const got: string[] = [];
    await sub.subscribe(c1, (m) => got.push(String(m.message)));
    await sub.psubscribe(`${c1}:*`, (m) => got.push(`p:${String(m.message)}`));
    const events: Array<{ channels: readonly string[]; patterns: readonly string[] }> = [];
    sub.on('resubscribed', (e) => events.push(e));
    await server.restart();
    await waitUntil('resubscribed after the restart', () => events.length >= 1, 15_000);
    expect(events[0]).toMatchObject({ channels: [c1], patterns: [`${c1}:*`] });
    const pub = client({ host: server.host, port: server.port });
    await pub.publish(c1, 'back');
    await pub.publish(`${c1}:x`, 'too');
    await waitUntil('messages after the restart', () => got.length === 2);
    expect(got.sort()).toEqual(['back', 'p:too']);
  });
});
