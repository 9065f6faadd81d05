/**
 * Regression tests for the connection-layer defects of issue 11 (items 1, 4, 5, 9, 13, 15 and
 * the refused MULTI), each against a real server, through the fault proxy where the fault has
 * to be placed on the wire (a stalled link, a socket cut at HELLO). Tests that change a server
 * (ACL users) start their own; the others use the shared servers with unique keys.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  ConnectionError,
  createClient,
  createCluster,
  MultiRefusedError,
  PipelineError,
  TimeoutError,
  type Client,
} from '../../src/index.js';
import { clusterSeeds, standaloneTarget } from '../harness/context.js';
import { startProxy, type Proxy } from '../harness/proxy.js';
import { encodedLength, waitUntil, within } from '../harness/wait.js';
import { redisCli, startStandalone, type StandaloneServer } from '../harness/servers.js';

const k = (name: string): string => `connection-defects:${randomUUID()}:${name}`;

const settle = (p: Promise<unknown>): Promise<unknown> => p.then((v) => v, (e: unknown) => e);

const servers: StandaloneServer[] = [];
const proxies: Proxy[] = [];
const clients: Client[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.stop()));
});

function track(c: Client): Client {
  clients.push(c);
  return c;
}

async function proxyToShared(): Promise<Proxy> {
  const proxy = await startProxy({ target: standaloneTarget() });
  proxies.push(proxy);
  return proxy;
}

/** A client of the shared server through its own proxy, connected. */
async function throughProxy(options: Parameters<typeof createClient>[0] & object = {}): Promise<{ c: Client; proxy: Proxy }> {
  const proxy = await proxyToShared();
  const c = track(createClient({ ...options, port: proxy.port }));
  c.on('error', () => undefined);
  await c.connect();
  return { c, proxy };
}

describe('issue 11 item 1: a batch is admitted whole or not at all', () => {
  it('issue 11 item 1: a MULTI block past maxInFlight with onBackpressure fail is refused unwritten; later commands run', async () => {
    const { host, port } = standaloneTarget();
    const c = track(createClient({ host, port, maxInFlight: 5, onBackpressure: 'fail' }));
    await c.connect();
    const counter = k('counter');
    const key = k('plain');
    // Same tick: four GETs take four of the five places, the five-entry block cannot fit.
    const gets = [c.get(key), c.get(key), c.get(key), c.get(key)];
    const block = settle(c.multi().incr(counter).incr(counter).incr(counter).exec());
    expect(await Promise.all(gets)).toEqual([null, null, null, null]);
    const error = await block;
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).written).toBe(0);
    expect((error as PipelineError).cause).toBeInstanceOf(ConnectionError);
    expect(((error as PipelineError).cause as ConnectionError).reason).toBe('backpressure');
    // The connection is not left inside MULTI: every later command runs and gets its own reply.
    expect(await c.set(key, 'v')).toBe('OK');
    expect(await c.get(key)).toBe('v');
    expect(await c.get(counter)).toBeNull();
  });

  it('issue 11 item 1: with onBackpressure wait and commandTimeout, a waiting MULTI block times out whole, never split', async () => {
    const { c, proxy } = await throughProxy({ maxInFlight: 5, commandTimeout: 300 });
    const counter = k('counter');
    const key = k('plain');
    await c.set(key, 'v');
    proxy.pause();
    const gets = [c.get(key), c.get(key), c.get(key), c.get(key)].map(settle);
    await waitUntil('the four GETs are written', () => proxy.buffered >= 4 * encodedLength(['GET', key]));
    const block = settle(c.multi().incr(counter).incr(counter).incr(counter).exec());
    for (const g of await within(Promise.all(gets), 3000, 'GETs')) expect(g).toBeInstanceOf(TimeoutError);
    const error = await within(block, 3000, 'the block');
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).written).toBe(0);
    expect((error as PipelineError).cause).toBeInstanceOf(TimeoutError);
    proxy.resume();
    expect(await within(c.get(key), 3000, 'GET after')).toBe('v');
    expect(await within(c.set(key, 'w'), 3000, 'SET after')).toBe('OK');
    expect(await c.get(counter)).toBeNull();
  });

  it('issue 11 item 1: a MULTI block that does not fit the offline queue during the handshake is refused whole', async () => {
    const proxy = await proxyToShared();
    const c = track(createClient({ port: proxy.port, maxOfflineQueue: 3 }));
    const counter = k('counter');
    proxy.pause();
    const connecting = c.connect();
    await waitUntil('HELLO is written', () => proxy.buffered > 0);
    const block = settle(c.multi().incr(counter).incr(counter).incr(counter).exec());
    proxy.resume();
    await within(connecting, 3000, 'connect');
    const error = await within(block, 3000, 'the block');
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).written).toBe(0);
    expect(((error as PipelineError).cause as ConnectionError).reason).toBe('offline-queue-full');
    expect(await within(c.get(counter), 3000, 'GET after')).toBeNull();
    expect(await c.incr(counter)).toBe(1);
  });
});

