/**
 * Issue 14 item 7 on real servers: a span-building subscriber on slotline's tracing channels.
 *
 * No OpenTelemetry package subscribes to a Redis client's diagnostics_channel today (the OTel
 * Redis instrumentations patch node-redis / ioredis methods; the diagnostics_channel subscribers
 * that exist are Sentry's and Datadog's, for the `node-redis:*` / `ioredis:*` channels). So the
 * subscriber here is written as those are: one span per traced operation, created at `start`,
 * ended at `asyncEnd`, failed at `error`, its attributes the OpenTelemetry database semantic
 * conventions read straight from the context fields (no adapter): `db.operation.name` ←
 * command, `db.query.text` ← statement, `db.namespace` ← database, `server.address` /
 * `server.port` ← serverAddress / serverPort, `db.operation.batch.size` ← batchSize.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { tracingChannel, type TracingChannelSubscribers } from 'node:diagnostics_channel';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createClient, createCluster, type Client, type Cluster } from '../../src/index.js';
import { clusterSeeds, standaloneTarget } from '../harness/context.js';
import { startStandalone, type StandaloneServer } from '../harness/servers.js';

type Attributes = Record<string, string | number>;
interface Span {
  name: string;
  attributes: Attributes;
  parent: Span | undefined;
  status: 'unset' | 'ok' | 'error';
  error?: unknown;
  ended: boolean;
}
type Ctx = Record<string, unknown>;

/** The subscriber: slotline channel name in, spans with OTel attribute names out. */
function spanRecorder(): { spans: Span[]; active: AsyncLocalStorage<Span>; stop: () => void } {
  const spans: Span[] = [];
  const active = new AsyncLocalStorage<Span>();
  const bySpan = new WeakMap<object, Span>();
  const stops: Array<() => void> = [];
  const attrsOf = (c: Ctx): Attributes => {
    const a: Attributes = { 'db.system.name': 'redis' };
    if (typeof c['command'] === 'string') a['db.operation.name'] = c['command'];
    if (typeof c['statement'] === 'string') a['db.query.text'] = c['statement'];
    if (typeof c['database'] === 'number') a['db.namespace'] = String(c['database']);
    if (typeof c['serverAddress'] === 'string') a['server.address'] = c['serverAddress'];
    if (typeof c['serverPort'] === 'number') a['server.port'] = c['serverPort'];
    if (typeof c['batchSize'] === 'number' && c['batchSize'] > 1) a['db.operation.batch.size'] = c['batchSize'];
    return a;
  };
  const naming: Record<string, (c: Ctx) => string> = {
    'slotline:command': (c) => String(c['command']),
    'slotline:batch': (c) => String(c['batchMode']),
    'slotline:connect': () => 'connect',
  };
  for (const [channelName, nameOf] of Object.entries(naming)) {
    const tc = tracingChannel<unknown, Ctx>(channelName);
    // As real subscribers do: the span is made where the store is bound, so its parent is the
    // span current at the call, and it is current for whatever the traced operation starts.
    tc.start.bindStore(active, (c) => {
      const span: Span = { name: nameOf(c), attributes: attrsOf(c), parent: active.getStore(), status: 'unset', ended: false };
      bySpan.set(c, span);
      spans.push(span);
      return span;
    });
    const subscribers: TracingChannelSubscribers<Ctx> = {
      start: () => {},
      end: () => {},
      asyncStart: () => {},
      asyncEnd: (c) => {
        const span = bySpan.get(c)!;
        if (span.status === 'unset') span.status = 'ok';
        span.ended = true;
      },
      error: (c) => {
        const span = bySpan.get(c)!;
        span.status = 'error';
        span.error = c['error'];
        span.ended = true;
      },
    };
    tc.subscribe(subscribers);
    stops.push(() => {
      tc.unsubscribe(subscribers);
      tc.start.unbindStore(active);
    });
  }
  return { spans, active, stop: () => stops.forEach((s) => s()) };
}

