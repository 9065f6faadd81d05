import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  createClient,
  ExecAbortError,
  ReplyError,
  WatchConflictError,
  type Client,
} from '../../src/index.js';
import { standaloneTarget } from '../harness/context.js';

const k = (name: string): string => `batch-test:${randomUUID()}:${name}`;

describe('pipeline()', () => {
  let client: Client;
  beforeAll(async () => {
    client = createClient({ ...standaloneTarget(), maxBatch: 1000 });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
  });

  it('keeps the order of a 5,000-command mixed pipeline, value by value', async () => {
    const p = client.pipeline();
    const expected: unknown[] = [];
    const base = k('mixed');
    for (let i = 0; i < 5000; i++) {
      switch (i % 4) {
        case 0:
          p.set(`${base}:${i}`, `v${i}`);
          expected.push('OK');
          break;
        case 1:
          p.get(`${base}:${i - 1}`);
          expected.push(`v${i - 1}`);
          break;
        case 2:
          p.incrby(`${base}:counter`, i);
          expected.push(undefined);
          break;
        default:
          p.echo(`e${i}`);
          expected.push(`e${i}`);
      }
    }
    const results = await p.exec();
    expect(results.length).toBe(5000);
    let counter = 0;
    results.forEach((r, i) => {
      if (i % 4 === 2) {
        counter += i;
        expect(r).toBe(counter);
      } else {
        expect(r).toBe(expected[i]);
      }
    });
  });

  it('keeps a failing command in place; the others apply', async () => {
    const key = k('fail');
    const [a, b, c, d] = await client.pipeline().set(key, 'x').lpop(key).get(key).incr(key).exec();
    expect(a).toBe('OK');
    expect(b).toBeInstanceOf(ReplyError);
    expect((b as ReplyError).code).toBe('WRONGTYPE');
    expect((b as ReplyError).command).toBe('LPOP');
    expect(c).toBe('x');
    expect(d).toBeInstanceOf(ReplyError);
    await expect(client.pipeline().set(key, 'y').lpop(key).exec({ raiseOnError: true })).rejects.toBeInstanceOf(ReplyError);
    expect(await client.get(key)).toBe('y');
  });

  it('types the results of a whole chain', async () => {
    const key = k('typed');
    const [ok, v, n] = await client.pipeline().set(key, '1').get(key).incr(key).exec();
    expectTypeOf(ok).toEqualTypeOf<string | null | ReplyError>();
    expectTypeOf(v).toEqualTypeOf<string | null | ReplyError>();
    expectTypeOf(n).toEqualTypeOf<number | ReplyError>();
    expect([ok, v, n]).toEqual(['OK', '1', 2]);
  });

  it('accepts the array form and an empty pipeline resolves to []', async () => {
    const key = k('arr');
    expect(await client.pipeline([['set', key, '1'], ['get', key]]).exec()).toEqual(['OK', '1']);
    expect(await client.pipeline().exec()).toEqual([]);
  });

  it('runs pipelines far over maxBatch with results intact', async () => {
    const small = createClient({ ...standaloneTarget(), maxBatch: 100 });
    await small.connect();
    const p = small.pipeline();
    for (let i = 0; i < 100_000; i++) p.echo(String(i));
    const results: unknown[] = await p.exec();
    expect(results.length).toBe(100_000);
    for (let i = 0; i < results.length; i += 997) expect(results[i]).toBe(String(i));
    expect(results[99_999]).toBe('99999');
    await small.close();
  });
});