describe('issue 11 item 15: the offline queue drains in order', () => {
  it('issue 11 item 15: with maxInFlight below the queue length, a later pipeline never overtakes an earlier command', async () => {
    const proxy = await proxyToShared();
    const c = track(createClient({ port: proxy.port, maxInFlight: 2 }));
    const list = k('list');
    proxy.pause();
    const connecting = c.connect();
    await waitUntil('HELLO is written', () => proxy.buffered > 0);
    const all = [c.rpush(list, 'a'), c.rpush(list, 'b'), c.rpush(list, 'c'), c.pipeline().rpush(list, 'd').rpush(list, 'e').exec(), c.rpush(list, 'f')];
    proxy.resume();
    await within(connecting, 3000, 'connect');
    expect(await within(Promise.all(all), 3000, 'queued commands')).toEqual([1, 2, 3, [4, 5], 6]);
    expect(await c.lrange(list, 0, -1)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});

describe('issue 11 item 4: one reconnect state machine', () => {
  it('issue 11 item 4: every reconnect dropped at HELLO: one dial per attempt, one socket at a time, then it gives up once', async () => {
    const maxAttempts = 6;
    const proxy = await proxyToShared();
    const c = track(createClient({ port: proxy.port, reconnect: { initialDelay: 20, maxDelay: 40, maxAttempts, jitter: 0 } }));
    c.on('error', () => undefined);
    const attempts: number[] = [];
    let ended = 0;
    let cuts = 0;
    let mostOpen = 0;
    let eventsAhead = 0;
    c.on('reconnecting', ({ attempt }) => {
      attempts.push(attempt);
      // Each attempt follows exactly one lost socket: never more events than cuts.
      if (attempts.length > cuts) eventsAhead++;
    });
    c.on('end', () => ended++);
    await c.connect();
    proxy.pause();
    cuts++;
    proxy.cutAll();
    const deadline = Date.now() + 5000;
    while (c.status !== 'closed' && Date.now() < deadline) {
      mostOpen = Math.max(mostOpen, proxy.connections);
      if (proxy.buffered > 0) {
        // A HELLO (or more) arrived on a new socket: drop it there.
        cuts++;
        proxy.cutAll();
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(c.status).toBe('closed');
    expect(attempts).toEqual(Array.from({ length: maxAttempts }, (_, i) => i + 1));
    expect(eventsAhead).toBe(0);
    expect(mostOpen).toBeLessThanOrEqual(1);
    // The first connection plus one dial per attempt.
    expect(proxy.accepted).toBe(1 + maxAttempts);
    expect(ended).toBe(1);
    await waitUntil('no socket left open', () => proxy.connections === 0, 2000);
  });
});

describe('issue 11 item 5: closed means closed', () => {
  it('issue 11 item 5: disconnect() while connect() is dialing: connect rejects, no ready, no socket', async () => {
    const proxy = await proxyToShared();
    const c = track(createClient({ port: proxy.port }));
    const events: string[] = [];
    c.on('ready', () => events.push('ready'));
    c.on('end', () => events.push('end'));
    const connecting = settle(c.connect());
    c.disconnect();
    const error = await within(connecting, 3000, 'connect');
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).reason).toBe('client-closed');
    // Long enough for a handshake on a local socket to have finished if it had been started.
    await new Promise((r) => setTimeout(r, 200));
    expect(c.status).toBe('closed');
    expect(events).toEqual(['end']);
    expect(proxy.connections).toBe(0);

    // The same once the socket is open and HELLO is on its way.
    proxy.pause();
    const d = track(createClient({ port: proxy.port }));
    const dEvents: string[] = [];
    d.on('ready', () => dEvents.push('ready'));
    d.on('end', () => dEvents.push('end'));
    const dConnecting = settle(d.connect());
    await waitUntil('HELLO is written', () => proxy.buffered > 0);
    d.disconnect();
    proxy.resume();
    expect(await within(dConnecting, 3000, 'connect')).toBeInstanceOf(ConnectionError);
    await waitUntil('no socket left open', () => proxy.connections === 0, 2000);
    expect(d.status).toBe('closed');
    expect(dEvents).toEqual(['end']);
  });

  it('issue 11 item 5: disconnect() during a reconnect handshake: no ready after end, no reconnect, no socket', async () => {
    const { c, proxy } = await throughProxy({ reconnect: { initialDelay: 10, maxDelay: 20, maxAttempts: 50, jitter: 0 } });
    const events: string[] = [];
    c.on('ready', () => events.push('ready'));
    c.on('end', () => events.push('end'));
    proxy.pause();
    proxy.cutAll();
    await waitUntil('the reconnect HELLO is written', () => proxy.buffered > 0);
    const pending = settle(c.ping());
    c.disconnect();
    proxy.resume();
    const error = await within(pending, 3000, 'a queued command');
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).reason).toBe('client-closed');
    await waitUntil('no socket left open', () => proxy.connections === 0, 2000);
    const accepted = proxy.accepted;
    // Several reconnect delays: a second chain would have dialed again by now.
    await new Promise((r) => setTimeout(r, 200));
    expect(proxy.accepted).toBe(accepted);
    expect(c.status).toBe('closed');
    expect(events).toEqual(['end']);
  });

  it('issue 11 item 5: cluster disconnect() while node connections are opening leaves no connection behind', async () => {
    const name = `defects-${randomUUID().slice(0, 8)}`;
    const seeds = clusterSeeds();
    const cluster = createCluster({ nodes: seeds, clientName: name });
    cluster.on('error', () => undefined);
    await cluster.connect();
    // One command per primary opens each node's shared connection; disconnect while they dial.
    const pending = Array.from({ length: 12 }, (_, i) => settle(cluster.get(k(`spread-${i}`))));
    cluster.disconnect();
    await within(Promise.all(pending), 3000, 'commands after disconnect');
    const countOurs = async (): Promise<number> => {
      let n = 0;
      for (const s of seeds) {
        const list = await redisCli(s.port, 'CLIENT', 'LIST');
        n += list.split('\n').filter((line) => line.includes(`name=${name} `)).length;
      }
      return n;
    };
    await waitUntil('no connection of ours on any node', async () => (await countOurs()) === 0, 3000);
    await new Promise((r) => setTimeout(r, 200));
    expect(await countOurs()).toBe(0);
  });
});

describe('issue 11 item 9: close() and disconnect() never hang', () => {
  it('issue 11 item 9: close() with a blpop(k, 0) pending settles both within the bound', async () => {
    const { host, port } = standaloneTarget();
    const c = track(createClient({ host, port, connectTimeout: 500 }));
    await c.connect();
    const popped = settle(c.blpop(k('never'), 0));
    // The blocking command holds a pooled connection once the pool has one borrowed.
    await new Promise((r) => setTimeout(r, 100));
    await within(c.close(), 3000, 'close()');
    const error = await within(popped, 1000, 'blpop after close');
    expect(error).toBeInstanceOf(ConnectionError);
  });

  it('issue 11 item 9: disconnect() settles a pending blpop(k, 0)', async () => {
    const { host, port } = standaloneTarget();
    const c = track(createClient({ host, port }));
    await c.connect();
    const popped = settle(c.blpop(k('never'), 0));
    await new Promise((r) => setTimeout(r, 100));
    c.disconnect();
    const error = await within(popped, 2000, 'blpop after disconnect');
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).reason).toBe('client-closed');
  });

  it('issue 11 item 9: close() on a server that never answers QUIT ends within the bound', async () => {
    const { c, proxy } = await throughProxy({ connectTimeout: 300 });
    proxy.pause();
    const pending = settle(c.ping());
    await within(c.close(), 3000, 'close()');
    const error = await within(pending, 1000, 'a command pending at close');
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).written).toBe(true);
    expect(c.status).toBe('closed');
  });
});

