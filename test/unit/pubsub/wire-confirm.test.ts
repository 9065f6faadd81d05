/**
 * The wire settles a subscribe-family command from its confirmation frames, in order, and
 * never hands a message (or any unsolicited push) to a pending command: RESP3 pushes on a
 * shared connection, RESP2 array replies on a subscriber connection. A fake socket, real bytes.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Wire } from '../../../src/connection/wire.js';
import { submitOne } from '../../../src/connection/submit.js';
import { resolveOptions } from '../../../src/connection/options.js';
import { subscribeCommand, unsubscribeCommand } from '../../../src/pubsub/frames.js';
import type { RespValue } from '../../../src/resp/types.js';

class FakeSocket extends EventEmitter {
  destroyed = false;
  written: string[] = [];
  write(chunk: Buffer | string): boolean {
    this.written.push(chunk.toString());
    return true;
  }
  cork(): void {}
  uncork(): void {}
  destroy(): void {
    this.destroyed = true;
  }
}

const bulk = (s: string): string => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const frame = (head: '>' | '*', ...items: Array<string | number>): string =>
  `${head}${items.length}\r\n${items.map((i) => (typeof i === 'number' ? `:${i}\r\n` : bulk(i))).join('')}`;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(subscriber = false): { wire: Wire; socket: FakeSocket; pushes: RespValue[][]; options: ReturnType<typeof resolveOptions> } {
  const options = resolveOptions({ commandTimeout: 0, healthCheckInterval: 0 });
  const pushes: RespValue[][] = [];
  const wire = new Wire(options, 'fake', { push: (v) => pushes.push(v), error: () => undefined, unresponsive: () => undefined });
  const socket = new FakeSocket();
  wire.attach(socket as unknown as Socket);
  wire.status = 'ready';
  wire.subscriber = subscriber;
  return { wire, socket, pushes, options };
}

describe('wire: subscribe confirmations (RESP3 pushes)', () => {
  it('settles SUBSCRIBE from its confirmations while messages and replies interleave', async () => {
    const { wire, socket, pushes, options } = setup();
    const send = <T>(cmd: Parameters<typeof submitOne<T>>[3]): Promise<T> => submitOne(wire, options, 'fake', cmd);
    const a = send({ name: 'GET', args: ['a'] });
    const sub = send(subscribeCommand('channel', ['x', 'y']));
    const b = send({ name: 'GET', args: ['b'] });
    await tick();
    expect(socket.written.join('')).toContain('SUBSCRIBE');
    socket.emit(
      'data',
      Buffer.from(
        bulk('1') +
          frame('>', 'message', 'z', 'early') + // a message for an older subscription: not a reply
          frame('>', 'subscribe', 'x', 1) +
          frame('>', 'message', 'x', 'hi') +
          frame('>', 'subscribe', 'y', 2) +
          bulk('2'),
      ),
    );
    expect(await a).toBe('1');
    expect(await sub).toBe(2);
    expect(await b).toBe('2');
    expect(pushes).toEqual([
      ['message', 'z', 'early'],
      ['message', 'x', 'hi'],
    ]);
  });

  it('passes on a sunsubscribe for another channel while an SSUBSCRIBE waits (a slot moved)', async () => {
    const { wire, socket, pushes, options } = setup();
    const pending = submitOne(wire, options, 'fake', subscribeCommand('shard', ['s1']));
    await tick();
    socket.emit('data', Buffer.from(frame('>', 'sunsubscribe', 's0', 0) + frame('>', 'ssubscribe', 's1', 1)));
    expect(await pending).toBe(1);
    expect(pushes).toEqual([['sunsubscribe', 's0', 0]]);
  });

  it('settles UNSUBSCRIBE the same way, and keeps invalidation pushes for their own handler', async () => {
    const { wire, socket, pushes, options } = setup();
    const pending = submitOne(wire, options, 'fake', unsubscribeCommand('channel', ['x']));
    await tick();
    socket.emit('data', Buffer.from(`>2\r\n${bulk('invalidate')}*1\r\n${bulk('k')}` + frame('>', 'unsubscribe', 'x', 0)));
    expect(await pending).toBe(0);
    expect(pushes).toEqual([['invalidate', ['k']]]);
  });
});

describe('wire: a RESP2 subscriber connection', () => {
  it('settles SUBSCRIBE from array replies, passes messages on, and answers PING with its array', async () => {
    const { wire, socket, pushes, options } = setup(true);
    const sub = submitOne(wire, options, 'fake', subscribeCommand('pattern', ['p*']));
    const ping = submitOne(wire, options, 'fake', { name: 'PING', args: [] });
    await tick();
    socket.emit('data', Buffer.from(frame('*', 'psubscribe', 'p*', 1) + frame('*', 'pmessage', 'p*', 'px', 'hi') + frame('*', 'pong', '')));
    expect(await sub).toBe(1);
    expect(await ping).toEqual(['pong', '']);
    expect(pushes).toEqual([['pmessage', 'p*', 'px', 'hi']]);
  });

  it('on a shared RESP2 connection an array reply is a reply, even one that looks like a message', async () => {
    const { wire, socket, pushes, options } = setup(false);
    const r = submitOne(wire, options, 'fake', { name: 'LRANGE', args: ['l', 0, -1] });
    await tick();
    socket.emit('data', Buffer.from(frame('*', 'message', 'a', 'b')));
    expect(await r).toEqual(['message', 'a', 'b']);
    expect(pushes).toEqual([]);
  });
});
