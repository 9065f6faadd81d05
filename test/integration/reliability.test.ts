/**
 * Issue 12 (reliability), items 1, 5 and 6, against real servers through the fault proxy:
 * half-open connections detected and replaced (the proxy's blackhole), a pipeline meeting a lost
 * connection settling every entry (the reply stream cut at a byte), per-command cancellation.
 * Every reply is checked by value: each command carries a unique key, value or ECHO id.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { AbortError, ConnectionError, createClient, createCluster, PipelineError, type Client, type Cluster } from '../../src/index.js';
import { clusterSeeds, standaloneTarget } from '../harness/context.js';
import { startProxy, type Proxy } from '../harness/proxy.js';
import { encodedLength, waitUntil, within } from '../harness/wait.js';
import { redisCli } from '../harness/servers.js';

const k = (name: string): string => `reliability:${randomUUID()}:${name}`;

const settle = (p: Promise<unknown>): Promise<unknown> => p.then((v) => v, (e: unknown) => e);

const proxies: Proxy[] = [];
const clients: Array<Client | Cluster> = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(proxies.map((p) => p.close()));
});

/** A client of the shared server through its own proxy, connected. */
async function throughProxy(options: Parameters<typeof createClient>[0] & object = {}): Promise<{ c: Client; proxy: Proxy }> {
  const proxy = await startProxy({ target: standaloneTarget() });
  proxies.push(proxy);
  const c = createClient({ ...options, port: proxy.port });
  clients.push(c);
  c.on('error', () => undefined);
  await c.connect();
  return { c, proxy };
}

/** Bytes of a RESP bulk-string reply carrying `s`. */
const bulkLength = (s: string): number => `$${Buffer.byteLength(s)}\r\n`.length + Buffer.byteLength(s) + 2;

describe('issue 12 item 1: a half-open connection is detected and replaced', () => {
  it('issue 12 item 1: a blackholed connection fails its written commands (written: true) and a new one serves within the bound', async () => {
    const interval = 200;
    const { c, proxy } = await throughProxy({ healthCheckInterval: interval, reconnect: { initialDelay: 20, maxDelay: 100, jitter: 0 } });
    const key = k('value');
    await c.set(key, 'before');
    const first = proxy.openConnections[0]!;
    const started = Date.now();
    proxy.blackhole({ connection: first });
    const ids = Array.from({ length: 20 }, (_, i) => `id-${i}-${randomUUID()}`);
    const lost = ids.map((id) => settle(c.echo(id)));
    // Detection: two silent intervals after the write, at most three; the bound leaves room for a loaded machine.
    for (const r of await within(Promise.all(lost), 6 * interval + 1000, 'commands on the blackholed connection')) {
      expect(r).toBeInstanceOf(ConnectionError);
      expect((r as ConnectionError).written).toBe(true);
      expect((r as ConnectionError).reason).toBe('unresponsive');
    }
    // Served again, by value, on a new connection.
    await waitUntil('the client is ready on a new connection', () => c.status === 'ready' && proxy.accepted >= 2, 3000);
    expect(await within(c.get(key), 1000, 'GET after recovery')).toBe('before');
    const recovered = Date.now() - started;
    const echoes = await within(Promise.all(ids.map((id) => c.echo(id))), 2000, 'ECHO after recovery');
    expect(echoes).toEqual(ids);
    expect(proxy.accepted).toBe(2);
    // The figure: blackhole to served again, 2-3 intervals plus a reconnect.
    console.log(`[issue 12 item 1] half-open detected and served again after ${recovered} ms (healthCheckInterval ${interval} ms)`);
    expect(recovered).toBeLessThan(4 * interval + 1000);
  });

  it('issue 12 item 1: an idle connection and a command slower than one interval are not mistaken for half-open', async () => {
    const interval = 300;
    const { c, proxy } = await throughProxy({ healthCheckInterval: interval });
    let reconnects = 0;
    c.on('reconnecting', () => reconnects++);
    // Idle for several intervals: nothing is in flight, nothing is checked.
    await new Promise((r) => setTimeout(r, 3 * interval));
    // Silent for more than one interval, less than two: a probe PING at most, no reconnect.
    expect(await within(c.call('DEBUG', 'SLEEP', '0.4'), 3000, 'DEBUG SLEEP')).toBe('OK');
    expect(await c.echo('after')).toBe('after');
    expect(reconnects).toBe(0);
    expect(proxy.accepted).toBe(1);
  });

  it('issue 12 item 1: pooled connections (blocking commands) are never health-checked', async () => {
    const { c, proxy } = await throughProxy({ healthCheckInterval: 100 });
    const list = k('list');
    const popped = c.blpop(list, 0);
    await waitUntil('the BLPOP connection is open', () => proxy.accepted === 2);
    // Long enough for two silent health-check intervals.
    await new Promise((r) => setTimeout(r, 500));
    await c.rpush(list, 'x');
    expect(await within(popped, 2000, 'BLPOP')).toEqual({ key: list, element: 'x' });
    expect(proxy.accepted).toBe(2);
  });
});

