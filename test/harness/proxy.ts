/**
 * A fault-injecting TCP proxy on 127.0.0.1 for faults a real server cannot show on demand:
 * latency per direction, a stalled link (pause), connections cut mid-flight or after a chosen
 * byte, a blackholed connection (open, silent, never a FIN: a dead NAT or a frozen VM), and raw
 * bytes injected as if the server sent them. Each accepted client gets its own upstream
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

/** 'up': client to server; 'down': server to client. */
export type Direction = 'up' | 'down' | 'both';

/** Which connections a fault applies to: those open now, or one, by its accept number. */
export interface FaultScope {
  direction?: Direction;
  /** 1-based accept order (the first connection accepted is 1); default every open one. */
  connection?: number;
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
  /**
   * Blackhole the scoped connections: from now on they forward nothing (what is queued is
   * dropped too) and never close; both sockets stay open. Connections accepted later work.
   */
  blackhole(scope?: FaultScope): void;
  /**
   * Forward at most `bytes` more bytes on the scoped lanes (counted from now), then cut the
   * whole connection (both sockets destroyed), as if the link died at that byte.
   */
  cutAfter(bytes: number, scope?: FaultScope): void;
  /** Accept numbers of the connections open now, oldest first. */
  readonly openConnections: number[];
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
  #blackholed = false;
  /** Bytes still allowed through before the connection is cut; undefined = no limit. */
  #budget: number | undefined;
  readonly #onCut: () => void;

  constructor(source: net.Socket, sink: net.Socket, shared: Shared, onCut: () => void) {
    this.#source = source;
    this.#sink = sink;
    this.#shared = shared;
    this.#onCut = onCut;
  }

  /** Forwards nothing from now on, and never ends the sink. */
  blackhole(): void {
    this.#blackholed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
    this.#bytes = 0;
    if (this.#source.isPaused()) this.#source.resume();
  }

  cutAfter(bytes: number): void {
    this.#budget = bytes;
    this.pump();
  }

  get bytes(): number {
    return this.#bytes;
  }

  push(chunk: Buffer): void {
    if (this.#disposed || this.#blackholed) return;
    const due = Math.max(performance.now() + this.#shared.delayMs, this.#lastDue);
    this.#lastDue = due;
    this.#queue.push({ chunk, due });
    this.#bytes += chunk.length;
    if (this.#bytes > HIGH_WATER) this.#source.pause();
    this.pump();
  }

  /** The source ended: end the sink once everything queued has left. */
  finish(): void {
    if (this.#blackholed) return;
    this.#finishing = true;
    this.pump();
  }

  pump(): void {
    if (this.#disposed || this.#blackholed || this.#shared.paused || this.#blocked) return;
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
      if (this.#budget !== undefined && next.chunk.length >= this.#budget) {
        // The link dies at this byte: what fits goes out, then both sockets are destroyed.
        const last = next.chunk.subarray(0, this.#budget);
        this.#budget = 0;
        if (last.length === 0) this.#onCut();
        else this.#sink.write(last, () => this.#onCut());
        this.dispose();
        return;
      }
      if (this.#budget !== undefined) this.#budget -= next.chunk.length;
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
  id: number;
  client: net.Socket;
  upstream: net.Socket;
  up: Lane;
  down: Lane;
}

export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const shared: Shared = { delayMs: options.delayMs ?? 0, paused: false };
  const pairs = new Set<Pair>();
  let accepted = 0;

  const lanes = (scope: FaultScope | undefined): Lane[] => {
    const out: Lane[] = [];
    const direction = scope?.direction ?? 'both';
    for (const pair of pairs) {
      if (scope?.connection !== undefined && pair.id !== scope.connection) continue;
      if (direction !== 'down') out.push(pair.up);
      if (direction !== 'up') out.push(pair.down);
    }
    return out;
  };

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
    const onCut = (): void => cut(pair);
    const pair: Pair = {
      id: accepted,
      client,
      upstream,
      up: new Lane(client, upstream, shared, onCut),
      down: new Lane(upstream, client, shared, onCut),
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
    blackhole(scope?: FaultScope) {
      for (const lane of lanes(scope)) lane.blackhole();
    },
    cutAfter(bytes: number, scope?: FaultScope) {
      if (!(bytes >= 0) || !Number.isInteger(bytes)) throw new RangeError('proxy: cutAfter needs a byte count >= 0');
      for (const lane of lanes(scope)) lane.cutAfter(bytes);
    },
    get openConnections() {
      return [...pairs].map((p) => p.id);
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
