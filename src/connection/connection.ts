/**
 * One multiplexed socket to one server: dial, handshake, automatic pipelining (every command
 * issued in a tick goes out in one write), reconnection. The only module that touches net/tls.
 * The commands themselves (order, back-pressure, timeouts, settling) are data in queue.ts.
 * Must not import the client, batch or cluster layers.
 *
 * One state machine, one socket at a time:
 *
 *   idle ─connect()─▶ connecting ─open ok─▶ ready ─socket lost─▶ reconnecting ─delay─▶ open
 *                        │ open fails: closed        ▲                │ open fails: next delay,
 *                        ▼                           └──── open ok ───┘ or closed (gave up)
 *   ready ─close()─▶ closing (QUIT, bounded) ─▶ closed ◀─disconnect()─ any state
 *
 * Only two things start a reconnect delay: losing a ready socket, and an open that failed
 * while reconnecting; a socket closing during a handshake fails that open and nothing else.
 * 'closed' is final: every step of an open checks it after each await and gives its socket up.
 * A command written to a socket that then dies is rejected, never re-sent: it may have run.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { ConnectionError, ProtocolError, TimeoutError, type ReplyError } from '../errors.js';
import { Decoder } from '../resp/decoder.js';
import { CommandWriter, checkArgs } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { Command } from '../commands/command.js';
import { channels, redactArgs } from '../diagnostics.js';
import { backoffDelay, type ResolvedOptions } from './options.js';
import { handshake, settingsOf, type HandshakeSettings } from './handshake.js';
import { Batch, CommandQueue, NO_ARGS, batchOf, failUnit, settle, single, type Unit } from './queue.js';

/**
 * Commands issued one by one are written at the end of the tick, all in one write, except
 * when this many are waiting and the server has no more than that in hand: then they go at
 * once, so the server works on them while the rest of the tick issues more (with 100 callers
 * in flight, 1.15-1.28x in A/B runs; with 1,000 the rule rarely fires and the write stays one).
 */
const EARLY_WRITE = 32;

export type ConnectionStatus = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

export interface ConnectionEvents {
  ready: [];
  error: [Error];
  reconnecting: [{ attempt: number; delay: number }];
  end: [];
  push: [RespValue[]];
}

export class Connection extends EventEmitter<ConnectionEvents> {
  readonly options: ResolvedOptions;
  readonly address: string;
  #settings: HandshakeSettings;
  #socket: net.Socket | undefined;
  /** The socket of an open in progress (dialing or in its handshake), destroyed by disconnect(). */
  #opening: net.Socket | undefined;
  #status: ConnectionStatus = 'idle';
  #protocol: 2 | 3 = 3;
  #decoder: Decoder;
  #writer = new CommandWriter();
  readonly #queue: CommandQueue;
  #flushScheduled = false;
  #socketBusy = false;
  #timer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #everReady = false;
  #ended = false;
  #closing: Promise<void> | undefined;
  #generation = 0;

  constructor(options: ResolvedOptions, settings?: Partial<HandshakeSettings>) {
    super();
    this.options = options;
    this.address = `${options.host}:${options.port}`;
    this.#settings = { ...settingsOf(options), ...settings };
    this.#queue = new CommandQueue(options.maxInFlight);
    this.#decoder = this.#newDecoder();
  }

  get status(): ConnectionStatus {
    return this.#status;
  }
  get protocol(): 2 | 3 {
    return this.#protocol;
  }
  /**
   * Bumped by every successful handshake. State the server keeps per connection or per process
   * (loaded scripts, READONLY) is only known for the generation it was seen in.
   */
  get generation(): number {
    return this.#generation;
  }
  /** Commands accepted and not yet answered (all lists). */
  get pendingCount(): number {
    return this.#queue.size;
  }

