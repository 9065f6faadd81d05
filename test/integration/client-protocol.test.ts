/**
 * The standalone client on the wire: every RESP3 type a real server sends (DEBUG PROTOCOL),
 * under RESP3 and RESP2; a malformed byte stream on a live connection (through the fault
 * proxy); the offline queue while the server is down; diagnostics_channel traces and their
 * redaction; SELECT replayed after a reconnect; and a very large automatic pipeline.
 * DEBUG PROTOCOL leaves the server as it was, so the type tests use the shared server; every
 * test that breaks a server starts its own.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  ConnectionError,
  createClient,
  PipelineError,
  ProtocolError,
  ReplyError,
  type Client,
  type RespValue,
} from '../../src/index.js';
import { standaloneTarget } from '../harness/context.js';
import { traceAll } from '../support/observe.js';
import { startProxy, type Proxy } from '../harness/proxy.js';
import { encodedLength, waitUntil, within } from '../harness/wait.js';
import { redisCli, startStandalone, type StandaloneServer } from '../harness/servers.js';

const k = (name: string): string => `client-protocol:${randomUUID()}:${name}`;

type Outcome = { kind: 'resolved'; value: unknown } | { kind: 'rejected'; error: unknown };
const outcome = (p: Promise<unknown>): Promise<Outcome> =>
  p.then(
    (value) => ({ kind: 'resolved', value }) as const,
    (error: unknown) => ({ kind: 'rejected', error }) as const,
  );

// ── 1. every RESP3 type from a real server ────────────────────────────────────────────

const PUSH_TEXT = 'Some real reply following the push reply';
const ATTRIB_TEXT = 'Some real reply following the attribute';
const VERBATIM_TEXT = 'This is a verbatim\nstring';

describe('DEBUG PROTOCOL: every reply type from a real server', () => {
  const clients: Client[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });
  const open = async (options: Parameters<typeof createClient>[0] & object): Promise<Client> => {
    const { host, port } = standaloneTarget();
    const c = createClient({ host, port, ...options });
    clients.push(c);
    await c.connect();
    return c;
  };
  const debug = (c: Client, type: string): Promise<RespValue> => c.call('DEBUG', 'PROTOCOL', type);

  it('RESP3: each type has its JS shape', async () => {
    const c = await open({ protocol: 3 });
    expect(c.protocol).toBe(3);
    expect(await debug(c, 'string')).toBe('Hello World');
    expect(await debug(c, 'integer')).toBe(12345);
    expect(await debug(c, 'double')).toBe(3.141);
    const big = await debug(c, 'bignum');
    expect(typeof big).toBe('bigint');
    expect(big).toBe(1234567999999999999999999999999999999n);
    expect(await debug(c, 'null')).toBeNull();
    expect(await debug(c, 'array')).toEqual([0, 1, 2]);
    expect(await debug(c, 'set')).toEqual([0, 1, 2]);
    // Integer keys: with mapAs 'auto' a map becomes a Map as soon as one key is not a string.
    const map = await debug(c, 'map');
    expect(map).toBeInstanceOf(Map);
    expect([...(map as Map<RespValue, RespValue>).entries()]).toEqual([
      [0, false],
      [1, true],
      [2, false],
    ]);
    // Verbatim: a plain string with the "txt:" prefix stripped (the decoder's default).
    const verbatim = await debug(c, 'verbatim');
    expect(typeof verbatim).toBe('string');
    expect(verbatim).toBe(VERBATIM_TEXT);
    expect(await debug(c, 'true')).toBe(true);
    expect(await debug(c, 'false')).toBe(false);
  });

  it('RESP3: an attribute is never taken for the reply, and the next command gets its own', async () => {
    const c = await open({ protocol: 3 });
    const [attrib, echo, attrib2, ping] = await Promise.all([
      debug(c, 'attrib'),
      c.echo('after-attrib'),
      debug(c, 'attrib'),
      c.ping(),
    ]);
    expect(attrib).toBe(ATTRIB_TEXT);
    expect(echo).toBe('after-attrib');
    expect(attrib2).toBe(ATTRIB_TEXT);
    expect(ping).toBe('PONG');
  });

  it('RESP3: a push goes to the push event, is never matched to a command, and replies stay aligned', async () => {
    const c = await open({ protocol: 3 });
    const pushes: RespValue[][] = [];
    c.on('push', (value) => pushes.push(value));
    // All in one write: each push lands between two replies the client must match in order.
    const replies = await Promise.all([
      debug(c, 'push'),
      c.echo('one'),
      debug(c, 'push'),
      debug(c, 'attrib'),
      debug(c, 'push'),
      c.echo('two'),
    ]);
    expect(replies).toEqual([PUSH_TEXT, 'one', PUSH_TEXT, ATTRIB_TEXT, PUSH_TEXT, 'two']);
    expect(pushes).toEqual([
      ['server-cpu-usage', 42],
      ['server-cpu-usage', 42],
      ['server-cpu-usage', 42],
    ]);
    expect(await c.echo('three')).toBe('three');
  });

  it('RESP3 with mapAs map, setAs set and Buffers asked per call', async () => {
    const c = await open({ protocol: 3, mapAs: 'map', setAs: 'set' });
    expect(await debug(c, 'set')).toEqual(new Set([0, 1, 2]));
    expect(await debug(c, 'map')).toEqual(
      new Map<RespValue, RespValue>([
        [0, false],
        [1, true],
        [2, false],
      ]),
    );
    const verbatim = await c.callBuffer('DEBUG', 'PROTOCOL', 'verbatim');
    expect(Buffer.isBuffer(verbatim)).toBe(true);
    expect((verbatim as Buffer).toString('utf8')).toBe(VERBATIM_TEXT);
    const text = await c.callBuffer('DEBUG', 'PROTOCOL', 'string');
    expect(Buffer.isBuffer(text) && text.toString('utf8')).toBe('Hello World');
    expect(await c.callBuffer('DEBUG', 'PROTOCOL', 'bignum')).toBe(1234567999999999999999999999999999999n);
    // The per-call choice does not leak into the next command.
    expect(await debug(c, 'string')).toBe('Hello World');
  });

  it('RESP2: the same types as the server sends them under protocol 2', async () => {
    const c = await open({ protocol: 2 });
    expect(c.protocol).toBe(2);
    const pushes: RespValue[][] = [];
    c.on('push', (value) => pushes.push(value));
    expect(await debug(c, 'string')).toBe('Hello World');
    expect(await debug(c, 'integer')).toBe(12345);
    expect(await debug(c, 'double')).toBe('3.141'); // RESP2 has no double: a bulk string
    expect(await debug(c, 'bignum')).toBe('1234567999999999999999999999999999999');
    expect(await debug(c, 'null')).toBeNull();
    expect(await debug(c, 'array')).toEqual([0, 1, 2]);
    expect(await debug(c, 'set')).toEqual([0, 1, 2]);
    expect(await debug(c, 'map')).toEqual([0, 0, 1, 1, 2, 0]); // flat, booleans as integers
    expect(await debug(c, 'attrib')).toBe(ATTRIB_TEXT);
    expect(await debug(c, 'verbatim')).toBe(VERBATIM_TEXT);
    expect(await debug(c, 'true')).toBe(1);
    expect(await debug(c, 'false')).toBe(0);
    // The server refuses a push under RESP2: an error for that command alone.
    const [push, after] = await Promise.all([outcome(debug(c, 'push')), c.echo('after-push')]);
    expect(push.kind).toBe('rejected');
    expect((push as { error: unknown }).error).toBeInstanceOf(ReplyError);
    expect(((push as { error: ReplyError }).error).message).toMatch(/RESP2 is not supported/);
    expect(after).toBe('after-push');
    expect(pushes).toEqual([]);
  });
});

// ── servers of this file's own ────────────────────────────────────────────────────────

const servers: StandaloneServer[] = [];
const proxies: Proxy[] = [];
const openClients: Client[] = [];
afterAll(async () => {
  for (const c of openClients) c.disconnect();
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.stop()));
});

async function ownServer(options?: Parameters<typeof startStandalone>[0]): Promise<StandaloneServer> {
  const server = await startStandalone(options);
  servers.push(server);
  return server;
}

function track(c: Client): Client {
  openClients.push(c);
  return c;
}

const FAST_RECONNECT = { initialDelay: 10, maxDelay: 100, maxAttempts: 200, jitter: 0 } as const;

// ── 2. a malformed byte stream on a live connection ───────────────────────────────────

describe('a malformed byte stream on a live connection', () => {
  // Each payload is injected toward the client while three commands wait for replies.
  const payloads: ReadonlyArray<{ what: string; bytes: string; message: RegExp }> = [
    { what: 'an unknown type byte', bytes: '@garbage\r\n', message: /unknown type byte 0x40/ },
    { what: 'a bad length inside an aggregate', bytes: '*2\r\n:1\r\n$x\r\n', message: /invalid length/ },
    { what: 'a bad integer', bytes: ':12a\r\n', message: /invalid integer/ },
    { what: 'a bulk payload without CRLF', bytes: '$3\r\nabcXY', message: /expected CR after bulk payload/ },
  ];

  for (const protocol of [3, 2] as const) {
    it(`RESP${protocol}: pending commands are rejected with ProtocolError, the connection resets, the next command works`, async () => {
      const server = await ownServer();
      const proxy = await startProxy({ target: server });
      proxies.push(proxy);
      const c = track(createClient({ port: proxy.port, protocol, reconnect: FAST_RECONNECT }));
      const errors: Error[] = [];
      c.on('error', (e) => errors.push(e));
      await c.connect();
      const key = k('garbage');
      await c.set(key, 'value');

      let connections = 1;
      for (const payload of payloads) {
        proxy.pause();
        const sent = [
          ['GET', key],
          ['ECHO', 'x'],
          ['PING'],
        ];
        const pending = [outcome(c.get(key)), outcome(c.echo('x')), outcome(c.ping())];
        // The three commands are written (in flight) once the proxy holds their bytes.
        const bytes = sent.reduce((n, args) => n + encodedLength(args), 0);
        await waitUntil(`the proxy holds ${bytes} bytes of commands`, () => proxy.buffered >= bytes);
        errors.length = 0;
        expect(proxy.inject(Buffer.from(payload.bytes, 'latin1'))).toBe(1);
        const results = await within(Promise.all(pending), 5000, `pending commands after ${payload.what}`);
        for (const r of results) {
          expect(r, payload.what).toMatchObject({ kind: 'rejected' });
          const error = (r as { error: unknown }).error;
          expect(error, payload.what).toBeInstanceOf(ProtocolError);
          expect((error as ProtocolError).message).toMatch(payload.message);
          expect((error as ProtocolError).message).toMatch(/at byte offset \d+/);
          expect((error as ProtocolError).offset).toBeGreaterThan(0);
        }
        expect(errors.some((e) => e instanceof ProtocolError), payload.what).toBe(true);
        proxy.resume();
        // The old socket is gone; once a new one is open it carries the next commands.
        await waitUntil('the client has reconnected', () => proxy.accepted === connections + 1 && c.status === 'ready');
        expect(await within(Promise.all([c.get(key), c.echo('y'), c.incr(k('n'))]), 5000, 'after reset')).toEqual([
          'value',
          'y',
          1,
        ]);
        connections++;
        expect(proxy.accepted, payload.what).toBe(connections);
        expect(c.status).toBe('ready');
      }
    });
  }

  it('an unsolicited reply with nothing pending resets the connection instead of feeding a later command', async () => {
    const server = await ownServer();
    const proxy = await startProxy({ target: server });
    proxies.push(proxy);
    const c = track(createClient({ port: proxy.port, reconnect: FAST_RECONNECT }));
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    await c.connect();
    expect(await c.ping()).toBe('PONG');
    expect(proxy.inject(Buffer.from('+INJECTED\r\n'))).toBe(1);
    await waitUntil('the client reports a ProtocolError', () => errors.some((e) => e instanceof ProtocolError));
    expect(await within(c.echo('mine'), 5000, 'echo after unsolicited reply')).toBe('mine');
    expect(proxy.accepted).toBe(2);
  });

  it('a command issued right after the failure, before the socket has closed, waits for the new socket', async () => {
    const server = await ownServer();
    const proxy = await startProxy({ target: server });
    proxies.push(proxy);
    const c = track(createClient({ port: proxy.port, reconnect: FAST_RECONNECT }));
    c.on('error', () => undefined);
    await c.connect();
    proxy.pause();
    const pending = c.ping().catch((e: unknown) => e);
    await waitUntil('the ping reaches the proxy', () => proxy.buffered > 0);
    proxy.inject(Buffer.from('@garbage\r\n'));
    expect(await pending).toBeInstanceOf(ProtocolError);
    // Issued while the old socket is destroyed but not yet closed: it must not count as written there.
    const next = c.ping().catch((e: unknown) => e);
    proxy.resume();
    expect(await within(next, 5000, 'ping after the protocol failure')).toBe('PONG');
  });
});

// ── 3. the offline queue ──────────────────────────────────────────────────────────────

describe('the offline queue while the server is down', () => {
  it('holds commands up to maxOfflineQueue and sends them in order after the reconnect', async () => {
    const server = await ownServer();
    const c = track(createClient({ port: server.port, maxOfflineQueue: 50, reconnect: FAST_RECONNECT }));
    await c.connect();
    await server.kill();
    await waitUntil('the client is reconnecting', () => c.status === 'reconnecting');

    const list = k('list');
    const singles: Array<Promise<Outcome>> = [];
    for (let i = 0; i < 20; i++) singles.push(outcome(c.rpush(list, String(i))));
    const pipe = c.pipeline();
    for (let i = 20; i < 30; i++) pipe.rpush(list, String(i));
    const piped = outcome(pipe.exec());
    for (let i = 30; i < 50; i++) singles.push(outcome(c.rpush(list, String(i))));
    // The queue holds 50 now: one more single, and a batch, are refused at once.
    const overSingle = await within(outcome(c.rpush(list, 'too-many')), 1000, 'a command past maxOfflineQueue');
    expect(overSingle.kind).toBe('rejected');
    const overError = (overSingle as { error: unknown }).error;
    expect(overError).toBeInstanceOf(ConnectionError);
    expect((overError as ConnectionError).reason).toBe('offline-queue-full');
    expect((overError as ConnectionError).written).toBe(false);
    const overBatch = await within(outcome(c.pipeline().rpush(list, 'x').rpush(list, 'y').exec()), 1000, 'a batch past maxOfflineQueue');
    expect(overBatch.kind).toBe('rejected');
    const batchError = (overBatch as { error: unknown }).error;
    expect(batchError).toBeInstanceOf(PipelineError);
    expect((batchError as PipelineError).cause).toBeInstanceOf(ConnectionError);
    expect(((batchError as PipelineError).cause as ConnectionError).reason).toBe('offline-queue-full');

    let settledEarly = false;
    void Promise.race([...singles, piped]).then(() => (settledEarly = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settledEarly).toBe(false); // still waiting: nothing was sent to a dead server

    await server.restart();
    const results = await within(Promise.all(singles), 10_000, 'queued commands after restart');
    const pipeResult = await within(piped, 1000, 'queued pipeline');
    // RPUSH replies with the new length: 1..50 in issue order means they ran in issue order.
    const lengths = [...results.slice(0, 20), pipeResult, ...results.slice(20)];
    expect(lengths.map((r) => r.kind)).toEqual(Array(lengths.length).fill('resolved'));
    const values = lengths.flatMap((r) => (r as { value: unknown }).value as number | number[]);
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await c.lrange(list, 0, -1)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });

  it('commands issued before connect() wait and go out once connected', async () => {
    const server = await ownServer();
    const c = track(createClient({ port: server.port }));
    const early = [c.echo('a'), c.echo('b'), c.ping()];
    await c.connect();
    expect(await within(Promise.all(early), 5000, 'commands issued before connect')).toEqual(['a', 'b', 'PONG']);
  });

  it('rejects queued commands with reconnect-gave-up when reconnecting gives up', async () => {
    const server = await ownServer();
    const maxAttempts = 3;
    const c = track(createClient({ port: server.port, reconnect: { initialDelay: 20, maxDelay: 40, maxAttempts, jitter: 0 } }));
    const attempts: number[] = [];
    let ended = 0;
    const queued: Array<Promise<Outcome>> = [];
    const list = k('gave-up');
    c.on('reconnecting', ({ attempt }) => {
      attempts.push(attempt);
      // Issued in the first 'reconnecting' event: the client is surely disconnected and queueing.
      if (attempt === 1) for (let i = 0; i < 5; i++) queued.push(outcome(c.rpush(list, String(i))));
    });
    c.on('end', () => ended++);
    await c.connect();
    await server.kill();
    await waitUntil('the reconnecting event', () => queued.length === 5);
    const results = await within(Promise.all(queued), 5000, 'queued commands after giving up');
    for (const r of results) {
      expect(r.kind).toBe('rejected');
      const error = (r as { error: unknown }).error;
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).reason).toBe('reconnect-gave-up');
      expect((error as ConnectionError).written).toBe(false);
    }
    expect(attempts).toEqual([1, 2, 3]);
    expect(c.status).toBe('closed');
    expect(ended).toBe(1);
    // Gone for good: later commands fail at once instead of queueing forever.
    const later = await within(outcome(c.ping()), 1000, 'a command after giving up');
    expect(later.kind).toBe('rejected');
    expect((later as { error: unknown }).error).toBeInstanceOf(ConnectionError);
  });
});

// ── 4. diagnostics_channel ────────────────────────────────────────────────────────────

/** Every piece of text reachable from a value: strings, Buffers, error messages and causes. */
function allText(value: unknown, seen = new Set<unknown>()): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (typeof value !== 'object' || seen.has(value)) return '';
  seen.add(value);
  const parts: string[] = [];
  if (value instanceof Error) parts.push(value.message, value.stack ?? '', allText(value.cause, seen));
  for (const v of Object.values(value as Record<string, unknown>)) parts.push(allText(v, seen));
  return parts.join('\n');
}