const k = (name: string): string => `tracing-otel:${randomUUID()}:${name}`;
let recorder: ReturnType<typeof spanRecorder> | undefined;
const closers: Array<() => Promise<unknown>> = [];
afterEach(() => {
  recorder?.stop();
  recorder = undefined;
});
afterAll(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A connected client of the shared server, closed after the file. */
async function standaloneClient(): Promise<{ c: Client; port: number }> {
  const { host, port } = standaloneTarget();
  const c = createClient({ host, port });
  closers.push(() => c.close());
  await c.connect();
  return { c, port };
}

describe('OpenTelemetry-shaped spans from slotline:* (standalone)', () => {
  it('a command span: operation, redacted query text, database index, server address and port', async () => {
    const { host, port } = standaloneTarget();
    recorder = spanRecorder();
    const c: Client = createClient({ host, port, db: 3 });
    closers.push(() => c.close());
    await c.connect();
    const connect = recorder.spans.find((s) => s.name === 'connect');
    expect(connect).toMatchObject({ status: 'ok', attributes: { 'server.address': host, 'server.port': port } });

    const key = k('str');
    const hash = k('hash');
    recorder.spans.length = 0;
    await c.set(key, 'the-value', 'EX', 60);
    await c.hset(hash, 'field', 'hash-value');
    expect(await c.get(key)).toBe('the-value');
    const rejected = await c.lpop(key).then(() => 'resolved', (e: unknown) => e);
    await c.del(key, hash);

    const [set, hset, get, lpop, del] = recorder.spans;
    const peer = { 'db.system.name': 'redis', 'db.namespace': '3', 'server.address': host, 'server.port': port };
    expect(set).toEqual({ name: 'SET', parent: undefined, status: 'ok', ended: true, attributes: { ...peer, 'db.operation.name': 'SET', 'db.query.text': `SET ${key} [3 other arguments]` } });
    expect(hset!.attributes['db.query.text']).toBe(`HSET ${hash} field [1 other arguments]`);
    expect(get!.attributes).toMatchObject({ 'db.operation.name': 'GET', 'db.query.text': `GET ${key}` });
    expect(lpop).toMatchObject({ name: 'LPOP', status: 'error' });
    expect(lpop!.error).toBe(rejected);
    expect(del!.attributes['db.query.text']).toBe(`DEL ${key} ${hash}`);
    expect(JSON.stringify(recorder.spans.map((s) => s.attributes))).not.toMatch(/the-value|hash-value/);
  });

  it('a pipeline: one batch span, a child span per command, each failing on its own', async () => {
    const { c, port } = await standaloneClient();
    recorder = spanRecorder();
    const key = k('p');
    const replies = await c.pipeline().set(key, 'v').lpop(key).get(key).exec();
    const batch = recorder.spans.filter((s) => s.name === 'PIPELINE');
    expect(batch).toHaveLength(1);
    expect(batch[0]!.attributes).toMatchObject({ 'db.operation.batch.size': 3, 'server.port': port, 'db.namespace': '0' });
    const commands = recorder.spans.filter((s) => s.parent === batch[0]);
    expect(commands.map((s) => [s.name, s.status])).toEqual([['SET', 'ok'], ['LPOP', 'error'], ['GET', 'ok']]);
    expect(commands[0]!.attributes['db.query.text']).toBe(`SET ${key} [1 other arguments]`);
    expect(replies[1]).toBeInstanceOf(Error);
    expect(commands[1]!.error).toBe(replies[1]);
    await c.del(key);
  });

  it('a MULTI block: batch span MULTI, the frame not traced as commands, each command ended by EXEC', async () => {
    const { c, port } = await standaloneClient();
    recorder = spanRecorder();
    const key = k('m');
    expect(await c.multi().set(key, '1').incr(key).exec()).toEqual(['OK', 2]);
    const [batch, ...rest] = recorder.spans;
    expect(batch).toMatchObject({ name: 'MULTI', status: 'ok', attributes: { 'db.operation.batch.size': 2 } });
    expect(rest.map((s) => [s.name, s.status, s.parent === batch])).toEqual([['SET', 'ok', true], ['INCR', 'ok', true]]);
    await c.del(key);
  });

  describe('credentials', () => {
    let server: StandaloneServer;
    afterAll(async () => server?.stop());

    it('never reach a span, with or without traceArguments', async () => {
      const password = `pw-${randomUUID()}`;
      const secret = `secret-${randomUUID()}`;
      server = await startStandalone({ password });
      for (const traceArguments of [false, true]) {
        recorder?.stop();
        recorder = spanRecorder();
        const c = createClient({ port: server.port, password, traceArguments });
        await c.connect();
        await c.call('AUTH', password);
        await c.call('HELLO', 3, 'AUTH', 'default', password);
        await c.call('CONFIG', 'SET', 'masterauth', secret);
        await c.call('ACL', 'SETUSER', `u-${randomUUID()}`, 'on', `>${secret}`);
        await c.call('MIGRATE', '127.0.0.1', 1, '', 0, 100, 'AUTH', secret, 'KEYS', 'x').catch(() => {});
        await c.pipeline().call('AUTH', password).ping().exec();
        await c.close();
        const texts = recorder.spans.map((s) => String(s.attributes['db.query.text']));
        // The commands were traced, so the check below is not vacuous.
        expect(texts).toEqual(expect.arrayContaining(['AUTH [1 other arguments]', 'CONFIG SET [2 other arguments]', 'MIGRATE [9 other arguments]']));
        expect(texts.some((t) => t.startsWith('HELLO'))).toBe(true);
        const all = JSON.stringify(recorder.spans);
        expect(all).not.toContain(password);
        expect(all).not.toContain(secret);
      }
    });
  });
});

describe('OpenTelemetry-shaped spans from slotline:* (cluster)', () => {
  it("each command span names the node that served it, database 0", async () => {
    const cluster: Cluster = createCluster({ nodes: clusterSeeds() });
    closers.push(() => cluster.close());
    await cluster.connect();
    recorder = spanRecorder();
    const keys = Array.from({ length: 6 }, (_, i) => k(`c${i}`));
    for (const key of keys) await cluster.set(key, 'v');
    const spans = recorder.spans.filter((s) => s.name === 'SET');
    expect(spans).toHaveLength(keys.length);
    for (const [i, span] of spans.entries()) {
      expect(span.attributes['db.namespace']).toBe('0');
      // The node the span names answers for the key itself, without a redirect.
      const direct = createClient({ host: String(span.attributes['server.address']), port: Number(span.attributes['server.port']), reconnect: false });
      await direct.connect();
      expect(await direct.get(keys[i]!)).toBe('v');
      await direct.close();
    }
    expect(new Set(spans.map((s) => s.attributes['server.port'])).size).toBeGreaterThan(1);
    await Promise.all(keys.map((key) => cluster.del(key)));
  });
});