  /** Opens the socket and runs the handshake. Rejects (no retry loop) on refusal or bad credentials. */
  async connect(): Promise<void> {
    if (this.#status === 'ready') return;
    if (this.#status === 'closing' || this.#status === 'closed') throw this.#closedError();
    if (this.#status === 'connecting' || this.#status === 'reconnecting') {
      await new Promise<void>((resolve, reject) => {
        const onReady = (): void => {
          this.off('end', onEnd);
          resolve();
        };
        const onEnd = (): void => {
          this.off('ready', onReady);
          reject(this.#closedError());
        };
        this.once('ready', onReady);
        this.once('end', onEnd);
      });
      return;
    }
    this.#status = 'connecting';
    try {
      await this.#open();
    } catch (error) {
      // disconnect() during the open has already ended everything: say so, once.
      if (this.#isClosed()) throw this.#closedError();
      this.#finish(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  /** Sends one command; resolves with its (transformed) reply, rejects with its error. */
  send<T>(cmd: Command<T>): Promise<T> {
    // A bad argument is the caller's bug, but it still arrives as a rejection like every other failure.
    try {
      checkArgs(cmd.name, cmd.args);
    } catch (error) {
      return Promise.reject(error);
    }
    if (channels.command.hasSubscribers) {
      const ctx = { command: cmd.name, server: this.address, ...(this.options.traceArguments ? { args: redactArgs(cmd.name, cmd.args) } : {}) };
      return channels.command.tracePromise(() => this.#send(cmd), ctx);
    }
    return this.#send(cmd);
  }

  #send<T>(cmd: Command<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#enqueue(single(cmd as Command<unknown>, this.options.returnBuffers, this.#deadline(), resolve as (v: unknown) => void, reject));
    });
  }

  /**
   * Sends commands as one unit: all of them join the same write, nothing from other callers
   * lands between them (what MULTI/EXEC relies on), and the batch is admitted, written, refused
   * or timed out whole. Resolves with one entry per command, an error reply staying a value at
   * its index; rejects with PipelineError (written: all or none) if the batch fails as a whole.
   */
  sendBatch(cmds: readonly Command<unknown>[]): Promise<unknown[]> {
    try {
      for (const c of cmds) checkArgs(c.name, c.args);
    } catch (error) {
      return Promise.reject(error);
    }
    if (cmds.length === 0) return Promise.resolve([]);
    const run = (): Promise<unknown[]> =>
      new Promise<unknown[]>((resolve, reject) => {
        this.#enqueue(batchOf(cmds, this.options.returnBuffers, this.#deadline(), resolve, reject));
      });
    if (channels.batch.hasSubscribers) {
      // A transaction block is the only batch that ends with EXEC.
      const kind = cmds[cmds.length - 1]!.name === 'EXEC' ? 'multi' : 'pipeline';
      return channels.batch.tracePromise(run, { kind, size: cmds.length, server: this.address });
    }
    return run();
  }

  /**
   * Graceful: commands already accepted get their replies, then QUIT, then the socket closes.
   * The server gets connectTimeout to answer all that; then the socket is destroyed and what
   * is still unanswered is rejected, so close() always ends.
   */
  close(): Promise<void> {
    if (this.#status === 'closed') return Promise.resolve();
    if (this.#closing !== undefined) return this.#closing;
    if (this.#status !== 'ready') {
      this.disconnect();
      return Promise.resolve();
    }
    // QUIT is queued while still 'ready' so it lines up behind every command already accepted.
    const quit = this.#send({ name: 'QUIT', args: NO_ARGS }).catch(() => undefined);
    this.#status = 'closing';
    this.#closing = this.#closeGracefully(quit);
    return this.#closing;
  }

  async #closeGracefully(quit: Promise<unknown>): Promise<void> {
    const socket = this.#socket;
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      quit.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.connectTimeout))),
    ]);
    clearTimeout(timer);
    if (socket !== undefined && !socket.destroyed) {
      if (!answered) socket.destroy();
      else {
        await new Promise<void>((resolve) => {
          const destroy = setTimeout(() => socket.destroy(), 1000);
          socket.once('close', () => {
            clearTimeout(destroy);
            resolve();
          });
          socket.end();
        });
      }
    }
    this.#finish(new ConnectionError(`Connection to ${this.address} was closed`, 'client-closed'));
  }