describe('diagnostics_channel tracing', () => {
  let trace: ReturnType<typeof traceAll> | undefined;
  afterEach(() => {
    trace?.stop();
    trace = undefined;
  });

  it('traces a connect, a command and a pipeline batch, values redacted unless asked', async () => {
    const { host, port } = standaloneTarget();
    const server = `${host}:${port}`;
    trace = traceAll();
    const { events } = trace;
    const c = track(createClient({ host, port }));
    await c.connect();
    const connects = events.filter((e) => e.channel === 'connect');
    expect(connects.map((e) => e.phase)).toEqual(['start', 'asyncEnd']);
    expect(connects[0]!.context).toMatchObject({ server, attempt: 0 });

    const key = k('traced');
    events.length = 0;
    expect(await c.set(key, 'secret-value')).toBe('OK');
    const commands = events.filter((e) => e.channel === 'command');
    expect(commands.map((e) => e.phase)).toEqual(['start', 'asyncEnd']);
    expect(commands[0]!.context).toMatchObject({ command: 'SET', server, args: [key, '?'], statement: `SET ${key} [1 other arguments]` });
    expect(allText(events)).not.toContain('secret-value');

    events.length = 0;
    const wrong = await outcome(c.lpop(key));
    expect(wrong.kind).toBe('rejected');
    const failed = events.filter((e) => e.channel === 'command' && e.phase === 'error');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.context['error']).toBeInstanceOf(ReplyError);

    events.length = 0;
    expect(await c.pipeline().set(key, 'a').get(key).echo('b').exec()).toEqual(['OK', 'a', 'b']);
    const batches = events.filter((e) => e.channel === 'batch');
    expect(batches.map((e) => e.phase)).toEqual(['start', 'asyncEnd']);
    expect(batches[0]!.context).toMatchObject({ kind: 'pipeline', size: 3, server });
    await c.close();
  });

  it('traces arguments only with traceArguments', async () => {
    const { host, port } = standaloneTarget();
    trace = traceAll();
    const c = track(createClient({ host, port, traceArguments: true }));
    await c.connect();
    const key = k('args');
    trace.events.length = 0;
    await c.set(key, 'shown');
    const start = trace.events.find((e) => e.channel === 'command' && e.phase === 'start');
    expect(start?.context).toMatchObject({ command: 'SET', args: [key, 'shown'] });
    await c.close();
  });

  it('traces a refused connect as an error', async () => {
    const server = await ownServer();
    await server.stop();
    trace = traceAll();
    const c = createClient({ port: server.port, connectTimeout: 2000 });
    const err = await outcome(c.connect());
    expect(err.kind).toBe('rejected');
    const connects = trace.events.filter((e) => e.channel === 'connect');
    // tracePromise on a rejection: start, error, then asyncStart/asyncEnd.
    expect(connects.map((e) => e.phase)).toEqual(['start', 'error', 'asyncEnd']);
    expect(connects[1]!.context['error']).toBeInstanceOf(ConnectionError);
  });

  /**
   * The secrets a user can send: the handshake (HELLO 3 AUTH default <password>) at connect and
   * reconnect, a refused handshake, and AUTH / HELLO / ACL SETUSER by hand, right and wrong.
   * Returns every text the traces and errors carry.
   */
  async function secretsScenario(traceArguments: boolean): Promise<{ text: string; commands: unknown[]; password: string; wrongPassword: string }> {
    const password = `pw-${randomUUID()}`;
    const wrongPassword = `wrong-${randomUUID()}`;
    const server = await ownServer({ password });
    trace = traceAll();
    const { events } = trace;
    const errors: Error[] = [];

    const c = track(createClient({ port: server.port, password, traceArguments, reconnect: FAST_RECONNECT }));
    c.on('error', (e) => errors.push(e));
    let readies = 0;
    c.on('ready', () => readies++);
    await c.connect();
    expect(await c.call('AUTH', password)).toBe('OK');
    expect(await c.call('AUTH', 'default', password)).toBe('OK');
    expect(await c.call('HELLO', 3, 'AUTH', 'default', password)).toMatchObject({ proto: 3 });
    const rejected = [
      await outcome(c.call('AUTH', wrongPassword)),
      await outcome(c.call('AUTH', 'default', wrongPassword)),
      await outcome(c.call('HELLO', 3, 'AUTH', 'default', wrongPassword)),
      await outcome(c.call('ACL', 'SETUSER', 'someone', 'on', `>${wrongPassword}`, 'nonsense-rule')),
    ];
    expect(rejected.map((r) => r.kind)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(await c.pipeline().call('AUTH', password).ping().exec()).toEqual(['OK', 'PONG']);

    // The handshake replayed on a reconnect.
    await server.restart();
    await waitUntil('the client is ready after the restart', () => readies === 2, 10_000);
    expect(await c.ping()).toBe('PONG');

    // A wrong password at connect time: a handshake error, traced and thrown.
    const bad = createClient({ port: server.port, password: wrongPassword, traceArguments });
    bad.on('error', (e) => errors.push(e));
    const badConnect = await outcome(bad.connect());
    expect(badConnect.kind).toBe('rejected');
    expect(events.some((e) => e.channel === 'connect' && e.phase === 'error')).toBe(true);
    expect(events.filter((e) => e.channel === 'connect' && e.phase === 'asyncEnd').length).toBeGreaterThanOrEqual(3);

    const commands = events.filter((e) => e.channel === 'command' && e.phase === 'start').map((e) => e.context['command']);
    const text = allText([events, errors, rejected.map((r) => (r as { error: unknown }).error), (badConnect as { error: unknown }).error]);
    await c.close();
    return { text, commands, password, wrongPassword };
  }

  it('never shows an AUTH or HELLO password in a trace or an error message', async () => {
    const { text, commands, password, wrongPassword } = await secretsScenario(false);
    // The traces did see these commands, so the check below is not vacuous.
    expect(commands).toEqual(expect.arrayContaining(['AUTH', 'HELLO', 'ACL']));
    expect(text).toContain('WRONGPASS');
    expect(text).not.toContain(password);
    expect(text).not.toContain(wrongPassword);
  });

  it('redacts AUTH / HELLO / ACL arguments also with traceArguments', async () => {
    const { text, commands, password, wrongPassword } = await secretsScenario(true);
    expect(commands).toEqual(expect.arrayContaining(['AUTH', 'HELLO', 'ACL']));
    expect(text).not.toContain(password);
    expect(text).not.toContain(wrongPassword);
  });

  it('traces a MULTI/EXEC block as kind multi', async () => {
    const { host, port } = standaloneTarget();
    trace = traceAll();
    const c = track(createClient({ host, port }));
    await c.connect();
    const key = k('multi-traced');
    trace.events.length = 0;
    expect(await c.multi().set(key, '1').incr(key).exec()).toEqual(['OK', 2]);
    const starts = trace.events.filter((e) => e.channel === 'batch' && e.phase === 'start');
    expect(starts).toHaveLength(1);
    expect(starts[0]!.context).toMatchObject({ kind: 'multi' });
    await c.close();
  });
});

