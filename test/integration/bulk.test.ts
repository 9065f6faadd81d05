/**
 * bulk(): a streamed source through the standalone client and the cluster, against real servers.
 * Order and values, errors in place, back-pressure from a slow consumer, abort, a failing source
 * and consumer, a lost connection, keys spread over every node, a slow node holding delivery
 * (the reorder buffer stays bounded), and a slot migration under a running bulk (ASK, MOVED:
 * every INCR applied exactly once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  AbortError,
  ArgumentTypeError,
  BulkError,
  CommandRefusedError,
  ConnectionError,
  CrossSlotError,
  InvalidOptionError,
  ReplyError,
  createClient,
  createCluster,
  keySlot,
  type BulkCommand,
  type BulkReply,
  type Client,
  type Cluster,
} from '../../src/index.js';
import { beginSlotMigration, finishSlotMigration, migrateKeys } from '../harness/cluster-ops.js';
import { clusterSeeds, standaloneTarget } from '../harness/context.js';
import { redisCli, type ClusterHandle } from '../harness/servers.js';
import { usePrivateCluster } from '../support/private-cluster.js';

const k = (name: string): string => `bulk-test:${randomUUID()}:${name}`;

/** A sync source that counts how far it was read and whether it was closed. */
function counted<T>(entries: Iterable<T>): { source: Iterable<T>; read: () => number; closed: () => boolean } {
  let read = 0;
  let closed = false;
  function* gen(): Generator<T> {
    try {
      for (const e of entries) {
        read++;
        yield e;
      }
    } finally {
      closed = true;
    }
  }
  return { source: gen(), read: () => read, closed: () => closed };
}

function* sets(base: string, n: number, from = 0): Generator<BulkCommand> {
  for (let i = from; i < n; i++) yield ['set', `${base}:${i}`, `v${i}`];
}

async function rejection(p: Promise<unknown>): Promise<BulkError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BulkError);
  return error as BulkError;
}

