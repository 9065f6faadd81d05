/**
 * The pure parts of Pub/Sub: which frame confirms which command, frames read into messages,
 * the registry of names and listeners, and the bounded iterator buffer.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { confirms, pubsubFrameKind } from '../../../src/commands/pubsub-replies.js';
import { readFrame, subscribeCommand, unsubscribeCommand } from '../../../src/pubsub/frames.js';
import { Registry } from '../../../src/pubsub/registry.js';
import { MessageStream } from '../../../src/pubsub/stream.js';
import { namesOf } from '../../../src/pubsub/hub.js';
import { ArgumentTypeError, PubSubOverflowError, UsageError } from '../../../src/errors.js';
import type { Client, Cluster, PubSubMessage, Subscription } from '../../../src/index.js';

describe('confirmation frames', () => {
  it.each([
    ['SUBSCRIBE', ['subscribe', 'a', 1], 'a', true],
    ['SUBSCRIBE', [Buffer.from('subscribe'), Buffer.from('a'), 1], 'a', true],
    ['SUBSCRIBE', ['subscribe', 'b', 1], 'a', false],
    ['SUBSCRIBE', ['psubscribe', 'a', 1], 'a', false],
    ['SSUBSCRIBE', ['ssubscribe', 's', 1], 's', true],
    ['SUNSUBSCRIBE', ['sunsubscribe', 's', 0], 's', true],
    ['PUNSUBSCRIBE', ['punsubscribe', 'p*', 0], 'p*', true],
    ['GET', ['subscribe', 'a', 1], 'a', false],
  ] as const)('%s confirmed by %j for %s: %s', (command, frame, name, expected) => {
    expect(confirms(frame as never, command, name)).toBe(expected);
  });

  it('tells Pub/Sub frames from other arrays', () => {
    expect(pubsubFrameKind(['message', 'c', 'm'])).toBe('message');
    expect(pubsubFrameKind(['PMESSAGE', 'p', 'c', 'm'])).toBe('pmessage');
    expect(pubsubFrameKind(['pong', ''])).toBeUndefined();
    expect(pubsubFrameKind(['invalidate', ['k']])).toBeUndefined();
    expect(pubsubFrameKind('message')).toBeUndefined();
    expect(pubsubFrameKind(['message'])).toBeUndefined();
  });

  it('builds named (un)subscribe commands that expect one confirmation per name', () => {
    expect(subscribeCommand('pattern', ['a*', 'b*'])).toEqual({ name: 'PSUBSCRIBE', args: ['a*', 'b*'], confirmedBy: ['a*', 'b*'] });
    expect(unsubscribeCommand('shard', ['s'])).toEqual({ name: 'SUNSUBSCRIBE', args: ['s'], confirmedBy: ['s'] });
  });
});

describe('readFrame', () => {
  it('reads messages of each kind, in the client form of the payload', () => {
    expect(readFrame(['message', 'c', 'hi'], false)).toEqual({ type: 'message', kind: 'channel', key: 'c', message: { channel: 'c', message: 'hi' } });
    expect(readFrame(['smessage', Buffer.from('s'), Buffer.from('hi')], false)).toEqual({
      type: 'message',
      kind: 'shard',
      key: 's',
      message: { channel: 's', message: 'hi' },
    });
    const p = readFrame(['pmessage', 'p*', 'px', 'hi'], true);
    expect(p).toEqual({ type: 'message', kind: 'pattern', key: 'p*', message: { channel: 'px', message: Buffer.from('hi'), pattern: 'p*' } });
  });

  it('reads a sunsubscribe nobody waited for as a dropped shard channel; other pushes are not Pub/Sub', () => {
    expect(readFrame(['sunsubscribe', 's', 0], false)).toEqual({ type: 'dropped', kind: 'shard', name: 's' });
    expect(readFrame(['unsubscribe', 'c', 0], false)).toEqual({ type: 'dropped', kind: 'channel', name: 'c' });
    expect(readFrame(['subscribe', 'c', 1], false)).toEqual({ type: 'stray' });
    expect(readFrame(['invalidate', ['k']], false)).toBeUndefined();
  });
});

describe('Registry', () => {
  it('says which names are new and which are left without listeners', () => {
    const r = new Registry();
    const a = (): void => undefined;
    const b = (): void => undefined;
    expect(r.add('channel', ['x', 'y'], a)).toEqual(['x', 'y']);
    expect(r.add('channel', ['y', 'z'], b)).toEqual(['z']);
    expect(r.add('pattern', ['x'], a)).toEqual(['x']);
    expect(r.remove('channel', undefined, a)).toEqual(['x']); // y keeps b
    expect(r.holds(a)).toBe(true); // still on the pattern
    expect(r.remove('channel', ['y'], undefined)).toEqual(['y']);
    expect(r.names('channel')).toEqual(['z']);
    expect(r.remove('channel', ['nope'], b)).toEqual([]);
    expect(r.remove('pattern', undefined, undefined)).toEqual(['x']);
    expect(r.holds(a)).toBe(false);
    expect(r.listeners('channel', 'z')?.has(b)).toBe(true);
  });
});

describe('MessageStream', () => {
  it('yields in order, hands a waiting next() the next push, ends done after the buffer', async () => {
    const s = new MessageStream<number>(10, () => undefined);
    s.push(1);
    s.push(2);
    expect(await s.next()).toEqual({ value: 1, done: false });
    expect(await s.next()).toEqual({ value: 2, done: false });
    const waiting = s.next();
    s.push(3);
    expect(await waiting).toEqual({ value: 3, done: false });
    s.push(4);
    s.end();
    s.push(5); // after the end: not taken
    expect(await s.next()).toEqual({ value: 4, done: false });
    expect(await s.next()).toEqual({ value: undefined, done: true });
  });

  it('overflow: keeps the buffered, loses the rest, leaves once, then throws PubSubOverflowError once', async () => {
    let left = 0;
    const s = new MessageStream<number>(2, () => left++);
    s.push(1);
    s.push(2);
    s.push(3);
    s.push(4);
    expect(left).toBe(1);
    expect(await s.next()).toEqual({ value: 1, done: false });
    expect(await s.next()).toEqual({ value: 2, done: false });
    await expect(s.next()).rejects.toBeInstanceOf(PubSubOverflowError);
    expect(await s.next()).toEqual({ value: undefined, done: true });
  });

  it('return() (a break) drops the buffer and leaves; a second concurrent next() is a UsageError', async () => {
    let left = 0;
    const s = new MessageStream<number>(5, () => left++);
    const first = s.next();
    await expect(s.next()).rejects.toBeInstanceOf(UsageError);
    s.push(1);
    await first;
    s.push(2);
    expect(await s.return()).toEqual({ value: undefined, done: true });
    expect(left).toBe(1);
    expect(await s.next()).toEqual({ value: undefined, done: true });
  });

  it('keeps a long run in a bounded array', async () => {
    const s = new MessageStream<number>(3000, () => undefined);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2000; i++) s.push(i);
      for (let i = 0; i < 2000; i++) expect((await s.next()).value).toBe(i);
    }
    expect(s.buffered).toBe(0);
  });
});

describe('namesOf', () => {
  it('accepts a name or a list, removes duplicates, refuses the rest with ArgumentTypeError', () => {
    expect(namesOf('subscribe', 'a')).toEqual(['a']);
    expect(namesOf('subscribe', ['a', 'b', 'a'])).toEqual(['a', 'b']);
    for (const bad of [[], [''], [1], 7, null, undefined]) expect(() => namesOf('subscribe', bad)).toThrow(ArgumentTypeError);
  });
});

describe('the Pub/Sub API types', () => {
  it('listener form returns a promise, iterator form a Subscription, on both clients', () => {
    // Checked by the compiler only: nothing here runs (no connection is opened).
    const typesOnly = (c: Client, k: Cluster): void => {
      expectTypeOf(c.subscribe('a', () => undefined)).toEqualTypeOf<Promise<void>>();
      expectTypeOf(c.subscribe(['a'])).toEqualTypeOf<Subscription>();
      expectTypeOf(k.ssubscribe('a', { bufferSize: 4 })).toEqualTypeOf<Subscription>();
      expectTypeOf(k.psubscribe('a*', (m) => expectTypeOf(m).toEqualTypeOf<PubSubMessage>())).toEqualTypeOf<Promise<void>>();
      expectTypeOf<PubSubMessage['message']>().toEqualTypeOf<string | Buffer>();
      expectTypeOf(c.unsubscribe).toBeCallableWith((m: PubSubMessage) => void m);
      expectTypeOf(c.spublish('s', 'x')).toEqualTypeOf<Promise<number>>();
      c.on('resubscribed', (e) => expectTypeOf(e.shardChannels).toEqualTypeOf<readonly string[]>());
      k.on('resubscribed', (e) => expectTypeOf(e.server).toEqualTypeOf<string>());
    };
    expect(typeof typesOnly).toBe('function');
  });
});

describe('PubSubHub over a router that refuses', () => {
  it('a refused subscribe rejects, leaves no listener behind, and ends its iterator with the refusal', async () => {
    const { PubSubHub } = await import('../../../src/pubsub/hub.js');
    const refusal = new Error('NOPERM no permissions to access the channel');
    const calls: string[] = [];
    const hub = new PubSubHub(
      {
        subscribe: async (kind, names) => {
          calls.push(`sub ${kind} ${names.join(',')}`);
          if (names.includes('bad')) throw refusal;
        },
        unsubscribe: async (kind, names) => void calls.push(`unsub ${kind} ${names.join(',')}`),
      },
      () => undefined,
    );
    await expect(hub.subscribe('subscribe', 'channel', ['ok', 'bad'], () => undefined)).rejects.toBe(refusal);
    expect(hub.registry.names('channel')).toEqual([]);
    const it = hub.subscribe('subscribe', 'channel', 'bad', undefined) as import('../../../src/pubsub/hub.js').Subscription;
    await expect(it.ready).rejects.toBe(refusal);
    await expect(it.next()).rejects.toBe(refusal);
    expect(hub.registry.names('channel')).toEqual([]);
    expect(calls).toEqual(['sub channel ok,bad', 'unsub channel ok,bad', 'sub channel bad', 'unsub channel bad']);
    // A listener that throws costs nobody else the message.
    const got: string[] = [];
    await hub.subscribe('subscribe', 'channel', 'c', () => {
      throw new Error('listener bug');
    });
    await hub.subscribe('subscribe', 'channel', 'c', (m: { message: string | Buffer }) => void got.push(String(m.message)));
    hub.deliver('channel', 'c', { channel: 'c', message: 'x' });
    expect(got).toEqual(['x']);
  });
});