// ── 5. SELECT replayed after a reconnect ──────────────────────────────────────────────

describe('the db option survives a reconnect', () => {
  it('db from options and from a redis:// URL: still in db 2 after the server restarts', async () => {
    // An append-only file so the key written before the restart is still there after it.
    const server = await ownServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const viaOptions = track(createClient({ port: server.port, db: 2, reconnect: FAST_RECONNECT }));
    const viaUrl = track(createClient(`redis://127.0.0.1:${server.port}/2`));
    const viaUrlResp2 = track(createClient(`redis://127.0.0.1:${server.port}/2?protocol=2`));
    const clients = [viaOptions, viaUrl, viaUrlResp2];
    const readies = clients.map(() => 0);
    clients.forEach((c, i) => c.on('ready', () => readies[i]!++));
    await Promise.all(clients.map((c) => c.connect()));
    const keys = clients.map((_, i) => k(`db-${i}`));
    await Promise.all(clients.map((c, i) => c.set(keys[i]!, `before-${i}`)));
    for (const key of keys) {
      expect(await redisCli(server.port, '-n', '2', 'EXISTS', key)).toBe('1');
      expect(await redisCli(server.port, '-n', '0', 'EXISTS', key)).toBe('0');
    }

    await server.restart();
    await waitUntil('every client is ready again', () => readies.every((n) => n >= 2), 10_000);
    for (const [i, c] of clients.entries()) {
      expect(await c.call('CLIENT', 'INFO')).toMatch(/ db=2 /);
      expect(await c.get(keys[i]!)).toBe(`before-${i}`);
      await c.set(keys[i]!, `after-${i}`);
    }
    for (const [i, key] of keys.entries()) {
      expect(await redisCli(server.port, '-n', '2', 'GET', key)).toBe(`after-${i}`);
      expect(await redisCli(server.port, '-n', '0', 'EXISTS', key)).toBe('0');
    }
  });
});

