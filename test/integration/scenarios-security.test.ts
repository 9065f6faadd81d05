/**
 * Issue 12 scenarios TLS and ACL, against private servers:
 *
 *   TLS: a CA and a server certificate made in the test with openssl; the server listens on a
 *   tls-port. Verification is on by default: the self-signed chain without `ca` is refused, the
 *   right CA works (rediss:// URL and the `tls` option), another CA is refused — each refusal a
 *   ConnectionError naming the certificate problem, within a bound, with nothing sent.
 *
 *   ACL: a user limited by ACL SETUSER gets NOPERM as a ReplyError (kind 'auth') and the
 *   connection keeps serving; a wrong password is refused at connect; the password never
 *   appears in an error, its stack or cause, an event, util.inspect of the client, cluster,
 *   their options or errors, nor in any diagnostics_channel message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ConnectionError, createClient, createCluster, InvalidOptionError, MultiRefusedError, ReplyError, SlotlineError, type Client, type Cluster } from '../../src/index.js';
import { makeCertificateAuthority, startTlsStandalone, type CertificateAuthority, type TlsServer } from '../harness/tls.js';
import { redisCli, startCluster, startStandalone, type ClusterHandle, type StandaloneServer } from '../harness/servers.js';
import { within } from '../harness/wait.js';
import { traceAll, views } from '../support/observe.js';

const settle = (p: Promise<unknown>): Promise<unknown> => p.then((v) => v, (e: unknown) => e);
const k = (name: string): string => `scen-sec:${randomUUID()}:${name}`;

describe('issue 12 scenario TLS: verification on by default, the right CA works, a wrong CA is refused', () => {
  let ca: CertificateAuthority;
  let other: CertificateAuthority;
  let server: TlsServer;
  const clients: Client[] = [];
  beforeAll(async () => {
    [ca, other] = await Promise.all([makeCertificateAuthority('slotline-test-ca'), makeCertificateAuthority('slotline-other-ca')]);
    server = await startTlsStandalone(ca);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server?.stop();
    await Promise.all([ca?.dispose(), other?.dispose()]);
  });
  const track = (c: Client): Client => {
    clients.push(c);
    c.on('error', () => undefined);
    return c;
  };

  /** A refused TLS connect: a ConnectionError within 2 s, its message naming the certificate problem. */
  async function expectRefused(c: Client, pattern: RegExp): Promise<void> {
    const started = Date.now();
    const error = await within(settle(c.connect()), 5000, 'connect() with an untrusted certificate');
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).message).toMatch(pattern);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(c.status).toBe('closed');
    // Refused means refused: a later command fails at once, it does not wait for a connection.
    const later = await within(settle(c.ping()), 1000, 'a command after the refused connect');
    expect(later).toBeInstanceOf(ConnectionError);
  }

  it('issue 12 TLS: rediss:// without a CA is refused (self-signed chain), naming the certificate problem', async () => {
    const c = track(createClient({ url: `rediss://127.0.0.1:${server.tlsPort}`, reconnect: false }));
    await expectRefused(c, /self[- ]signed|unable to (get|verify)|certificate/i);
  });

  it('issue 12 TLS: the right CA works with a rediss:// URL and with the tls option; every reply by value', async () => {
    const viaUrl = track(createClient({ url: `rediss://127.0.0.1:${server.tlsPort}`, tls: { ca: ca.caPem } }));
    const viaOption = track(createClient({ host: '127.0.0.1', port: server.tlsPort, tls: { ca: ca.caPem } }));
    await Promise.all([viaUrl.connect(), viaOption.connect()]);
    for (const c of [viaUrl, viaOption]) {
      const ids = Array.from({ length: 200 }, (_, i) => `tls-${i}-${randomUUID()}`);
      expect(await Promise.all(ids.map((id) => c.echo(id)))).toEqual(ids);
      const key = k('tls');
      expect(await c.pipeline().set(key, 'v').get(key).incr(`${key}:n`).exec()).toEqual(['OK', 'v', 1]);
    }
    // The server saw them on its TLS port: nothing went through the plain one.
    const clientsOnPlain = (await redisCli(server.port, 'CLIENT', 'LIST')).split('\n').filter((l) => l.includes(`laddr=127.0.0.1:${server.port}`));
    const clientsOnTls = (await redisCli(server.port, 'CLIENT', 'LIST')).split('\n').filter((l) => l.includes(`laddr=127.0.0.1:${server.tlsPort}`));
    expect(clientsOnTls.length).toBeGreaterThanOrEqual(2);
    expect(clientsOnPlain.length).toBe(1); // redis-cli itself
  });

  it('issue 12 TLS: a CA that did not sign the server certificate is refused, by URL and by option', async () => {
    await expectRefused(track(createClient({ url: `rediss://127.0.0.1:${server.tlsPort}`, tls: { ca: other.caPem }, reconnect: false })), /certificate|unable to verify/i);
    await expectRefused(track(createClient({ host: '127.0.0.1', port: server.tlsPort, tls: { ca: other.caPem } })), /certificate|unable to verify/i);
  });

  it('issue 12 TLS: a lazily connected client with an untrusted certificate fails its commands at once with the reason, not after commandTimeout', async () => {
    // Before: the first-use connect retried for ever and every command ended in TimeoutError
    // after commandTimeout, the certificate problem only in 'error' events.
    const c = track(createClient({ host: '127.0.0.1', port: server.tlsPort, tls: {}, commandTimeout: 3000 }));
    const started = Date.now();
    const errors = await within(Promise.all([settle(c.ping()), settle(c.echo('x'))]), 5000, 'commands on a lazily connecting untrusted client');
    const took = Date.now() - started;
    for (const error of errors) {
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).written).toBe(false);
      expect((error as Error).message).toMatch(/TLS certificate is not trusted.*tls\.ca/);
    }
    expect(took).toBeLessThan(1500);
    expect(c.status).toBe('closed');
    console.log(`[issue 12 TLS] lazy client, untrusted certificate: commands refused after ${took} ms`);
  });
});