describe('issue 12 item 1: a half-open node connection in a cluster', () => {
  it('issue 12 item 1: cluster: every node blackholed: calls settle, the topology is refreshed, every key is served again by value', async () => {
    const interval = 200;
    // A proxy in front of every node; natMap sends the cluster's announced addresses through them.
    const natMap: Record<string, { host: string; port: number }> = {};
    const nodeProxies: Proxy[] = [];
    for (const seed of clusterSeeds()) {
      const proxy = await startProxy({ target: seed });
      proxies.push(proxy);
      nodeProxies.push(proxy);
      natMap[`${seed.host}:${seed.port}`] = { host: proxy.host, port: proxy.port };
    }
    const cluster = createCluster({
      nodes: nodeProxies.map((p) => ({ host: p.host, port: p.port })),
      natMap,
      healthCheckInterval: interval,
      reconnect: { initialDelay: 20, maxDelay: 100, jitter: 0 },
    });
    clients.push(cluster);
    cluster.on('error', () => undefined);
    await cluster.connect();
    const keys = Array.from({ length: 30 }, (_, i) => k(`c${i}`));
    for (const key of keys) await cluster.set(key, key);
    const refreshes = cluster.stats.refreshes;
    const started = Date.now();
    // Every connection open now goes silent (both directions); connections opened later work.
    for (const p of nodeProxies) p.blackhole();
    const during = await within(Promise.all(keys.map((key) => settle(cluster.get(key)))), 6 * interval + 3000, 'GETs on blackholed nodes');
    for (let i = 0; i < keys.length; i++) {
      // A read may be retried on the new connection; otherwise the connection's error says why.
      if (during[i] !== keys[i]) expect(during[i]).toBeInstanceOf(ConnectionError);
    }
    await waitUntil('a topology refresh after the replaced connections', () => cluster.stats.refreshes > refreshes, 3000);
    const after = await within(Promise.all(keys.map((key) => cluster.get(key))), 3000, 'GETs after recovery');
    expect(after).toEqual(keys);
    console.log(`[issue 12 item 1] cluster: every node half-open, all keys served again after ${Date.now() - started} ms (healthCheckInterval ${interval} ms)`);
  });
});

