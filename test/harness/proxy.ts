/**
 * A fault-injecting TCP proxy on 127.0.0.1 for faults a real server cannot show on demand:
 * latency per direction, a stalled link (pause), connections cut mid-flight, and raw bytes
 * injected as if the server sent them. Each accepted client gets its own upstream
 * connection to the target. Imports only node:net; must not import from src/ or vitest.
 *
 * One connection, two lanes, each a FIFO of chunks stamped with the time they may leave:
 *
 *   client ──data──▶ [up lane:   chunk@due, chunk@due, …] ──▶ server
 *   client ◀──────── [down lane: chunk@due, chunk@due, …] ◀──data── server
 *
 * due = max(arrival + delay, due of the previous chunk), so order survives a smaller delay,
 * and each lane has at most one timer (for its head), never one per chunk or byte.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ProxyTarget {
  host: string;
  port: number;
}

export interface ProxyOptions {
  target: ProxyTarget;
  /** Added to each direction; default 0. */
  delayMs?: number;
}

export interface Proxy {
  readonly host: string;
  readonly port: number;
  /** Client connections open now. */
  readonly connections: number;
  /** Client connections accepted since start. */
  readonly accepted: number;
  /** Bytes held back right now (waiting for their delay, or paused), both directions. */
  readonly buffered: number;
  /** Delay for chunks that arrive from now on (queued chunks keep theirs). */
  setDelay(ms: number): void;
  /** Stop forwarding in both directions; bytes are buffered, not dropped. */
  pause(): void;
  /** Forward again; buffered bytes leave in order (at once if already due). */
  resume(): void;
  /** Destroy every client connection and its upstream, mid-flight. */
  cutAll(): void;
  /** Write raw bytes to every client now, ahead of anything queued. Returns how many got them. */
  inject(bytes: Buffer): number;
  /** Stop listening and cut every connection. */
  close(): Promise<void>;
}

interface Shared {
  delayMs: number;
  paused: boolean;
}

interface Queued {
  chunk: Buffer;
  due: number;
}

const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

/** One direction of one connection. */
class Lane {
  readonly #source: net.Socket;
  readonly #sink: net.Socket;
  readonly #shared: Shared;
  #queue: Queued[] = [];
  #head = 0;
  #bytes = 0;
  #lastDue = 0;
  #timer: NodeJS.Timeout | undefined;
  #blocked = false;
  #finishing = false;
  #disposed = false;

  constructor(source: net.Socket, sink: net.Socket, shared: Shared) {
    this.#source = source;
    this.#sink = sink;
    this.#shared = shared;
  }

  get bytes(): number {
    return this.#bytes;
  }

  push(chunk: Buffer): void {
    if (this.#disposed) return;
    const due = Math.max(performance.now() + this.#shared.delayMs, this.#lastDue);
    this.#lastDue = due;
    this.#queue.push({ chunk, due });
    this.#bytes += chunk.length;
    if (this.#bytes > HIGH_WATER) this.#source.pause();
    this.pump();
  }

  /** The source ended: end the sink once everything queued has left. */
  finish(): void {
    this.#finishing = true;
    this.pump();
  }

  pump(): void {
    if (this.#disposed || this.#shared.paused || this.#blocked) return;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const now = performance.now();
    while (this.#head < this.#queue.length) {
      const next = this.#queue[this.#head] as Queued;
      if (next.due > now) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.pump();
        }, Math.max(1, Math.ceil(next.due - now)));
        return;
      }
      this.#head++;
      this.#bytes -= next.chunk.length;
      const more = this.#sink.write(next.chunk);
      if (!more) {
        this.#blocked = true;
        this.#sink.once('drain', () => {
          this.#blocked = false;
          this.pump();
        });
        break;
      }
    }
    this.#compact();
    if (this.#bytes < LOW_WATER && this.#source.isPaused()) this.#source.resume();
    if (this.#finishing && !this.#blocked && this.#head === this.#queue.length) this.#sink.end();
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#queue = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  /** Drops sent entries in bulk instead of shifting one by one. */
  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  up: Lane;
  down: Lane;
}

export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const shared: Shared = { delayMs: options.delayMs ?? 0, paused: false };
  const pairs = new Set<Pair>();
  let accepted = 0;

  const cut = (pair: Pair): void => {
    pairs.delete(pair);
    pair.up.dispose();
    pair.down.dispose();
    pair.client.destroy();
    pair.upstream.destroy();
  };

  // allowHalfOpen: a FIN from one side must not end the other before delayed bytes left.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    accepted++;
    const upstream = net.connect({ host: options.target.host, port: options.target.port, allowHalfOpen: true });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair: Pair = {
      client,
      upstream,
      up: new Lane(client, upstream, shared),
      down: new Lane(upstream, client, shared),
    };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => pair.up.push(chunk));
    upstream.on('data', (chunk: Buffer) => pair.down.push(chunk));
    client.on('end', () => pair.up.finish());
    upstream.on('end', () => pair.down.finish());
    // A reset or refused upstream on either side is passed on as a cut of the whole pair.
    client.on('error', () => cut(pair));
    upstream.on('error', () => cut(pair));
    let closed = 0;
    const onClose = (): void => {
      if (++closed === 2) cut(pair);
    };
    client.on('close', () => {
      pair.down.dispose();
      onClose();
    });
    upstream.on('close', () => {
      pair.up.dispose();
      onClose();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy: no listening address');

  return {
    host: '127.0.0.1',
    port: address.port,
    get connections() {
      return pairs.size;
    },
    get accepted() {
      return accepted;
    },
    get buffered() {
      let bytes = 0;
      for (const pair of pairs) bytes += pair.up.bytes + pair.down.bytes;
      return bytes;
    },
    setDelay(ms: number) {
      if (!(ms >= 0)) throw new RangeError('proxy: delay must be >= 0');
      shared.delayMs = ms;
    },
    pause() {
      shared.paused = true;
    },
    resume() {
      shared.paused = false;
      for (const pair of pairs) {
        pair.up.pump();
        pair.down.pump();
      }
    },
    cutAll() {
      for (const pair of [...pairs]) cut(pair);
    },
    inject(bytes: Buffer) {
      let count = 0;
      for (const pair of pairs) {
        if (pair.client.writable) {
          pair.client.write(bytes);
          count++;
        }
      }
      return count;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const pair of [...pairs]) cut(pair);
      });
    },
  };
}
