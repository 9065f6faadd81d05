/**
 * The ceiling for a Node process: commands written straight to a net.Socket (NoDelay),
 * batches pre-encoded once and cached, replies only counted (reply-counter.ts), one promise
 * per command or batch resolved in FIFO order. Writes of one tick leave in one writev
 * (cork now, uncork on nextTick), as any pipelining client would do. Standalone only.
 */
import net from 'node:net';
import { ReplyCounter } from './reply-counter.js';
import type { Adapter, ClientSpec, Cmd, Target } from './types.js';

interface Waiter {
  remaining: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

function bulk(arg: string): string {
  return `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
}

export function encodeSet(key: string, value: string): string {
  return `*3\r\n$3\r\nSET\r\n${bulk(key)}${bulk(value)}`;
}

export function encodeGet(key: string): string {
  return `*2\r\n$3\r\nGET\r\n${bulk(key)}`;
}

export function encodeCmds(cmds: readonly Cmd[]): Buffer {
  const parts = cmds.map((c) => (c.kind === 'set' ? encodeSet(c.key, c.value) : encodeGet(c.key)));
  return Buffer.from(parts.join(''));
}

class RawAdapter implements Adapter {
  readonly #socket: net.Socket;
  readonly #counter = new ReplyCounter();
  readonly #encoded = new WeakMap<readonly Cmd[], Buffer>();
  #waiters: Waiter[] = [];
  #head = 0;
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => this.#failAll(error));
    socket.on('close', () => this.#failAll(new Error('raw socket closed')));
  }

  #onData(chunk: Buffer): void {
    let done = this.#counter.feed(chunk);
    while (done > 0 && this.#head < this.#waiters.length) {
      const w = this.#waiters[this.#head] as Waiter;
      const take = Math.min(done, w.remaining);
      w.remaining -= take;
      done -= take;
      if (w.remaining === 0) {
        this.#head++;
        // Errors are not attributed to their command (the counter keeps no positions): any
        // error fails the waiter that completes with or after it. Enough for a ceiling.
        if (this.#counter.errors > 0) {
          w.reject(new Error(`${this.#counter.errors} error replies`));
          this.#counter.errors = 0;
        } else w.resolve();
      }
    }
    // Compact once the consumed prefix dominates, so the array does not grow forever.
    if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
  }

  #failAll(error: Error): void {
    for (let i = this.#head; i < this.#waiters.length; i++) this.#waiters[i]?.reject(error);
    this.#waiters = [];
    this.#head = 0;
  }

  #send(payload: string | Buffer, replies: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ remaining: replies, resolve, reject });
      if (!this.#corked) {
        this.#corked = true;
        this.#socket.cork();
        process.nextTick(this.#uncork);
      }
      this.#socket.write(payload);
    });
  }

  set(key: string, value: string): Promise<void> {
    return this.#send(encodeSet(key, value), 1);
  }
  get(key: string): Promise<void> {
    return this.#send(encodeGet(key), 1);
  }
  ping(): Promise<void> {
    return this.#send('*1\r\n$4\r\nPING\r\n', 1);
  }
  batch(cmds: readonly Cmd[]): Promise<void> {
    let payload = this.#encoded.get(cmds);
    if (payload === undefined) {
      payload = encodeCmds(cmds);
      this.#encoded.set(cmds, payload);
    }
    return this.#send(payload, cmds.length);
  }
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    });
  }
}

export function connectRaw(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export const raw: ClientSpec = {
  name: 'raw socket (baseline)',
  role: 'baseline',
  pkg: 'node',
  clusterCapable: false,
  async open(target: Target): Promise<Adapter> {
    if (target.kind !== 'standalone') throw new Error('raw baseline is standalone only');
    return new RawAdapter(await connectRaw(target.host, target.port));
  },
};