describe('bulk() on the standalone client', () => {
  let client: Client;
  beforeAll(async () => {
    client = createClient({ ...standaloneTarget() });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
  });

  it('hands every reply over in the source order, value by value, over several chunks', async () => {
    const base = k('order');
    const n = 12_000;
    function* mixed(): Generator<BulkCommand> {
      for (let i = 0; i < n; i++) {
        if (i % 3 === 0) yield ['set', `${base}:${i}`, `v${i}`];
        else if (i % 3 === 1) yield ['get', `${base}:${i - 1}`];
        else yield ['incrby', `${base}:counter`, i];
      }
    }
    const seen: BulkReply[] = [];
    const result = await client.bulk(mixed(), {
      window: 700, // several chunks in flight at once
      onReply: (reply, index) => {
        expect(index).toBe(seen.length);
        seen.push(reply);
      },
    });
    expect(result).toEqual({ sent: n, ok: n, errors: 0 });
    let counter = 0;
    seen.forEach((r, i) => {
      if (i % 3 === 0) expect(r).toBe('OK');
      else if (i % 3 === 1) expect(r).toBe(`v${i - 1}`);
      else expect(r).toBe((counter += i));
    });
    expect(await client.get(`${base}:${n - 3}`)).toBe(`v${n - 3}`);
  });

  it('keeps error replies, malformed and refused entries in place; the rest run and the connection serves on', async () => {
    const key = k('errors');
    const source: unknown[] = [
      ['set', key, 'x'],
      ['lpop', key], // WRONGTYPE
      'not a tuple',
      ['set', key, { an: 'object' }],
      ['select', 1],
      ['blpop', key, 0],
      [42, 'no name'],
      ['get', key],
    ];
    const got: Array<[number, BulkReply]> = [];
    const result = await client.bulk(source as BulkCommand[], { onReply: (reply, index) => void got.push([index, reply]) });
    expect(got.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(got[0]![1]).toBe('OK');
    expect(got[1]![1]).toBeInstanceOf(ReplyError);
    expect((got[1]![1] as ReplyError).code).toBe('WRONGTYPE');
    expect(got[2]![1]).toBeInstanceOf(ArgumentTypeError);
    expect((got[2]![1] as ArgumentTypeError).problem).toBe('shape');
    expect(got[3]![1]).toBeInstanceOf(ArgumentTypeError);
    expect((got[3]![1] as ArgumentTypeError).problem).toBe('type');
    expect(got[4]![1]).toBeInstanceOf(CommandRefusedError);
    expect((got[4]![1] as CommandRefusedError).index).toBe(4);
    expect(got[5]![1]).toBeInstanceOf(CommandRefusedError);
    expect(got[6]![1]).toBeInstanceOf(ArgumentTypeError);
    expect(got[7]![1]).toBe('x');
    expect(result).toEqual({ sent: 3, ok: 2, errors: 6 });
    expect(await client.ping()).toBe('PONG');
  });

  it('applies back-pressure: a slow async consumer is called one at a time and the source is read at most maxPending ahead', async () => {
    const base = k('slow');
    const n = 3000;
    const maxPending = 400;
    const src = counted(sets(base, n));
    let delivered = 0;
    let active = false;
    let overlapped = false;
    let maxAhead = 0;
    const result = await client.bulk(src.source, {
      window: 100,
      maxPending,
      onReply: async (_reply, index) => {
        if (active) overlapped = true;
        active = true;
        maxAhead = Math.max(maxAhead, src.read() - delivered);
        if (index % 250 === 0) await new Promise((r) => setTimeout(r, 10));
        else await Promise.resolve();
        delivered++;
        active = false;
      },
    });
    expect(result).toEqual({ sent: n, ok: n, errors: 0 });
    expect(overlapped).toBe(false);
    expect(maxAhead).toBeLessThanOrEqual(maxPending);
    // While the consumer slept, the reader filled the buffer up to its bound.
    expect(maxAhead).toBeGreaterThanOrEqual(maxPending - 100);
  });

  it('abort: settles at once with BulkError aborted, calls onReply no more, closes the source, and the client serves on', async () => {
    const base = k('abort');
    const src = counted(sets(base, 1_000_000));
    const controller = new AbortController();
    let after = 0;
    let aborted = false;
    const started = Date.now();
    const error = await rejection(
      client.bulk(src.source, {
        signal: controller.signal,
        onReply: (_r, index) => {
          if (aborted) after++;
          if (index === 2500) {
            controller.abort(new Error('enough'));
            aborted = true;
          }
        },
      }),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.reason).toBe('aborted');
    expect(error.cause).toBeInstanceOf(AbortError);
    expect(error.ok).toBe(2501);
    expect(after).toBe(0);
    expect(src.closed()).toBe(true);
    expect(src.read()).toBeLessThan(1_000_000);
    expect(await client.ping()).toBe('PONG');
    // Aborted before the start: nothing is read or sent.
    const never = counted(sets(base, 10));
    const early = await rejection(client.bulk(never.source, { signal: AbortSignal.abort() }));
    expect(early.reason).toBe('aborted');
    expect(early.sent).toBe(0);
    expect(never.read()).toBe(0);
  });

  it('a source that throws: what it gave is sent and delivered, then BulkError source with its error', async () => {
    const base = k('throws');
    const boom = new Error('source broke');
    function* failing(): Generator<BulkCommand> {
      yield* sets(base, 1500);
      throw boom;
    }
    const indexes: number[] = [];
    const error = await rejection(client.bulk(failing(), { onReply: (_r, i) => void indexes.push(i) }));
    expect(error.reason).toBe('source');
    expect(error.cause).toBe(boom);
    expect({ sent: error.sent, ok: error.ok, errors: error.errors }).toEqual({ sent: 1500, ok: 1500, errors: 0 });
    expect(indexes).toEqual(Array.from({ length: 1500 }, (_, i) => i));
    expect(await client.get(`${base}:1499`)).toBe('v1499');
    // An async source that rejects ends the same way.
    async function* asyncFailing(): AsyncGenerator<BulkCommand> {
      yield ['set', `${base}:a`, '1'];
      await new Promise((r) => setTimeout(r, 5));
      throw boom;
    }
    const asyncError = await rejection(client.bulk(asyncFailing()));
    expect([asyncError.reason, asyncError.ok]).toEqual(['source', 1]);
  });

  it('onReply throwing: BulkError consumer, nothing more delivered', async () => {
    const base = k('consumer');
    const oops = new Error('consumer broke');
    let calls = 0;
    const error = await rejection(
      client.bulk(sets(base, 5000), {
        onReply: (_r, index) => {
          calls++;
          if (index === 10) throw oops;
        },
      }),
    );
    expect(error.reason).toBe('consumer');
    expect(error.cause).toBe(oops);
    expect(calls).toBe(11);
    expect(error.ok).toBe(11);
  });

  it('an async source that waits for the replies of what it gave is not left waiting (no deadlock)', async () => {
    const key = k('feedback');
    let answered = -1;
    let wake: (() => void) | undefined;
    async function* dependent(): AsyncGenerator<BulkCommand> {
      for (let i = 0; i < 200; i++) {
        yield ['incr', key];
        // The next command only once this one's reply was handed over.
        while (answered < i) await new Promise<void>((r) => (wake = r));
      }
    }
    const replies: BulkReply[] = [];
    const result = await client.bulk(dependent(), {
      onReply: (reply, index) => {
        replies.push(reply);
        answered = index;
        wake?.();
      },
    });
    expect(result).toEqual({ sent: 200, ok: 200, errors: 0 });
    expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('a connection lost under it: the lost entries in place, nothing later sent, BulkError unanswered; the client reconnects', async () => {
    const own = createClient({ ...standaloneTarget() });
    await own.connect();
    try {
      const id = String(await own.call('CLIENT', 'ID'));
      const base = k('lost');
      function* withKill(): Generator<BulkCommand> {
        yield* sets(base, 1000);
        // The server answers this one, then closes the connection: what follows is lost.
        yield ['client', 'kill', 'id', id, 'skipme', 'no'];
        yield* sets(base, 50_000, 1001);
      }
      const src = counted(withKill());
      const lost: ConnectionError[] = [];
      const error = await rejection(own.bulk(src.source, { window: 1000, onReply: (r) => void (r instanceof ConnectionError && lost.push(r)) }));
      expect(error.reason).toBe('unanswered');
      expect(error.cause).toBeInstanceOf(ConnectionError);
      expect(lost.length).toBeGreaterThan(0);
      expect(lost[0]!.written).toBe(true);
      expect(error.ok).toBeGreaterThanOrEqual(1001);
      expect(src.read()).toBeLessThan(50_000);
      expect(await own.get(`${base}:999`)).toBe('v999');
    } finally {
      own.disconnect();
    }
  });

  it('applies keyPrefix, and refuses a bad source or bad options with typed errors', async () => {
    const prefix = `${k('prefix')}:`;
    const prefixed = createClient({ ...standaloneTarget(), keyPrefix: prefix });
    try {
      expect(await prefixed.bulk([['set', 'a', '1']])).toEqual({ sent: 1, ok: 1, errors: 0 });
      expect(await client.get(`${prefix}a`)).toBe('1');
    } finally {
      await prefixed.close();
    }
    await expect(client.bulk(42 as never)).rejects.toBeInstanceOf(ArgumentTypeError);
    await expect(client.bulk('set a 1' as never)).rejects.toBeInstanceOf(ArgumentTypeError);
    await expect(client.bulk([], { window: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(client.bulk([], { maxPending: 1.5 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(client.bulk([], { onReply: 'no' as never })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(await client.bulk([])).toEqual({ sent: 0, ok: 0, errors: 0 });
  });
});

describe('bulk() on the cluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = createCluster({ nodes: clusterSeeds() });
    await cluster.connect();
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('spreads over every primary, delivers in the source order across nodes, values checked', async () => {
    const base = k('spread');
    const n = 9000;
    function* mixed(): Generator<BulkCommand> {
      for (let i = 0; i < n; i++) {
        if (i % 2 === 0) yield ['set', `${base}:${i}`, `v${i}`];
        else yield ['get', `${base}:${i - 1}`];
      }
    }
    const replies: BulkReply[] = [];
    const result = await cluster.bulk(mixed(), { window: 500, onReply: (r, i) => void (expect(i).toBe(replies.length), replies.push(r)) });
    expect(result).toEqual({ sent: n, ok: n, errors: 0 });
    replies.forEach((r, i) => expect(r).toBe(i % 2 === 0 ? 'OK' : `v${i - 1}`));
    const nodes = new Set<number>();
    for (let i = 0; i < n; i += 2) nodes.add(cluster.nodeFor(`${base}:${i}`)!.port);
    expect(nodes.size).toBe(cluster.slotMap.primaries().length);
    const keys = Array.from({ length: n / 2 }, (_, j) => `${base}:${j * 2}`);
    expect(await cluster.mget(...keys)).toEqual(keys.map((_, j) => `v${j * 2}`));
  });

  it('splits a multi-key command, keeps a cross-slot one in place', async () => {
    const a = k('x');
    const b = k('y');
    expect(keySlot(a)).not.toBe(keySlot(b));
    const got: BulkReply[] = [];
    const result = await cluster.bulk(
      [
        ['mset', a, '1', b, '2'],
        ['mget', a, b],
        ['sunion', a, b],
        ['del', a, b],
      ],
      { onReply: (r) => void got.push(r) },
    );
    expect(got[0]).toBe('OK');
    expect(got[1]).toEqual(['1', '2']);
    expect(got[2]).toBeInstanceOf(CrossSlotError);
    expect(got[3]).toBe(2);
    expect(result.errors).toBe(1);
  });
});

describe('bulk() on a private cluster: a slow node and a slot migration under it', () => {
  let servers: ClusterHandle;
  let cluster: Cluster;
  usePrivateCluster((s, c) => {
    servers = s;
    cluster = c;
  });

  it('a paused node holds delivery in order; the others run ahead only up to maxPending', async () => {
    const base = k('hol');
    const n = 4000;
    const window = 100;
    const maxPending = 600;
    const slow = cluster.slotMap.primaries()[0]!;
    // Every 1000th command (the first one included) goes to the slow node, the rest elsewhere:
    // its window never fills, so only maxPending stops the reader while it holds the oldest reply.
    const slowKeys: string[] = [];
    const fastKeys: string[] = [];
    for (let i = 0; slowKeys.length < n / 1000 || fastKeys.length < n; i++) {
      const key = `${base}:${i}`;
      if (cluster.nodeFor(key)!.port === slow.port) slowKeys.push(key);
      else fastKeys.push(key);
    }
    const keyOf = (i: number): string => (i % 1000 === 0 ? slowKeys[i / 1000]! : fastKeys[i]!);
    function* spread(): Generator<BulkCommand> {
      for (let i = 0; i < n; i++) yield ['set', keyOf(i), `v${i}`];
    }
    const src = counted(spread());
    let delivered = 0;
    let maxAhead = 0;
    await redisCli(slow.port, 'CLIENT', 'PAUSE', '400', 'ALL');
    const result = await cluster.bulk(src.source, {
      window,
      maxPending,
      onReply: (_r, index) => {
        expect(index).toBe(delivered);
        maxAhead = Math.max(maxAhead, src.read() - delivered);
        delivered++;
      },
    });
    expect(result).toEqual({ sent: n, ok: n, errors: 0 });
    expect(maxAhead).toBeLessThanOrEqual(maxPending);
    // While the paused node held the oldest reply, the others ran ahead up to the bound.
    expect(maxAhead).toBeGreaterThanOrEqual(maxPending - window);
    expect(await cluster.get(keyOf(n - 1))).toBe(`v${n - 1}`);
    expect(await cluster.get(keyOf(1000))).toBe('v1000');
  });

  it('follows ASK and MOVED during a bulk of INCRs: every one applied exactly once, replies in place', async () => {
    const tag = 'bulk-migrate';
    const slot = keySlot(tag);
    const source = await servers.slotOwner(slot);
    const target = (await servers.primaries()).find((p) => p.port !== source.port)!;
    const a = `{${tag}}:a`;
    const b = `{${tag}}:b`;
    const other = k('other');
    await cluster.mset({ [a]: '0', [b]: '0', [other]: '0' });
    await beginSlotMigration(source, target, slot);
    await migrateKeys(source, target, [a]);
    const askBefore = cluster.stats.ask;
    const movedBefore = cluster.stats.moved;
    const n = 6000;
    const keyOf = (i: number): string => (i % 3 === 0 ? a : i % 3 === 1 ? b : other);
    function* incrs(): Generator<BulkCommand> {
      for (let i = 0; i < n; i++) yield ['incr', keyOf(i)];
    }
    const replies = new Map<string, number[]>([[a, []], [b, []], [other, []]]);
    let finished = false;
    const result = await cluster.bulk(incrs(), {
      window: 300,
      onReply: async (reply, index) => {
        expect(typeof reply).toBe('number');
        replies.get(keyOf(index))!.push(reply as number);
        if (index === 2000) {
          // The consumer holds the run while the slot finishes moving: later chunks meet MOVED.
          await migrateKeys(source, target, [b]);
          const primaries = (await servers.primaries()).map((p) => ({ port: p.port, id: p.id }));
          await finishSlotMigration(primaries, source, target, slot);
          finished = true;
        }
      },
    });
    expect(finished).toBe(true);
    expect(result).toEqual({ sent: n, ok: n, errors: 0 });
    expect(cluster.stats.ask).toBeGreaterThan(askBefore);
    expect(cluster.stats.moved).toBeGreaterThan(movedBefore);
    for (const [key, got] of replies) {
      // Each INCR ran once: its replies are exactly 1..count, none repeated, none missing.
      expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: n / 3 }, (_, i) => i + 1));
      expect(await cluster.get(key)).toBe(String(n / 3));
    }
    expect(cluster.slotMap.primaryOf(slot)?.port).toBe(target.port);
  }, 30_000);
});
