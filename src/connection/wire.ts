/**
 * Commands on and off one socket: where a new command goes (next write, waiting line, or back
 * with an error), automatic pipelining (every command issued in a tick goes out in one write),
 * replies matched in order, command timeouts. The commands themselves are data in queue.ts;
 * the socket's life (dial, handshake, reconnect) is connection.ts's, which tells this module
 * its status. Never creates a socket; must not import the client, batch or cluster layers.
 */
import type { Socket } from 'node:net';
import { ConnectionError, ProtocolError, TimeoutError, type ReplyError } from '../errors.js';
import { Decoder } from '../resp/decoder.js';
import { CommandWriter } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { ResolvedOptions } from './options.js';
import type { Stamps } from '../diagnostics.js';
import { confirms, pubsubFrameKind } from '../commands/pubsub-replies.js';
import { CommandQueue } from './queue.js';
import { Batch, NO_ARGS, failUnit, settle, single, type Pending, type Unit } from './entries.js';

/**
 * Commands issued one by one are written at the end of the tick, all in one write, except
 * when this many are waiting and the server has no more than that in hand: then they go at
 * once, so the server works on them while the rest of the tick issues more (with 100 callers
 * in flight, 1.15-1.28x in A/B runs; with 1,000 the rule rarely fires and the write stays one).
 */
const EARLY_WRITE = 32;

export type ConnectionStatus = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

export interface WireEvents {
  push(value: RespValue[]): void;
  error(error: Error): void;
  /** Commands waited two health-check intervals and not one byte came back: give the socket up. */
  unresponsive(silentMs: number): void;
}

const ignore = (): void => undefined;

function stampLastWrite(timed: readonly Stamps[]): void {
  const t = performance.now();
  for (const s of timed) s.lastByteWritten = t;
}

export class Wire {
  /** Set by the connection at each transition; decides admission and whether user commands are written. */
  status: ConnectionStatus = 'idle';
  /** False once the connection has been ready and the offline queue is off. */
  offlineAllowed = true;
  /**
   * A connection dedicated to subscriptions: under RESP2 its messages arrive as plain array
   * replies, so a Pub/Sub array that no command is waiting for is passed on as a push.
   */
  subscriber = false;
  readonly #options: ResolvedOptions;
  readonly #address: string;
  readonly #events: WireEvents;
  readonly #queue: CommandQueue;
  readonly #writer = new CommandWriter();
  #decoder: Decoder;
  #socket: Socket | undefined;
  #flushScheduled = false;
  #socketBusy = false;
  #timer: NodeJS.Timeout | undefined;
  /** Chunks received on this socket: the health check only asks whether it moved. */
  #received = 0;
  #receivedAtCheck = 0;
  #silentChecks = 0;
  #healthTimer: NodeJS.Timeout | undefined;

  constructor(options: ResolvedOptions, address: string, events: WireEvents) {
    this.#options = options;
    this.#address = address;
    this.#events = events;
    this.#queue = new CommandQueue(options.maxInFlight);
    this.#decoder = this.#newDecoder();
  }

  get pendingCount(): number {
    return this.#queue.size;
  }

  deadline(): number {
    return this.#options.commandTimeout > 0 ? Date.now() + this.#options.commandTimeout : 0;
  }

  /** Where a new command goes. */
  enqueueOne(p: Pending): void {
    const q = this.#queue;
    if (this.status === 'ready' && q.fits(1)) {
      const waiting = q.pushOne(p);
      if (waiting >= EARLY_WRITE && waiting >= q.inFlightCount) this.#write();
      else this.#scheduleFlush();
      if (this.#options.commandTimeout > 0) this.#armTimer();
      return;
    }
    this.enqueue(p);
  }

  /** Where a new command or batch goes; a batch goes whole or is refused whole. */
  enqueue(u: Unit): void {
    const q = this.#queue;
    const o = this.#options;
    const size = u instanceof Batch ? u.entries.length : 1;
    const s = this.status;
    if (s === 'ready') {
      if (q.fits(size)) {
        q.push(u);
        this.#scheduleFlush();
      } else if (o.onBackpressure === 'wait') {
        q.hold(u);
      } else {
        this.#refuse(u, `${o.maxInFlight} commands already in flight to ${this.#address}`, 'backpressure');
        return;
      }
    } else if (s === 'closing' || s === 'closed') {
      this.#refuse(u, `connection to ${this.#address} is closed`, 'client-closed');
      return;
    } else if (!this.offlineAllowed) {
      this.#refuse(u, `not connected to ${this.#address} and the offline queue is disabled`, 'closed');
      return;
    } else if (q.waitingSize + size > o.maxOfflineQueue) {
      this.#refuse(u, `offline queue for ${this.#address} is full (${o.maxOfflineQueue})`, 'offline-queue-full');
      return;
    } else {
      q.hold(u);
    }
    if (o.commandTimeout > 0) this.#armTimer();
  }

  #refuse(u: Unit, why: string, reason: 'backpressure' | 'client-closed' | 'closed' | 'offline-queue-full'): void {
    const what = u instanceof Batch ? `Batch of ${u.entries.length}` : u.name;
    failUnit(u, new ConnectionError(`${what}: ${why}`, reason));
  }