describe('issue 12 item 5: a pipeline that meets a lost connection settles every entry', () => {
  it('issue 12 item 5: replies cut mid-pipeline: arrived replies keep their values, the rest ConnectionError written: true', async () => {
    const { c, proxy } = await throughProxy();
    const n = 20;
    const ids = Array.from({ length: n }, (_, i) => `id-${i}-${randomUUID()}`);
    // Cut the reply stream three bytes into the eleventh reply.
    const keep = 10;
    let offset = 0;
    for (let i = 0; i < keep; i++) offset += bulkLength(ids[i]!);
    proxy.cutAfter(offset + 3, { direction: 'down' });
    const p = c.pipeline();
    for (const id of ids) p.echo(id);
    const results = (await within(settle(p.exec()), 3000, 'the cut pipeline')) as unknown[];
    expect(Array.isArray(results)).toBe(true);
    expect(results.slice(0, keep)).toEqual(ids.slice(0, keep));
    for (const r of results.slice(keep)) {
      expect(r).toBeInstanceOf(ConnectionError);
      expect((r as ConnectionError).written).toBe(true);
    }
    // The connection comes back; the next pipeline gets its own replies.
    const again = await within(c.pipeline().echo('a').echo('b').exec(), 3000, 'the next pipeline');
    expect(again).toEqual(['a', 'b']);
  });

  it('issue 12 item 5: writes cut mid-pipeline were applied on the server exactly as `written` says', async () => {
    const { c, proxy } = await throughProxy();
    const keys = Array.from({ length: 12 }, (_, i) => k(`w${i}`));
    // '+OK\r\n' is five bytes: cut inside the seventh reply.
    proxy.cutAfter(6 * 5 + 2, { direction: 'down' });
    const p = c.pipeline();
    for (const key of keys) p.set(key, key);
    const results = (await within(settle(p.exec()), 3000, 'the cut pipeline')) as unknown[];
    expect(results.slice(0, 6)).toEqual(Array(6).fill('OK'));
    for (const r of results.slice(6)) expect((r as ConnectionError).written).toBe(true);
    // They were written, so the server ran them: nothing was re-sent (each ran once).
    expect(await within(c.mget(keys), 3000, 'MGET after')).toEqual(keys);
  });

  it('issue 12 item 5: a sliced pipeline cut mid-reply: every entry is its own value or a ConnectionError saying whether it was written', async () => {
    const { c, proxy } = await throughProxy({ maxBatch: 5 });
    const ids = Array.from({ length: 30 }, (_, i) => `id-${i}-${randomUUID()}`);
    let offset = 0;
    for (let i = 0; i < 5; i++) offset += bulkLength(ids[i]!);
    // The first slice is answered, the cut falls three bytes into the second slice's replies.
    proxy.cutAfter(offset + 3, { direction: 'down' });
    const p = c.pipeline();
    for (const id of ids) p.echo(id);
    const results = (await within(p.exec(), 3000, 'the cut pipeline')) as unknown[];
    expect(results.slice(0, 5)).toEqual(ids.slice(0, 5));
    for (const r of results.slice(5, 10)) expect((r as ConnectionError).written).toBe(true);
    let notSent = 0;
    for (let i = 10; i < ids.length; i++) {
      const r = results[i];
      if (r === ids[i]) continue;
      expect(r).toBeInstanceOf(ConnectionError);
      if (!(r as ConnectionError).written) notSent++;
    }
    // Slices issued after the loss was known were not sent at all.
    expect(notSent).toBeGreaterThan(0);
    expect(await within(c.echo('next'), 3000, 'the next command')).toBe('next');
  });

  it('issue 12 item 5: a MULTI block cut mid-reply stays all-or-nothing (PipelineError, every entry written)', async () => {
    const { c, proxy } = await throughProxy();
    const counter = k('counter');
    // '+OK\r\n' (MULTI) then '+QUEUED\r\n' twice, then cut inside the EXEC reply.
    proxy.cutAfter(5 + 9 + 9 + 2, { direction: 'down' });
    const error = await within(settle(c.multi().incr(counter).incr(counter).exec()), 3000, 'the cut block');
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).written).toBeGreaterThan(0);
    expect(await within(c.get(counter), 3000, 'GET after')).toBe('2');
  });
});

