/**
 * Regression tests for the shared-connection guards and the other defects of issue 11 (items 2,
 * 7, 8, 10, 12), issue 12 item 2 and issue 10 §5, each against real servers. Commands that
 * would take over or reconfigure a connection run on private servers or on fresh clients of
 * their own, with a command timeout so that a broken connection fails the test instead of
 * hanging it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { views } from '../support/observe.js';
import { performance } from 'node:perf_hooks';
import {
  ArgumentTypeError,
  CommandRefusedError,
  createClient,
  createCluster,
  SlotlineError,
  UsageError,
  type Client,
  type Cluster,
  type Multi,
} from '../../src/index.js';
import { clusterSeeds, standaloneTarget } from '../harness/context.js';
import { redisCli, startCluster, startStandalone, type ClusterHandle, type StandaloneServer } from '../harness/servers.js';

const k = (name: string): string => `guards:${randomUUID()}:${name}`;

/** Settles with the promise's outcome, or fails the test after `ms` (a hang is a defect too). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no outcome within ${ms} ms`)), ms);
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

/** 1,000 commands, each checked against its own expected reply. */
async function expectOwnReplies(c: Client, what: string): Promise<void> {
  const id = randomUUID();
  const replies = await within(
    Promise.all(Array.from({ length: 1000 }, (_, i) => c.echo(`${id}:${i}`))),
    10_000,
    `1,000 echoes after ${what}`,
  );
  replies.forEach((r, i) => expect(r, `${what}: echo #${i}`).toBe(`${id}:${i}`));
}

async function refusedWith(p: Promise<unknown>, what: string): Promise<CommandRefusedError> {
  const error = await within(
    p.then(
      (v) => new Error(`${what} resolved with ${inspect(v)} instead of being refused`),
      (e: unknown) => e,
    ),
    5000,
    what,
  );
  expect(error, what).toBeInstanceOf(CommandRefusedError);
  expect((error as CommandRefusedError).code).toBe('SLOTLINE_COMMAND_REFUSED');
  return error as CommandRefusedError;
}