  /** Lets held commands through, in order, as far as maxInFlight allows (e.g. once ready). */
  admit(): void {
    if (this.#queue.admit()) this.#scheduleFlush();
  }

  // ── the socket ──────────────────────────────────────────────────────────────────────

  /** A fresh socket: its bytes feed a fresh decoder; user commands go out once status is 'ready'. */
  attach(socket: Socket): void {
    this.#socket = socket;
    this.#socketBusy = false;
    this.#decoder = this.#newDecoder();
    this.#stopHealthCheck();
    socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
  }

  /**
   * The socket is gone (or given up): what was written fails with `written` (it may have run);
   * with `requeue`, the unwritten commands go back to wait for the next socket, in order.
   */
  detach(written: Error, requeue: boolean): void {
    this.#socket = undefined;
    this.#stopHealthCheck();
    this.#socketBusy = false;
    this.#queue.failWritten(written);
    if (requeue) this.#queue.requeueUnwritten();
  }

  /** The end: everything still pending fails; no timer stays behind. */
  failAll(written: Error, unwritten: Error): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopHealthCheck();
    this.#socket = undefined;
    this.#queue.failWritten(written);
    this.#queue.failUnwritten(unwritten);
  }

  /** A handshake command: it owns the fresh socket, so it is written at once, ahead of every waiting command. */
  sendDirect(name: string, args: readonly RedisArg[], confirmedBy?: readonly string[]): Promise<RespValue> {
    return new Promise<RespValue>((resolve, reject) => {
      const socket = this.#socket;
      if (socket === undefined || socket.destroyed) {
        reject(new ConnectionError(`Connection to ${this.#address} lost during the handshake`, 'handshake'));
        return;
      }
      this.#queue.pushWritten(single({ name, args, confirmedBy }, false, 0, resolve as (v: unknown) => void, reject));
      this.#writer.add(name, args);
      for (const c of this.#writer.take()) socket.write(c);
    });
  }

  // ── writing ─────────────────────────────────────────────────────────────────────────

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(this.#flush);
  }

  #flush = (): void => {
    this.#flushScheduled = false;
    this.#write();
  };