// ── 6. a huge automatic pipeline ──────────────────────────────────────────────────────

describe('a very large automatic pipeline', () => {
  it('300,000 concurrent SETs and GETs complete with their own replies, no RangeError', async () => {
    const server = await ownServer();
    const c = track(createClient({ port: server.port }));
    await c.connect();
    const n = 300_000;
    const started = Date.now();
    const sets: Array<Promise<string | null>> = new Array(n);
    for (let i = 0; i < n; i++) sets[i] = c.set(`p:${i}`, `v${i}`);
    const setReplies = await within(Promise.all(sets), 20_000, `${n} SETs`);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (setReplies[i] !== 'OK') wrong++;
    expect(wrong).toBe(0);
    const gets: Array<Promise<string | null>> = new Array(n);
    for (let i = 0; i < n; i++) gets[i] = c.get(`p:${i}`);
    const values = await within(Promise.all(gets), 20_000, `${n} GETs`);
    const mismatches: number[] = [];
    for (let i = 0; i < n && mismatches.length < 5; i++) if (values[i] !== `v${i}`) mismatches.push(i);
    expect(mismatches).toEqual([]);
    expect(await c.call('DBSIZE')).toBe(n);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it('a 100,000-command pipeline() resolves in order, each reply its own', async () => {
    const server = await ownServer();
    const c = track(createClient({ port: server.port }));
    await c.connect();
    const n = 100_000;
    const pipe = c.pipeline();
    for (let i = 0; i < n; i++) pipe.echo(`e${i}`);
    const replies = await within(pipe.exec(), 15_000, `a pipeline of ${n}`);
    expect(replies).toHaveLength(n);
    const mismatches: number[] = [];
    for (let i = 0; i < n && mismatches.length < 5; i++) if (replies[i] !== `e${i}`) mismatches.push(i);
    expect(mismatches).toEqual([]);
  }, 20_000);
});