describe('issue 11 item 13: user listeners never break the connection', () => {
  it('issue 11 item 13: a throwing push listener neither resets the connection nor fails in-flight commands', async () => {
    const { host, port } = standaloneTarget();
    const c = track(createClient({ host, port }));
    const errors: Error[] = [];
    const boom = new Error('listener bug');
    c.on('error', (e) => errors.push(e));
    c.on('push', () => {
      throw boom;
    });
    let reconnects = 0;
    c.on('reconnecting', () => reconnects++);
    await c.connect();
    const id = await c.call('CLIENT', 'ID');
    const replies = await within(Promise.all([c.call('DEBUG', 'PROTOCOL', 'push'), c.echo('one'), c.echo('two')]), 3000, 'commands around the push');
    expect(replies[1]).toBe('one');
    expect(replies[2]).toBe('two');
    expect(errors).toContain(boom);
    expect(reconnects).toBe(0);
    expect(await c.call('CLIENT', 'ID')).toBe(id);
  });
});

describe('issue 11: a refused MULTI', () => {
  it('issue 11 MULTI refused: the commands that then ran on their own are reported, not "nothing ran"', async () => {
    const server = await startStandalone();
    servers.push(server);
    expect(await redisCli(server.port, 'ACL', 'SETUSER', 'nomulti', 'on', '>pw', '~*', '&*', '+@all', '-multi')).toBe('OK');
    const c = track(createClient({ port: server.port, username: 'nomulti', password: 'pw' }));
    await c.connect();
    const counter = k('counter');
    const error = await settle(c.multi().incr(counter).incr(counter).get(counter).exec());
    expect(error).toBeInstanceOf(MultiRefusedError);
    const refused = error as MultiRefusedError;
    expect(refused.command).toBe('MULTI');
    expect(refused.kind).toBe('auth');
    expect(refused.message).toMatch(/NOPERM/);
    expect(refused.message).toMatch(/not as a transaction|one by one/);
    expect(refused.results).toEqual([1, 2, '2']);
    expect(await c.get(counter)).toBe('2');
  });
});