describe('multi()', () => {
  let client: Client;
  beforeAll(async () => {
    client = createClient(standaloneTarget());
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
  });

  it('runs MULTI/EXEC and applies reply transforms to EXEC results', async () => {
    const h = k('h');
    const results = await client.multi().hset(h, { a: '1' }).hgetall(h).incr(k('n')).exec();
    expect(results).toEqual([1, { a: '1' }, 1]);
  });

  it('aborts the whole transaction on a queue-time error, naming the index', async () => {
    const key = k('abort');
    const err = await client
      .multi()
      .set(key, 'should-not-exist')
      .call('NOSUCHCOMMAND', 'x')
      .exec()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecAbortError);
    expect((err as ExecAbortError).errors.map((e) => e.index)).toEqual([1]);
    expect(await client.get(key)).toBeNull();
  });

  it('keeps an exec-time error in place and applies the rest (no rollback)', async () => {
    const key = k('exec');
    const [a, b, c] = await client.multi().set(key, 'str').lpop(key).set(`${key}:2`, 'applied').exec();
    expect(a).toBe('OK');
    expect(b).toBeInstanceOf(ReplyError);
    expect(c).toBe('OK');
    expect(await client.get(`${key}:2`)).toBe('applied');
  });

  it('discard() sends nothing', async () => {
    const key = k('discard');
    const m = client.multi().set(key, 'x');
    m.discard();
    await expect(m.exec()).rejects.toThrow(/discarded/);
    expect(await client.get(key)).toBeNull();
  });

  it('stays atomic under automatic pipelining with concurrent traffic', async () => {
    const key = k('atomic');
    await client.set(key, '0');
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      work.push(client.incr(key));
      work.push(client.multi().incr(key).incr(key).get(key).exec());
    }
    const out = await Promise.all(work);
    for (let i = 1; i < out.length; i += 2) {
      const [x, y, z] = out[i] as [number, number, string];
      expect(y).toBe(x + 1);
      expect(Number(z)).toBe(y);
    }
    expect(await client.get(key)).toBe('600');
  });
});

describe('watch()', () => {
  let client: Client;
  beforeAll(async () => {
    client = createClient({ ...standaloneTarget(), poolSize: 20 });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
  });

  it('20 concurrent watchers × 50 increments end at exactly 1,000, with real conflicts', async () => {
    const key = k('counter');
    await client.set(key, '0');
    let conflicts = 0;
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        const res = await client.watch(
          key,
          async (tx) => {
            const v = await tx.get(key);
            return tx.multi().set(key, String(Number(v) + 1));
          },
          { maxAttempts: 1000, onConflict: () => conflicts++ },
        );
        expect(res).toEqual(['OK']);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(await client.get(key)).toBe('1000');
    expect(conflicts).toBeGreaterThan(0);
  });

  it('gives up with WatchConflictError after maxAttempts', async () => {
    const key = k('always-conflict');
    await client.set(key, '0');
    let calls = 0;
    const err = await client
      .watch(
        key,
        async (tx) => {
          calls++;
          await client.incr(key); // another writer changes the key every time
          return tx.multi().set(key, 'mine');
        },
        { maxAttempts: 3 },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatchConflictError);
    expect(calls).toBe(3);
  });

  it('resolves null when the callback gives up, and leaves a clean connection when it throws', async () => {
    const key = k('clean');
    await client.set(key, '1');
    expect(await client.watch(key, () => undefined)).toBeNull();
    const small = createClient({ ...standaloneTarget(), poolSize: 1 });
    await small.connect();
    await expect(
      small.watch(key, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // The single pooled connection must not still WATCH the key: another write must not abort this.
    await client.set(key, '2');
    const res = await small.watch(k('other'), async (tx) => tx.multi().set(key, '3'));
    expect(res).toEqual(['OK']);
    expect(await client.get(key)).toBe('3');
    await small.close();
  });
});

describe('blocking commands', () => {
  it('BLPOP waiting 1 s does not stall 1,000 other commands on the same client', async () => {
    const client = createClient(standaloneTarget());
    await client.connect();
    const list = k('blocking');
    const order: string[] = [];
    const blocked = client.blpop(list, 1).then((r) => {
      order.push('blpop');
      return r;
    });
    const others = Promise.all(Array.from({ length: 1000 }, (_, i) => client.echo(String(i)))).then((r) => {
      order.push('others');
      return r;
    });
    const [popped, echoed] = await Promise.all([blocked, others]);
    expect(popped).toBeNull();
    expect(echoed[999]).toBe('999');
    // The 1,000 commands finished while BLPOP still waited out its second.
    expect(order).toEqual(['others', 'blpop']);
    await client.close();
  });
});