  /** Immediate: the socket (or the one being opened) is destroyed and every pending command is rejected. */
  disconnect(): void {
    if (this.#status === 'closed') return;
    this.#finish(new ConnectionError(`Connection to ${this.address} was closed by disconnect()`, 'client-closed'));
  }

  // ── accepting and writing ───────────────────────────────────────────────────────────

  #deadline(): number {
    return this.options.commandTimeout > 0 ? Date.now() + this.options.commandTimeout : 0;
  }

  /** Where a new command or batch goes: the next write, the waiting line, or back with an error. */
  #enqueue(u: Unit): void {
    const q = this.#queue;
    const isBatch = u instanceof Batch;
    const size = isBatch ? u.entries.length : 1;
    const s = this.#status;
    if (s === 'ready') {
      if (q.fits(size)) {
        const waiting = q.push(u);
        if (!isBatch && waiting >= EARLY_WRITE && waiting >= q.inFlightCount) this.#write();
        else this.#scheduleFlush();
      } else if (this.options.onBackpressure === 'wait') {
        q.hold(u);
      } else {
        failUnit(u, new ConnectionError(`${this.#what(u)}: ${this.options.maxInFlight} commands already in flight to ${this.address}`, 'backpressure'));
        return;
      }
    } else if (s === 'closing' || s === 'closed') {
      failUnit(u, new ConnectionError(`${this.#what(u)}: connection to ${this.address} is closed`, 'client-closed'));
      return;
    } else if (!this.options.offlineQueue && this.#everReady) {
      failUnit(u, new ConnectionError(`${this.#what(u)}: not connected to ${this.address} and the offline queue is disabled`, 'closed'));
      return;
    } else if (q.waitingSize + size > this.options.maxOfflineQueue) {
      failUnit(u, new ConnectionError(`${this.#what(u)}: offline queue for ${this.address} is full (${this.options.maxOfflineQueue})`, 'offline-queue-full'));
      return;
    } else {
      q.hold(u);
    }
    if (this.options.commandTimeout > 0) this.#armTimer();
  }

  #what(u: Unit): string {
    return u instanceof Batch ? `Batch of ${u.entries.length}` : u.name;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(this.#flush);
  }

  #flush = (): void => {
    this.#flushScheduled = false;
    this.#write();
  };

  #add = (name: string, args: readonly RedisArg[]): void => this.#writer.add(name, args);

  /** Writes the whole write list in one write (unless the socket cannot take it now). */
  #write(): void {
    const socket = this.#socket;
    // 'closing' still writes: close() queues QUIT behind the accepted commands, then flips the status.
    // A destroyed socket (protocol failure) closes later: what waits here goes to the next one.
    if (socket === undefined || socket.destroyed || (this.#status !== 'ready' && this.#status !== 'closing') || this.#socketBusy) return;
    this.#queue.take(this.#add);
    const chunks = this.#writer.take();
    let ok = true;
    if (chunks.length === 1) ok = socket.write(chunks[0]!);
    else if (chunks.length > 1) {
      socket.cork();
      for (const c of chunks) ok = socket.write(c);
      socket.uncork();
    }
    if (!ok) this.#socketBusy = true;
  }

  #onDrain = (): void => {
    this.#socketBusy = false;
    if (this.#queue.hasToWrite) this.#scheduleFlush();
  };

  #admit(): void {
    if (this.#queue.admit()) this.#scheduleFlush();
  }

  // ── replies ─────────────────────────────────────────────────────────────────────────

  #newDecoder(): Decoder {
    return new Decoder({
      onReply: (value) => this.#onReply('value', value),
      onError: (error: ReplyError) => this.#onReply('error', error),
      onPush: (value) => this.#emit('push', value),
      returnBuffers: () => this.#queue.peekReply()?.returnBuffers ?? this.options.returnBuffers,
      mapAs: this.options.mapAs,
      setAs: this.options.setAs,
    });
  }

  #onReply(kind: 'value' | 'error', value: RespValue | ReplyError): void {
    const p = this.#queue.nextReply();
    if (p === undefined) {
      const what = kind === 'error' ? `Error reply received with no command waiting for it: ${(value as ReplyError).message}` : 'Reply received with no command waiting for it';
      this.#protocolFailure(new ProtocolError(what, 0));
      return;
    }
    settle(p, kind, value);
    if (this.#queue.waitingSize > 0 && this.#status !== 'connecting' && this.#status !== 'reconnecting') this.#admit();
  }

  #onData = (chunk: Buffer): void => {
    try {
      this.#decoder.write(chunk);
    } catch (error) {
      this.#protocolFailure(error instanceof ProtocolError ? error : new ProtocolError(String(error), 0));
    }
  };

  /** The byte stream cannot be trusted any more: fail what is in flight and reset the socket. */
  #protocolFailure(error: ProtocolError): void {
    this.#emitError(error);
    this.#queue.failWritten(error);
    this.#socket?.destroy();
  }

  // ── timeouts ────────────────────────────────────────────────────────────────────────

  #armTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(this.#onTimer, this.options.commandTimeout);
  }

  #timeoutError = (name: string): Error =>
    new TimeoutError(`${name} timed out after ${this.options.commandTimeout} ms (${this.address})`, this.options.commandTimeout);

  #onTimer = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    const next = this.#queue.expire(now, this.#timeoutError);
    if (next !== 0) this.#timer = setTimeout(this.#onTimer, Math.max(1, next - now));
  };

  // ── socket lifecycle ────────────────────────────────────────────────────────────────

  /** One attempt: dial, handshake, ready. Throws if it fails or if the connection was closed meanwhile. */
  async #open(): Promise<void> {
    const doOpen = async (): Promise<void> => {
      const socket = await this.#dial();
      if (this.#isClosed()) throw this.#closedError();
      this.#socket = socket;
      this.#decoder = this.#newDecoder();
      socket.on('data', this.#onData);
      socket.on('drain', this.#onDrain);
      socket.once('close', () => this.#onClose(socket));
      socket.on('error', (error) => this.#emitError(error));
      try {
        this.#protocol = await this.#handshake(socket);
      } finally {
        this.#opening = undefined;
      }
      if (this.#isClosed()) throw this.#closedError();
      this.#attempt = 0;
      this.#generation++;
      this.#everReady = true;
      this.#status = 'ready';
      this.#admit();
      this.#emit('ready');
    };
    if (channels.connect.hasSubscribers) {
      await channels.connect.tracePromise(doOpen, { server: this.address, attempt: this.#attempt });
    } else {
      await doOpen();
    }
  }

  /** Runs the handshake on a fresh socket within connectTimeout; on failure the socket is given up. */
  async #handshake(socket: net.Socket): Promise<2 | 3> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConnectionError(`Handshake with ${this.address} timed out after ${this.options.connectTimeout} ms`, 'handshake')), this.options.connectTimeout);
    });
    try {
      const result = await Promise.race([handshake((name, args) => this.#sendHandshake(name, args), this.#settings), timeout]);
      return result.protocol;
    } catch (error) {
      if (this.#socket === socket) this.#socket = undefined;
      socket.destroy();
      this.#queue.failWritten(error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #dial(): Promise<net.Socket> {
    const o = this.options;
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = o.tls
        ? tls.connect({ host: o.host, port: o.port, servername: net.isIP(o.host) === 0 ? o.host : undefined, ...o.tls })
        : net.connect({ host: o.host, port: o.port });
      this.#opening = socket;
      const connectEvent = o.tls ? 'secureConnect' : 'connect';
      const fail = (error: ConnectionError): void => {
        clearTimeout(timer);
        socket.off('close', onClose);
        socket.off('error', onError);
        socket.destroy();
        this.#opening = undefined;
        reject(error);
      };
      const timer = setTimeout(() => fail(new ConnectionError(`Connecting to ${this.address} timed out after ${o.connectTimeout} ms`, 'refused')), o.connectTimeout);
      const onError = (error: Error): void => fail(new ConnectionError(`Cannot connect to ${this.address}: ${error.message}`, 'refused', { cause: error }));
      // Destroyed by disconnect() before it connected.
      const onClose = (): void => fail(this.#closedError());
      socket.once('error', onError);
      socket.once('close', onClose);
      socket.once(connectEvent, () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.off('close', onClose);
        socket.setNoDelay(true);
        if (o.keepAlive > 0) socket.setKeepAlive(true, o.keepAlive);
        resolve(socket);
      });
    });
  }

  /** Handshake commands own the fresh socket: written at once, ahead of every waiting command. */
  #sendHandshake(name: string, args: readonly RedisArg[]): Promise<RespValue> {
    return new Promise<RespValue>((resolve, reject) => {
      const socket = this.#socket;
      if (socket === undefined || socket.destroyed) {
        reject(new ConnectionError(`Connection to ${this.address} lost during the handshake`, 'handshake'));
        return;
      }
      this.#queue.pushWritten(single({ name, args }, false, 0, resolve as (v: unknown) => void, reject));
      this.#writer.add(name, args);
      for (const c of this.#writer.take()) socket.write(c);
    });
  }

  #onClose(socket: net.Socket): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#socketBusy = false;
    this.#queue.failWritten(
      new ConnectionError(`Connection to ${this.address} lost with the command written; it may or may not have run`, 'closed', { written: true }),
    );
    // During a handshake the failing open decides what comes next; closing/closed end in #finish.
    if (this.#status !== 'ready') return;
    // Commands not yet written are safe to send after reconnecting: they go back in order.
    this.#queue.requeueUnwritten();
    if (this.options.reconnect === false) {
      this.#finish(new ConnectionError(`Connection to ${this.address} lost and reconnect is disabled`, 'closed'));
      return;
    }
    this.#status = 'reconnecting';
    this.#scheduleReconnect();
  }

  /** The one place a reconnect attempt is started; at most one delay or open exists at a time. */
  #scheduleReconnect(): void {
    const r = this.options.reconnect;
    if (r === false || this.#status !== 'reconnecting' || this.#reconnectTimer !== undefined) return;
    if (this.#attempt >= r.maxAttempts) {
      this.#finish(new ConnectionError(`Gave up reconnecting to ${this.address} after ${this.#attempt} attempts`, 'reconnect-gave-up'));
      return;
    }
    const delay = backoffDelay(r, this.#attempt);
    this.#attempt++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#status !== 'reconnecting') return;
      this.#open().catch((error: unknown) => {
        if (this.#status !== 'reconnecting') return;
        this.#emitError(error instanceof Error ? error : new Error(String(error)));
        this.#scheduleReconnect();
      });
    }, delay);
    this.#emit('reconnecting', { attempt: this.#attempt, delay });
  }

  /** A user listener that throws must never break the connection: its error goes to 'error'. */
  #emit<E extends 'ready' | 'reconnecting' | 'end' | 'push'>(event: E, ...args: ConnectionEvents[E]): void {
    try {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    } catch (error) {
      this.#emitError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** 'error' is informational here (every command gets its own rejection): never throw for it. */
  #emitError(error: Error): void {
    if (this.listenerCount('error') === 0) return;
    try {
      this.emit('error', error);
    } catch (thrown) {
      // The error listener itself failed: surface it the way Node does, outside the connection.
      process.nextTick(() => {
        throw thrown;
      });
    }
  }

  /** Read through a method: TypeScript would narrow the field across the awaits that change it. */
  #isClosed(): boolean {
    return this.#status === 'closed';
  }

  #closedError(): ConnectionError {
    return new ConnectionError(`Connection to ${this.address} was closed`, 'client-closed');
  }

  /** The end: no socket, no timer, every pending command rejected, 'end' once. */
  #finish(error: Error): void {
    this.#status = 'closed';
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
    this.#opening?.destroy();
    this.#opening = undefined;
    const reason = error instanceof ConnectionError ? error.reason : 'closed';
    this.#queue.failWritten(new ConnectionError(error.message, reason, { written: true }));
    this.#queue.failUnwritten(error);
    if (this.#ended) return;
    this.#ended = true;
    this.#emit('end');
  }
}