function expectNoSecret(what: string, values: readonly unknown[], secret: string): void {
  for (const v of values) {
    for (const text of views(v)) expect(text.includes(secret), `${what} shows the password: ${text.slice(0, 300)}`).toBe(false);
  }
}

/**
 * The limited user: may connect (HELLO, AUTH, PING, ECHO, CLIENT), read the cluster topology, and
 * GET / SET / INCR keys under `acl-ok:`; nothing else.
 */
const LIMITED = (password: string): string[] => [
  'ACL', 'SETUSER', 'limited', 'reset', 'on', `>${password}`, '~acl-ok:*', '+@connection', '+get', '+set', '+incr',
  '+cluster|shards', '+cluster|slots', '+cluster|nodes', '+cluster|myid', '+readonly', '+asking',
];

describe('issue 12 scenario ACL: NOPERM is a ReplyError, the connection keeps serving, the password is never shown', () => {
  const PASSWORD = `acl-pw-${randomUUID()}`;
  const WRONG = `acl-wrong-${randomUUID()}`;
  let server: StandaloneServer;
  let cluster: ClusterHandle;
  beforeAll(async () => {
    [server, cluster] = await Promise.all([startStandalone(), startCluster({ primaries: 3, replicasPerPrimary: 0 })]);
    // ACL users are per node: every node gets the same one.
    for (const port of [server.port, ...cluster.nodes.map((n) => n.port)]) expect(await redisCli(port, ...LIMITED(PASSWORD))).toBe('OK');
  }, 60_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
  });

  it('issue 12 ACL: standalone: NOPERM (command and key) as ReplyError kind auth, in place in a pipeline; the connection keeps serving by value; nothing shows the password', async () => {
    const trace = traceAll();
    const seen: unknown[] = [];
    try {
      const c = createClient({ url: `redis://limited:${PASSWORD}@127.0.0.1:${server.port}`, traceArguments: true });
      for (const e of ['ready', 'error', 'reconnecting', 'end', 'connect'] as const) c.on(e, (...args: unknown[]) => seen.push(e, ...args));
      await c.connect();
      const key = `acl-ok:${randomUUID()}`;
      const denied = [
        await settle(c.call('FLUSHALL')),
        await settle(c.set(`acl-denied:${randomUUID()}`, 'x')),
        await settle(c.call('CONFIG', 'GET', 'requirepass')),
        await settle(c.call('ACL', 'SETUSER', 'limited', `>${PASSWORD}`)),
      ];
      for (const error of denied) {
        expect(error).toBeInstanceOf(ReplyError);
        expect((error as ReplyError).code).toBe('NOPERM');
        expect((error as ReplyError).kind).toBe('auth');
      }
      // The connection keeps serving, every reply its own.
      expect(await c.set(key, 'v1')).toBe('OK');
      const ids = Array.from({ length: 50 }, (_, i) => `acl-${i}-${randomUUID()}`);
      expect(await Promise.all(ids.map((id) => c.echo(id)))).toEqual(ids);
      const batch = await c.pipeline().get(key).call('FLUSHALL').incr(`${key}:n`).set(`acl-denied:${key}`, 'x').echo('last').exec();
      expect(batch[0]).toBe('v1');
      expect(batch[1]).toBeInstanceOf(ReplyError);
      expect(batch[2]).toBe(1);
      expect(batch[3]).toBeInstanceOf(ReplyError);
      expect(batch[4]).toBe('last');
      const tx = await settle(c.multi().incr(`${key}:n`).call('FLUSHALL').exec());
      // The user may not run MULTI: the server refuses it, the block's commands then run one by
      // one, and the error says so with what each answered (issue 11), never 'nothing ran'.
      expect(tx).toBeInstanceOf(MultiRefusedError);
      expect((tx as MultiRefusedError).code).toBe('NOPERM');
      expect((tx as MultiRefusedError).results[0]).toBe(2);
      expect((tx as MultiRefusedError).results[1]).toBeInstanceOf(ReplyError);
      expect(await c.get(`${key}:n`)).toBe('2');
      // The handshake replayed on a reconnect, with the same credentials.
      await redisCli(server.port, 'CLIENT', 'KILL', 'USER', 'limited');
      expect(await within(c.get(key), 5000, 'GET after CLIENT KILL USER')).toBe('v1');
      expect(seen.filter((e) => e === 'ready').length).toBe(2);

      // A wrong password: refused at connect with WRONGPASS, no retry, nothing shown.
      const bad = createClient({ host: '127.0.0.1', port: server.port, username: 'limited', password: WRONG, traceArguments: true });
      bad.on('error', (e) => seen.push('error', e));
      const refused = await within(settle(bad.connect()), 5000, 'connect with a wrong password');
      expect(refused).toBeInstanceOf(ConnectionError);
      expect((refused as ConnectionError).reason).toBe('handshake');
      expect((refused as Error).message).toMatch(/WRONGPASS/);
      const lazyBad = createClient({ host: '127.0.0.1', port: server.port, username: 'limited', password: WRONG });
      lazyBad.on('error', (e) => seen.push('error', e));
      const lazyRefused = await within(settle(lazyBad.ping()), 5000, 'PING with a wrong password');
      expect(lazyRefused).toBeInstanceOf(ConnectionError);
      // Bad options next to a password: the error names the option, never the password.
      const badOption = await settle(Promise.resolve().then(() => createClient({ password: PASSWORD, port: -1 })));
      expect(badOption).toBeInstanceOf(InvalidOptionError);
      const badUrl = await settle(Promise.resolve().then(() => createClient(`redis://limited:${PASSWORD}@127.0.0.1:${server.port}/?bogus=1`)));
      expect(badUrl).toBeInstanceOf(InvalidOptionError);

      // The checks below are not vacuous: traces saw AUTH / HELLO with arguments traced.
      expect(trace.events.length).toBeGreaterThan(10);
      expectNoSecret('standalone client', [c, bad, lazyBad, c.pipeline().get(key), c.multi().get(key)], PASSWORD);
      expectNoSecret('errors', [...denied, batch, tx, refused, lazyRefused, badOption, badUrl], PASSWORD);
      expectNoSecret('wrong-password errors and clients', [refused, lazyRefused, bad, lazyBad, seen, trace.events], WRONG);
      await c.close();
      bad.disconnect();
      lazyBad.disconnect();
      expectNoSecret('events', seen, PASSWORD);
      expectNoSecret('diagnostics_channel messages', trace.events, PASSWORD);
    } finally {
      trace.stop();
    }
  });

  it('issue 12 ACL: cluster: NOPERM as ReplyError on every node, no retry, the cluster keeps serving by value; nothing shows the password', async () => {
    const trace = traceAll();
    const seen: unknown[] = [];
    try {
      const seed = cluster.nodes[0]!;
      const c: Cluster = createCluster({ nodes: [`redis://limited:${PASSWORD}@127.0.0.1:${seed.port}`], traceArguments: true });
      for (const e of ['ready', 'error', 'refresh'] as const) c.on(e, (...args: unknown[]) => seen.push(e, ...args));
      await c.connect();
      const keys = Array.from({ length: 60 }, (_, i) => `acl-ok:{${i}}:${randomUUID()}`);
      const denied = await Promise.all(keys.map((key) => settle(c.set(key.replace('acl-ok:', 'acl-denied:'), 'x'))));
      const moved = c.stats.moved;
      for (const error of denied) {
        expect(error).toBeInstanceOf(ReplyError);
        expect((error as ReplyError).code).toBe('NOPERM');
      }
      expect(c.stats.moved).toBe(moved);
      expect(await Promise.all(keys.map((key) => c.set(key, key)))).toEqual(keys.map(() => 'OK'));
      const p = c.pipeline();
      for (const key of keys) p.get(key).call('FLUSHALL');
      const replies = await p.exec();
      for (let i = 0; i < keys.length; i++) {
        expect(replies[2 * i]).toBe(keys[i]);
        expect(replies[2 * i + 1]).toBeInstanceOf(ReplyError);
      }
      const bad = createCluster({ nodes: [{ host: '127.0.0.1', port: seed.port }], username: 'limited', password: WRONG, connectTimeout: 2000 });
      const refused = await within(settle(bad.connect()), 5000, 'cluster connect with a wrong password');
      expect(refused).toBeInstanceOf(SlotlineError);
      expect((refused as Error).message).toMatch(/WRONGPASS/);
      expect(trace.events.length).toBeGreaterThan(10);
      expectNoSecret('cluster', [c, c.slotMap, c.pipeline().get(keys[0]!)], PASSWORD);
      expectNoSecret('cluster errors', [...denied, replies], PASSWORD);
      expectNoSecret('wrong-password cluster', [bad, refused, trace.events], WRONG);
      await c.close();
      bad.disconnect();
      expectNoSecret('cluster events', seen, PASSWORD);
      expectNoSecret('cluster diagnostics_channel messages', trace.events, PASSWORD);
    } finally {
      trace.stop();
    }
  });
});