  /** Writes the whole write list in one write (unless the socket cannot take it now). */
  #write(): void {
    const socket = this.#socket;
    // 'closing' still writes: close() queues QUIT behind the accepted commands, then flips the status.
    // A destroyed socket (protocol failure) closes later: what waits here goes to the next one.
    if (socket === undefined || socket.destroyed || (this.status !== 'ready' && this.status !== 'closing') || this.#socketBusy) return;
    this.#queue.take(this.#writer);
    const chunks = this.#writer.take();
    const timed = this.#queue.takeTimed();
    // Traced batches learn when Node handed their last byte to the kernel: the last write's callback.
    const done = timed === null ? undefined : (): void => stampLastWrite(timed);
    let ok = true;
    if (chunks.length === 1) ok = socket.write(chunks[0]!, done);
    else if (chunks.length > 1) {
      socket.cork();
      for (let i = 0; i < chunks.length; i++) ok = socket.write(chunks[i]!, i === chunks.length - 1 ? done : undefined);
      socket.uncork();
    }
    if (!ok) this.#socketBusy = true;
    if (this.#healthTimer === undefined && this.#options.healthCheckInterval > 0) this.#startHealthCheck();
  }

  #onDrain = (): void => {
    this.#socketBusy = false;
    if (this.#queue.hasToWrite) this.#scheduleFlush();
  };

  // ── replies ─────────────────────────────────────────────────────────────────────────

  #newDecoder(): Decoder {
    return new Decoder({
      onReply: (value) => this.#onReply('value', value),
      onError: (error: ReplyError) => this.#onReply('error', error),
      onPush: (value) => {
        if (!this.#confirm(value)) this.#events.push(value);
      },
      returnBuffers: () => this.#queue.peekReply()?.returnBuffers ?? this.#options.returnBuffers,
      mapAs: this.#options.mapAs,
      setAs: this.#options.setAs,
    });
  }

  /**
   * A subscribe-family command is answered by one confirmation frame per name (a push under
   * RESP3, an array reply under RESP2), never by a reply of its own: a frame that confirms the
   * next name of the command at the head settles it once the last name is confirmed. Anything
   * else (a message, a sunsubscribe sent because a slot moved) is not a reply. True if consumed.
   */
  #confirm(frame: RespValue[]): boolean {
    const p = this.#queue.peekReply();
    const c = p?.confirm;
    if (c === null || c === undefined || !confirms(frame, p!.name, c.names[c.next]!)) return false;
    if (++c.next === c.names.length) {
      this.#queue.nextReply();
      settle(p!, 'value', frame[2] ?? null);
      if (this.#queue.waitingSize > 0 && (this.status === 'ready' || this.status === 'closing')) this.admit();
    }
    return true;
  }

  #onReply(kind: 'value' | 'error', value: RespValue | ReplyError): void {
    if (kind === 'value' && Array.isArray(value) && (this.subscriber || this.#queue.peekReply()?.confirm != null)) {
      if (this.#confirm(value)) return;
      // RESP2 subscriber mode: messages are arrays too. PING's ['pong', ''] is a reply.
      if (this.subscriber && pubsubFrameKind(value) !== undefined) {
        this.#events.push(value);
        return;
      }
    }
    const p = this.#queue.nextReply();
    if (p === undefined) {
      const what = kind === 'error' ? `Error reply received with no command waiting for it: ${(value as ReplyError).message}` : 'Reply received with no command waiting for it';
      this.#protocolFailure(new ProtocolError(what, 0));
      return;
    }
    settle(p, kind, value);
    // During a handshake the waiting commands stay where they are until the connection is ready.
    if (this.#queue.waitingSize > 0 && (this.status === 'ready' || this.status === 'closing')) this.admit();
  }

  #onData = (chunk: Buffer): void => {
    this.#received++;
    try {
      this.#decoder.write(chunk);
    } catch (error) {
      this.#protocolFailure(error instanceof ProtocolError ? error : new ProtocolError(String(error), 0));
    }
  };

  /** The byte stream cannot be trusted any more: fail what is in flight and reset the socket. */
  #protocolFailure(error: ProtocolError): void {
    this.#events.error(error);
    this.#queue.failWritten(error);
    this.#socket?.destroy();
  }

  // ── half-open detection (healthCheckInterval, see options.ts) ─────────────────────────

  /** Armed by a write, so an idle connection costs nothing; disarmed once nothing is in flight. */
  #startHealthCheck(): void {
    this.#receivedAtCheck = this.#received;
    this.#silentChecks = 0;
    this.#healthTimer = setTimeout(this.#onHealthCheck, this.#options.healthCheckInterval);
  }

  #stopHealthCheck(): void {
    if (this.#healthTimer !== undefined) clearTimeout(this.#healthTimer);
    this.#healthTimer = undefined;
  }

  #onHealthCheck = (): void => {
    this.#healthTimer = undefined;
    if (this.#queue.inFlightCount === 0 || this.status !== 'ready') return;
    const interval = this.#options.healthCheckInterval;
    if (this.#received !== this.#receivedAtCheck) {
      this.#receivedAtCheck = this.#received;
      this.#silentChecks = 0;
    } else if (++this.#silentChecks >= 2) {
      this.#events.unresponsive(this.#silentChecks * interval);
      return;
    } else {
      // A probe: on a socket whose peer is gone, writing draws a reset and the close comes at once.
      this.enqueueOne(single({ name: 'PING', args: NO_ARGS }, false, 0, ignore, ignore));
    }
    this.#healthTimer = setTimeout(this.#onHealthCheck, interval);
  };

  // ── timeouts ────────────────────────────────────────────────────────────────────────

  #armTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(this.#onTimer, this.#options.commandTimeout);
  }

  #timeoutError = (name: string, written: boolean): Error =>
    new TimeoutError(
      `${name} timed out after ${this.#options.commandTimeout} ms (${this.#address})${written ? '' : '; it was never sent'}`,
      this.#options.commandTimeout,
      { written },
    );

  #onTimer = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    const next = this.#queue.expire(now, this.#timeoutError);
    if (next !== 0) this.#timer = setTimeout(this.#onTimer, Math.max(1, next - now));
  };
}