describe('issue 11 item 2: commands that take over or shift the shared connection are refused', () => {
  let server: StandaloneServer;
  beforeAll(async () => {
    server = await startStandalone();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const cases: ReadonlyArray<readonly [string, ...string[]]> = [
    ['UNSUBSCRIBE'],
    ['UNSUBSCRIBE', 'some-channel'],
    ['PUNSUBSCRIBE'],
    ['SUNSUBSCRIBE'],
    ['CLIENT', 'REPLY', 'SKIP'],
    ['CLIENT', 'REPLY', 'OFF'],
    ['client', 'reply', 'on'],
    ['SYNC'],
    ['PSYNC', '?', '-1'],
    ['MONITOR'],
    ['RESET'],
    ['SUBSCRIBE', 'ch'],
    ['QUIT'],
  ];

  for (const protocol of [3, 2] as const) {
    it.each(cases)(`issue 11 item 2: RESP${protocol} %s is refused and 1,000 later commands get their own replies`, async (name, ...args) => {
      const c = createClient({ host: server.host, port: server.port, protocol, commandTimeout: 3000, reconnect: false });
      await c.connect();
      try {
        const error = await refusedWith(c.call(name, ...args), `${name} ${args.join(' ')}`);
        expect(error.command).toBe(name.toUpperCase());
        expect(error.message).toContain(name.toUpperCase());
        await expectOwnReplies(c, `${name} ${args.join(' ')}`);
        expect(c.status).toBe('ready');
      } finally {
        c.disconnect();
      }
    });
  }
});

describe('issue 11 item 7: pipelines and multi() apply the shared-connection guards', () => {
  let client: Client;
  let observer: Client;
  beforeAll(async () => {
    const { host, port } = standaloneTarget();
    client = createClient({ host, port, commandTimeout: 3000 });
    observer = createClient({ host, port });
    await Promise.all([client.connect(), observer.connect()]);
  });
  afterAll(async () => {
    client?.disconnect();
    await observer?.close();
  });

  /** The batch is refused as a whole: the key its first command would have set stays unset. */
  async function refusedWhole(exec: (key: string) => Promise<unknown>, what: string): Promise<void> {
    const key = k('unset');
    const started = performance.now();
    await refusedWith(exec(key), what);
    expect(performance.now() - started, `${what} refused at once`).toBeLessThan(500);
    expect(await observer.get(key), `${what}: nothing was written`).toBeNull();
    // The shared connection is as it was: db 0, not in MULTI, replies in order.
    const probe = k('probe');
    expect(await within(client.set(probe, 'db0'), 4000, `SET after ${what}`)).toBe('OK');
    expect(await observer.get(probe), `${what}: later commands still go to db 0`).toBe('db0');
    await expectOwnReplies(client, what);
  }

  it("issue 11 item 7: pipeline().call('SELECT', '1') is refused before anything is sent", async () => {
    await refusedWhole((key) => client.pipeline().set(key, 'v').call('SELECT', '1').exec(), 'pipeline SELECT');
  });

  it("issue 11 item 7: pipeline([['multi']]) and MULTI/EXEC/DISCARD/WATCH inside batches are refused", async () => {
    await refusedWhole((key) => client.pipeline([['set', key, 'v'], ['multi']]).exec(), "pipeline([['multi']])");
    await refusedWhole((key) => client.pipeline().set(key, 'v').call('EXEC').exec(), 'pipeline EXEC');
    await refusedWhole((key) => client.pipeline().set(key, 'v').call('DISCARD').exec(), 'pipeline DISCARD');
    await refusedWhole((key) => client.multi().set(key, 'v').call('WATCH', key).exec(), 'multi WATCH');
    await refusedWhole((key) => client.multi().set(key, 'v').call('MULTI').exec(), 'multi MULTI');
    await refusedWhole((key) => client.multi([['set', key, 'v'], ['exec']]).exec(), "multi([['exec']])");
    // A prepared command is checked like any other, whatever the case of its name.
    await refusedWhole((key) => client.pipeline().set(key, 'v').add({ name: 'select', args: ['1'] }).exec(), 'add(select)');
  });

  it('issue 11 item 7: blocking commands inside a pipeline or multi() are refused, not left to stall the connection', async () => {
    await refusedWhole((key) => client.pipeline().set(key, 'v').blpop(k('list'), 2).exec(), 'pipeline BLPOP');
    await refusedWhole((key) => client.multi().set(key, 'v').blpop(k('list'), 2).exec(), 'multi BLPOP');
    await refusedWhole((key) => client.pipeline([['set', key, 'v'], ['brpop', k('list'), '2']]).exec(), 'pipeline BRPOP tuple');
    // Alone, a blocking command still runs (on a pooled connection).
    expect(await client.blpop(k('empty'), 0.05)).toBeNull();
  });

  it('issue 11 item 7: the cluster client refuses the same commands in pipelines and multi()', async () => {
    const cluster = createCluster({ nodes: clusterSeeds(), commandTimeout: 3000 });
    await cluster.connect();
    try {
      const tag = `{${randomUUID()}}`;
      await refusedWith(cluster.pipeline().set(`${tag}a`, 'v').call('SELECT', '1').exec(), 'cluster pipeline SELECT');
      await refusedWith(cluster.pipeline().set(`${tag}a`, 'v').call('READONLY').exec(), 'cluster pipeline READONLY');
      await refusedWith(cluster.pipeline([['set', `${tag}a`, 'v'], ['multi']]).exec(), "cluster pipeline([['multi']])");
      await refusedWith(cluster.pipeline().set(`${tag}a`, 'v').blpop(`${tag}list`, 2).exec(), 'cluster pipeline BLPOP');
      await refusedWith(cluster.multi().set(`${tag}a`, 'v').blpop(`${tag}list`, 2).exec(), 'cluster multi BLPOP');
      await refusedWith(cluster.multi().set(`${tag}a`, 'v').call('UNSUBSCRIBE').exec(), 'cluster multi UNSUBSCRIBE');
      await refusedWith(cluster.call('CLIENT', 'REPLY', 'OFF'), 'cluster CLIENT REPLY OFF');
      expect(await cluster.get(`${tag}a`)).toBeNull();
      const ids = Array.from({ length: 200 }, (_, i) => `${tag}${i}`);
      expect(await Promise.all(ids.map((id) => cluster.echo(id)))).toEqual(ids);
    } finally {
      await cluster.close();
    }
  });
});

describe('issue 11 item 8: watch() commits only the tx.multi() of its own attempt', () => {
  let client: Client;
  let other: Client;
  beforeAll(async () => {
    const { host, port } = standaloneTarget();
    client = createClient({ host, port, commandTimeout: 3000 });
    other = createClient({ host, port });
    await Promise.all([client.connect(), other.connect()]);
  });
  afterAll(async () => {
    await Promise.all([client?.close(), other?.close()]);
  });

  it('issue 11 item 8: a Multi from client.multi() is refused, so the lost update cannot happen', async () => {
    const key = k('counter');
    await client.set(key, '10');
    const outcome = await within(
      client
        .watch(key, async (tx) => {
          const seen = Number(await tx.get(key));
          // Another writer changes the watched key between our read and our commit.
          await other.set(key, '100');
          return client.multi().set(key, String(seen + 1));
        })
        .then(
          (v) => v,
          (e: unknown) => e,
        ),
      5000,
      'watch with a foreign Multi',
    );
    expect(await other.get(key), "the other writer's update survives").toBe('100');
    expect(outcome).toBeInstanceOf(UsageError);
    expect((outcome as UsageError).code).toBe('SLOTLINE_USAGE');
    // The pooled connection went back clean: the next watch commits.
    expect(await client.watch(key, (tx) => tx.multi().set(key, 'after'))).toEqual(['OK']);
    expect(await other.get(key)).toBe('after');
  });

  it("issue 11 item 8: a Multi of an earlier attempt is refused", async () => {
    const key = k('attempts');
    await client.set(key, '0');
    let first: Multi<unknown[]> | undefined;
    const outcome = await within(
      client
        .watch<unknown[]>(key, async (tx, attempt) => {
          await tx.get(key);
          if (attempt === 1) {
            first = tx.multi().set(key, 'from-attempt-1') as Multi<unknown[]>;
            await other.set(key, 'conflict'); // makes this attempt's EXEC answer null
            return tx.multi().set(key, 'attempt-1') as Multi<unknown[]>;
          }
          return first;
        })
        .then(
          (v) => v,
          (e: unknown) => e,
        ),
      5000,
      'watch returning an earlier Multi',
    );
    expect(outcome).toBeInstanceOf(UsageError);
    expect(await other.get(key)).toBe('conflict');
  });
});

describe('issue 11 item 12: a "__proto__" field is kept as an own property', () => {
  const clients: Client[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  for (const [protocol, mapAs] of [[2, 'auto'], [3, 'auto'], [3, 'map']] as const) {
    it(`issue 11 item 12: RESP${protocol} mapAs ${mapAs}: HGETALL and XRANGE keep __proto__`, async () => {
      const { host, port } = standaloneTarget();
      const c = createClient({ host, port, protocol, mapAs });
      clients.push(c);
      await c.connect();
      const h = k('hash');
      await c.hset(h, '__proto__', 'proto-value', 'plain', 'x');
      const all = await c.hgetall(h);
      expect(Object.getPrototypeOf(all)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(all, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(all, '__proto__')?.value).toBe('proto-value');
      expect(all.plain).toBe('x');
      expect(Object.keys(all).sort()).toEqual(['__proto__', 'plain']);

      const s = k('stream');
      await c.call('XADD', s, '*', '__proto__', 'in-stream', 'f', 'v');
      const [entry] = await c.xrange(s);
      expect(Object.getOwnPropertyDescriptor(entry!.message, '__proto__')?.value).toBe('in-stream');
      expect(Object.getPrototypeOf(entry!.message)).toBe(Object.prototype);
      const read = await c.xread([{ key: s, id: '0' }]);
      expect(Object.getOwnPropertyDescriptor(read![0]!.messages[0]!.message, '__proto__')?.value).toBe('in-stream');
    });
  }
});

describe('issue 12 item 2: an argument over maxArgumentBytes is refused before it is written', () => {
  let server: StandaloneServer;
  const LIMIT = 1024 * 1024; // the smallest proto-max-bulk-len the server accepts
  beforeAll(async () => {
    server = await startStandalone();
    expect(await redisCli(server.port, 'CONFIG', 'SET', 'proto-max-bulk-len', String(LIMIT))).toBe('OK');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('issue 12 item 2: the oversized command fails alone, naming command, argument index and size; in-flight commands keep their replies', async () => {
    const c = createClient({ host: server.host, port: server.port, maxArgumentBytes: LIMIT, commandTimeout: 5000, reconnect: false });
    await c.connect();
    try {
      const key = k('big');
      const id = randomUUID();
      const before = Array.from({ length: 100 }, (_, i) => c.echo(`${id}:before:${i}`));
      const tooBig = c.set(key, 'x'.repeat(LIMIT + 1)).catch((e: unknown) => e);
      const tooBigBuffer = c.call('SET', key, Buffer.alloc(LIMIT + 1)).catch((e: unknown) => e);
      // Three bytes per character in UTF-8: under the limit in characters, over it in bytes.
      const tooBigUtf8 = c.call('SET', key, '€'.repeat(Math.ceil((LIMIT + 1) / 3))).catch((e: unknown) => e);
      const after = Array.from({ length: 100 }, (_, i) => c.echo(`${id}:after:${i}`));
      for (const [what, p, size] of [
        ['string', tooBig, LIMIT + 1],
        ['Buffer', tooBigBuffer, LIMIT + 1],
        ['UTF-8', tooBigUtf8, 3 * Math.ceil((LIMIT + 1) / 3)],
      ] as const) {
        const error = await within(p, 5000, `oversized ${what}`);
        expect(error, what).toBeInstanceOf(ArgumentTypeError);
        const e = error as ArgumentTypeError;
        expect(e.command).toBe('SET');
        expect(e.index).toBe(1);
        expect(e.problem).toBe('too-large');
        expect(e.message).toContain('SET');
        expect(e.message).toContain('#1');
        expect(e.message).toContain(String(size));
      }
      const echoes = await within(Promise.all([...before, ...after]), 5000, 'echoes around the refusal');
      echoes.forEach((v, i) => expect(v).toBe(i < 100 ? `${id}:before:${i}` : `${id}:after:${i - 100}`));
      // At the limit itself the server takes it.
      expect(await c.set(key, Buffer.alloc(LIMIT, 97))).toBe('OK');
      expect(await c.strlen(key)).toBe(LIMIT);
      // In a pipeline the whole batch is refused before anything is written.
      const other = k('other');
      const batch = await c.pipeline().set(other, '1').set(key, Buffer.alloc(LIMIT + 1)).exec().catch((e: unknown) => e);
      expect(batch).toBeInstanceOf(ArgumentTypeError);
      expect(await c.get(other)).toBeNull();
      expect(c.status).toBe('ready');
    } finally {
      c.disconnect();
    }
  });

  it('issue 12 item 2: maxArgumentBytes defaults to 512 MiB and is validated', () => {
    expect(() => createClient({ maxArgumentBytes: 0 })).toThrow(SlotlineError);
    expect(() => createClient({ maxArgumentBytes: -1 })).toThrow(/maxArgumentBytes/);
  });
});

describe('issue 11 item 10 / issue 10 §5: no password reachable from the client objects', () => {
  const PASSWORD = `pw-${randomUUID()}`;
  const WRONG = `wrong-${randomUUID()}`;
  let server: StandaloneServer;
  let cluster: ClusterHandle;
  beforeAll(async () => {
    [server, cluster] = await Promise.all([startStandalone({ password: PASSWORD }), startCluster({ password: PASSWORD, primaries: 3, replicasPerPrimary: 0 })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
  });

  function expectNoSecret(what: string, values: readonly unknown[], secrets: readonly string[]): void {
    for (const v of values) {
      for (const text of views(v)) {
        for (const secret of secrets) expect(text.includes(secret), `${what} shows the password: ${text.slice(0, 300)}`).toBe(false);
      }
    }
  }

  it('issue 11 item 10: standalone client with a URL password', async () => {
    const events: unknown[] = [];
    const c = createClient(`redis://default:${PASSWORD}@${server.host}:${server.port}`);
    for (const e of ['ready', 'error', 'reconnecting', 'end', 'push'] as const) c.on(e, (...args: unknown[]) => events.push(e, ...args));
    expectNoSecret('unconnected client', [c], [PASSWORD]);
    await c.connect();
    expect(await c.ping()).toBe('PONG');
    await c.blpop(k('pool'), 0.01); // opens the pool too
    expectNoSecret('connected client', [c, c.pipeline().get('a'), c.multi().get('a'), Object.keys(c)], [PASSWORD]);
    await c.watch(k('w'), (tx) => {
      expectNoSecret('watch transaction', [tx, tx.multi()], [PASSWORD]);
      return undefined;
    });
    await c.close();
    expectNoSecret('client events', events, [PASSWORD]);

    const bad = createClient({ host: server.host, port: server.port, password: WRONG, reconnect: false });
    const failure = await bad.connect().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SlotlineError);
    expectNoSecret('wrong-password client and its error', [bad, failure], [WRONG]);
    const badUrl = await Promise.resolve()
      .then(() => createClient(`redis://:${WRONG}@[bad`))
      .catch((e: unknown) => e);
    expectNoSecret('bad URL error', [badUrl], [WRONG]);
  });

  it('issue 11 item 10: cluster client with `password`', async () => {
    const events: unknown[] = [];
    const seed = cluster.nodes[0]!;
    const c: Cluster = createCluster({ nodes: [{ host: seed.host, port: seed.port }], password: PASSWORD, refreshInterval: 100 });
    c.on('refresh', (m) => events.push('refresh', m));
    c.on('error', (e) => events.push('error', e));
    expectNoSecret('unconnected cluster', [c], [PASSWORD]);
    await c.connect();
    const tag = `{${randomUUID()}}`;
    expect(await c.set(`${tag}a`, '1')).toBe('OK');
    expect(await c.pipeline().get(`${tag}a`).exec()).toEqual(['1']);
    await c.blpop(`${tag}list`, 0.01);
    expectNoSecret('connected cluster', [c, c.slotMap, c.stats, c.pipeline().get('a')], [PASSWORD]);
    await c.close();
    expectNoSecret('cluster events', events, [PASSWORD]);

    const bad = createCluster({ nodes: [{ host: seed.host, port: seed.port }], password: WRONG, connectTimeout: 2000 });
    const failure = await bad.connect().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SlotlineError);
    expectNoSecret('wrong-password cluster and its error', [bad, failure], [WRONG]);
    bad.disconnect();
  });
});