describe('issue 12 item 6: per-command cancellation with an AbortSignal', () => {
  it('issue 12 item 6: a command aborted before it was written is never sent and rejects with AbortError', async () => {
    const { c } = await throughProxy();
    const counter = k('counter');
    const already = new AbortController();
    already.abort();
    const e1 = await settle(c.withOptions({ signal: already.signal }).incr(counter));
    expect(e1).toBeInstanceOf(AbortError);
    expect((e1 as AbortError).written).toBe(false);
    expect((e1 as AbortError).code).toBe('SLOTLINE_ABORTED');
    // Issued, then aborted in the same tick: still in the write list, never written.
    const ac = new AbortController();
    const pending = settle(c.withOptions({ signal: ac.signal }).incr(counter));
    const sibling = c.incr(counter);
    ac.abort();
    const e2 = await pending;
    expect(e2).toBeInstanceOf(AbortError);
    expect((e2 as AbortError).written).toBe(false);
    expect(await sibling).toBe(1);
    expect(await c.get(counter)).toBe('1');
    // call() takes the signal too.
    expect(await settle(c.withOptions({ signal: already.signal }).call('INCR', counter))).toBeInstanceOf(AbortError);
    expect(await c.get(counter)).toBe('1');
  });

  it('issue 12 item 6: a written command aborted rejects at once; its late reply is dropped, never given to another command (under load, by value)', async () => {
    const { c, proxy } = await throughProxy();
    proxy.setDelay(150);
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const controllers: AbortController[] = [];
      const calls: Array<{ id: string; aborted: boolean; result: Promise<unknown> }> = [];
      for (let i = 0; i < 200; i++) {
        const id = `r${round}-${i}-${randomUUID()}`;
        if (i % 3 === 0) {
          const ac = new AbortController();
          controllers.push(ac);
          calls.push({ id, aborted: true, result: settle(c.withOptions({ signal: ac.signal }).echo(id)) });
        } else {
          calls.push({ id, aborted: false, result: settle(c.echo(id)) });
        }
      }
      await waitUntil('the round is written', () => proxy.buffered >= 200 * encodedLength(['ECHO', calls[0]!.id]), 2000);
      const t0 = Date.now();
      for (const ac of controllers) ac.abort();
      for (const call of calls.filter((x) => x.aborted)) {
        const e = await call.result;
        expect(e).toBeInstanceOf(AbortError);
        expect((e as AbortError).written).toBe(true);
      }
      // At once: well before the delayed replies could have arrived.
      expect(Date.now() - t0).toBeLessThan(100);
      for (const call of calls.filter((x) => !x.aborted)) expect(await within(call.result, 3000, 'ECHO')).toBe(call.id);
    }
    proxy.setDelay(0);
    expect(await c.echo('last')).toBe('last');
  });

  it('issue 12 item 6: pipeline and MULTI exec({ signal }): aborted before written never sent; after, rejected and late replies dropped', async () => {
    const { c, proxy } = await throughProxy();
    const counter = k('counter');
    const already = new AbortController();
    already.abort();
    const e1 = await settle(c.pipeline().incr(counter).incr(counter).exec({ signal: already.signal }));
    expect(e1).toBeInstanceOf(AbortError);
    expect((e1 as AbortError).written).toBe(false);
    const e2 = await settle(c.multi().incr(counter).exec({ signal: already.signal }));
    expect(e2).toBeInstanceOf(AbortError);
    expect(await c.get(counter)).toBeNull();

    proxy.setDelay(150);
    const ac = new AbortController();
    const block = settle(c.multi().incr(counter).incr(counter).exec({ signal: ac.signal }));
    const pipe = settle(c.pipeline().incr(counter).echo('p').exec({ signal: ac.signal }));
    const next = c.echo('next');
    await waitUntil('both batches are written', () => proxy.buffered > 0, 2000);
    await new Promise((r) => setImmediate(r));
    ac.abort();
    const eb = await within(block, 100, 'aborted block');
    expect(eb).toBeInstanceOf(AbortError);
    expect((eb as AbortError).written).toBe(true);
    expect(await within(pipe, 100, 'aborted pipeline')).toBeInstanceOf(AbortError);
    expect(await within(next, 3000, 'the command after')).toBe('next');
    proxy.setDelay(0);
    // The written block ran whole, the pipeline's INCR too: 3.
    expect(await c.get(counter)).toBe('3');
  });
  it('issue 12 item 6: aborted while held (maxInFlight reached, or the offline queue while reconnecting): never sent', async () => {
    const { c, proxy } = await throughProxy({ maxInFlight: 2, reconnect: { initialDelay: 20, maxDelay: 50, jitter: 0 } });
    const counter = k('counter');
    proxy.setDelay(100);
    const ahead = [c.echo('a'), c.echo('b')];
    const ac = new AbortController();
    const held = settle(c.withOptions({ signal: ac.signal }).incr(counter));
    await waitUntil('the two ahead are written', () => proxy.buffered > 0, 2000);
    ac.abort();
    const e = await within(held, 100, 'the held command');
    expect(e).toBeInstanceOf(AbortError);
    expect((e as AbortError).written).toBe(false);
    expect(await Promise.all(ahead)).toEqual(['a', 'b']);
    proxy.setDelay(0);
    // The offline queue: the link is down while the command waits for a new connection.
    proxy.pause();
    proxy.cutAll();
    await waitUntil('reconnecting', () => c.status !== 'ready', 2000);
    const ac2 = new AbortController();
    const offline = settle(c.withOptions({ signal: ac2.signal }).incr(counter));
    const after = c.echo('after');
    ac2.abort();
    const e2 = await within(offline, 100, 'the offline command');
    expect((e2 as AbortError).written).toBe(false);
    proxy.resume();
    expect(await within(after, 3000, 'the command after')).toBe('after');
    expect(await c.get(counter)).toBeNull();
  });

  it('issue 12 item 6: an aborted blocking command gives its pooled connection up: no BLPOP stays blocked to take a later element', async () => {
    const name = `abort-${randomUUID().slice(0, 8)}`;
    const { c } = await throughProxy({ clientName: name });
    const blocked = async (): Promise<number> =>
      (await redisCli(standaloneTarget().port, 'CLIENT', 'LIST')).split('\n').filter((l) => l.includes(`name=${name} `) && l.includes('cmd=blpop')).length;
    const list = k('list');
    const ac = new AbortController();
    const popped = settle(c.withOptions({ signal: ac.signal }).blpop(list, 0));
    await waitUntil('the BLPOP is blocked on the server', async () => (await blocked()) === 1, 3000);
    ac.abort();
    const e = await within(popped, 100, 'the aborted BLPOP');
    expect(e).toBeInstanceOf(AbortError);
    expect((e as AbortError).written).toBe(true);
    // Its connection is closed, so the server lets it go; nothing is left to take the next element.
    await waitUntil('the aborted BLPOP is gone from the server', async () => (await blocked()) === 0, 3000);
    await c.rpush(list, 'kept');
    expect(await within(c.blpop(list, 1), 3000, 'BLPOP after')).toEqual({ key: list, element: 'kept' });
  });
  it('issue 12 item 6: cluster exec({ signal }): aborted before exec never sent; aborted after, rejected at once', async () => {
    const cluster = createCluster({ nodes: clusterSeeds() });
    clients.push(cluster);
    await cluster.connect();
    const counter = k('{c}counter');
    const already = new AbortController();
    already.abort();
    const e1 = await settle(cluster.pipeline().incr(counter).exec({ signal: already.signal }));
    expect((e1 as AbortError).written).toBe(false);
    const e2 = await settle(cluster.multi().incr(counter).exec({ signal: already.signal }));
    expect((e2 as AbortError).written).toBe(false);
    expect(await cluster.get(counter)).toBeNull();
    const ac = new AbortController();
    const slow = settle(cluster.pipeline().echo('x').exec({ signal: ac.signal }));
    ac.abort();
    const e3 = await within(slow, 100, 'the aborted cluster pipeline');
    expect(e3).toBeInstanceOf(AbortError);
    expect((e3 as AbortError).written).toBe(true);
    expect(await cluster.incr(counter)).toBe(1);
  });
});
