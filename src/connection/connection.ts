/**
 * One multiplexed socket to one server: connect, handshake, automatic pipelining (every command
 * issued in a tick goes out in one write), replies matched in order, timeouts, back-pressure,
 * reconnection with an offline queue. The only module that touches net/tls.
 * Must not import the client, pipeline or cluster layers.
 *
 * Lists (see queue.ts for the entry type):
 *   #offline   accepted while not ready; drained in order once the handshake is done
 *   #overflow  accepted while maxInFlight was reached (onBackpressure 'wait')
 *   #toWrite   to be written at the end of this tick
 *   #inFlight  written, waiting for replies (FIFO; head = next reply)
 * A command written to a socket that then dies is rejected, never re-sent: it may have run.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import Denque from 'denque';
import { ConnectionError, ProtocolError, TimeoutError, ReplyError } from '../errors.js';
import { Decoder } from '../resp/decoder.js';
import { CommandWriter, checkArgs } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { Command } from '../commands/command.js';
import { channels, redactArgs } from '../diagnostics.js';
import { backoffDelay, type ResolvedOptions } from './options.js';
import { handshake, settingsOf, type HandshakeSettings } from './handshake.js';
import { BatchSink, NO_ARGS, Pending, failEntry, settleError, settleReply } from './queue.js';

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
  #status: ConnectionStatus = 'idle';
  #protocol: 2 | 3 = 3;
  #decoder: Decoder;
  #writer = new CommandWriter();
  #offline = new Denque<Pending>();
  #overflow = new Denque<Pending>();
  #toWrite: Pending[] = [];
  #inFlight = new Denque<Pending>();
  #flushScheduled = false;
  #socketBusy = false;
  #timer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #everReady = false;
  /** True while handshake commands own the socket: user commands wait in #offline. */
  #handshaking = false;
  #generation = 0;

  constructor(options: ResolvedOptions, settings?: Partial<HandshakeSettings>) {
    super();
    this.options = options;
    this.address = `${options.host}:${options.port}`;
    this.#settings = { ...settingsOf(options), ...settings };
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
    return this.#offline.length + this.#overflow.length + this.#toWrite.length + this.#inFlight.length;
  }

  /** Opens the socket and runs the handshake. Rejects (no retry loop) on refusal or bad credentials. */
  async connect(): Promise<void> {
    if (this.#status === 'ready') return;
    if (this.#status === 'connecting' || this.#status === 'reconnecting') {
      await new Promise<void>((resolve, reject) => {
        const onReady = (): void => {
          this.off('end', onEnd);
          resolve();
        };
        const onEnd = (): void => {
          this.off('ready', onReady);
          reject(new ConnectionError(`Connection to ${this.address} closed`, 'client-closed'));
        };
        this.once('ready', onReady);
        this.once('end', onEnd);
      });
      return;
    }
    if (this.#status === 'closing' || this.#status === 'closed') {
      throw new ConnectionError(`Connection to ${this.address} was closed`, 'client-closed');
    }
    this.#status = 'connecting';
    try {
      await this.#open();
    } catch (error) {
      this.#status = 'closed';
      this.#rejectQueued(error instanceof Error ? error : new Error(String(error)));
      this.emit('end');
      throw error;
    }
  }

  /** Sends one command; resolves with its (transformed) reply, rejects with its error. */
  send<T>(cmd: Command<T>): Promise<T> {
    // A bad argument is the caller's bug, but it still arrives as a rejection like every other failure.
    try {
      checkArgs(cmd.name, cmd.args, this.options.maxArgumentBytes);
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
      const p = new Pending(
        cmd.name,
        cmd.args,
        cmd.transform as ((r: RespValue) => unknown) | undefined,
        cmd.returnBuffers ?? this.options.returnBuffers,
        resolve as (v: unknown) => void,
        reject,
        null,
        0,
        this.#deadline(),
      );
      this.#accept(p);
    });
  }

  /**
   * Sends commands as one unit: all of them join the same write, nothing from other callers
   * lands between them (what MULTI/EXEC relies on). Resolves with one entry per command, an
   * error reply staying a value at its index; rejects with PipelineError if the batch as a
   * whole fails.
   */
  sendBatch(cmds: readonly Command<unknown>[]): Promise<unknown[]> {
    for (const c of cmds) checkArgs(c.name, c.args, this.options.maxArgumentBytes);
    if (cmds.length === 0) return Promise.resolve([]);
    const run = (): Promise<unknown[]> =>
      new Promise<unknown[]>((resolve, reject) => {
        const sink = new BatchSink(cmds.length, resolve, reject);
        const deadline = this.#deadline();
        const entries: Pending[] = new Array<Pending>(cmds.length);
        for (let i = 0; i < cmds.length; i++) {
          const c = cmds[i]!;
          entries[i] = new Pending(
            c.name,
            c.args,
            c.transform as ((r: RespValue) => unknown) | undefined,
            c.returnBuffers ?? this.options.returnBuffers,
            null,
            null,
            sink,
            i,
            deadline,
          );
        }
        this.#acceptMany(entries);
      });
    if (channels.batch.hasSubscribers) {
      // A transaction block is the only batch that ends with EXEC.
      const kind = cmds[cmds.length - 1]!.name === 'EXEC' ? 'multi' : 'pipeline';
      return channels.batch.tracePromise(run, { kind, size: cmds.length, server: this.address });
    }
    return run();
  }

  /** Graceful: commands already accepted get their replies, then QUIT, then the socket closes. */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    if (this.#status !== 'ready') {
      this.disconnect();
      return;
    }
    // QUIT is queued while still 'ready' so it lines up behind every command already accepted.
    const quit = this.#send({ name: 'QUIT', args: NO_ARGS }).catch(() => undefined);
    this.#status = 'closing';
    this.#clearReconnect();
    const socket = this.#socket;
    await quit;
    if (socket !== undefined && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      });
    }
    this.#finish(new ConnectionError(`Connection to ${this.address} was closed`, 'client-closed'));
  }

  /** Immediate: the socket is destroyed and every pending command is rejected. */
  disconnect(): void {
    if (this.#status === 'closed') return;
    this.#status = 'closing';
    this.#clearReconnect();
    this.#socket?.destroy();
    this.#finish(new ConnectionError(`Connection to ${this.address} was closed by disconnect()`, 'client-closed'));
  }

  // ── accepting commands ──────────────────────────────────────────────────────────────

  #deadline(): number {
    return this.options.commandTimeout > 0 ? Date.now() + this.options.commandTimeout : 0;
  }

  #accept(p: Pending): void {
    const s = this.#status;
    if (s === 'ready' && !this.#handshaking) {
      if (this.#overflow.length === 0 && this.#toWrite.length + this.#inFlight.length < this.options.maxInFlight) {
        const waiting = this.#toWrite.push(p);
        if (waiting >= EARLY_WRITE && waiting >= this.#inFlight.length) this.#write();
        else this.#scheduleFlush();
      } else if (this.options.onBackpressure === 'fail') {
        failEntry(p, new ConnectionError(`${p.name}: ${this.options.maxInFlight} commands already in flight to ${this.address}`, 'backpressure'));
        return;
      } else {
        this.#overflow.push(p);
      }
    } else if (s === 'closing' || s === 'closed') {
      failEntry(p, new ConnectionError(`${p.name}: connection to ${this.address} is closed`, 'client-closed'));
      return;
    } else if (!this.options.offlineQueue && this.#everReady) {
      failEntry(p, new ConnectionError(`${p.name}: not connected to ${this.address} and the offline queue is disabled`, 'closed'));
      return;
    } else if (this.#offline.length >= this.options.maxOfflineQueue) {
      failEntry(p, new ConnectionError(`${p.name}: offline queue for ${this.address} is full (${this.options.maxOfflineQueue})`, 'offline-queue-full'));
      return;
    } else {
      this.#offline.push(p);
    }
    if (p.deadline !== 0) this.#armTimer();
  }

  #acceptMany(entries: Pending[]): void {
    const s = this.#status;
    if (s === 'ready' && !this.#handshaking && this.#overflow.length === 0) {
      // A batch is never split by back-pressure: it waits whole or goes whole.
      const room = this.options.maxInFlight - this.#toWrite.length - this.#inFlight.length;
      if (room >= entries.length || this.#toWrite.length + this.#inFlight.length === 0) {
        for (const p of entries) this.#toWrite.push(p);
        this.#scheduleFlush();
        if (entries[0]!.deadline !== 0) this.#armTimer();
        return;
      }
    }
    if (s === 'closing' || s === 'closed' || s === 'ready') {
      for (const p of entries) this.#accept(p);
      return;
    }
    if (!this.options.offlineQueue && this.#everReady) {
      failEntry(entries[0]!, new ConnectionError(`Batch: not connected to ${this.address} and the offline queue is disabled`, 'closed'));
      return;
    }
    if (this.#offline.length + entries.length > this.options.maxOfflineQueue) {
      failEntry(entries[0]!, new ConnectionError(`Batch of ${entries.length}: offline queue for ${this.address} is full`, 'offline-queue-full'));
      return;
    }
    for (const p of entries) this.#offline.push(p);
    if (entries[0]!.deadline !== 0) this.#armTimer();
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

  /** Encodes and writes everything in #toWrite (unless the socket cannot take it now). */
  #write(): void {
    const socket = this.#socket;
    // 'closing' still writes: close() queues QUIT behind the accepted commands, then flips the status.
    // A destroyed socket (protocol failure) closes later: what waits here goes to the next one.
    if (socket === undefined || socket.destroyed || (this.#status !== 'ready' && this.#status !== 'closing') || this.#socketBusy) return;
    const batch = this.#toWrite;
    if (batch.length === 0) return;
    this.#toWrite = [];
    const writer = this.#writer;
    const inFlight = this.#inFlight;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      if (p.timedOut) continue;
      writer.add(p.name, p.args);
      p.args = NO_ARGS;
      p.written = true;
      if (p.sink !== null) p.sink.written++;
      inFlight.push(p);
    }
    const chunks = writer.take();
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
    if (this.#toWrite.length > 0) this.#scheduleFlush();
  };

  /** Moves waiting commands into the write list while there is room. */
  #admit(): void {
    const max = this.options.maxInFlight;
    let moved = false;
    while (this.#overflow.length > 0 && this.#toWrite.length + this.#inFlight.length < max) {
      this.#toWrite.push(this.#overflow.shift()!);
      moved = true;
    }
    if (moved) this.#scheduleFlush();
  }

  // ── replies ─────────────────────────────────────────────────────────────────────────

  #newDecoder(): Decoder {
    return new Decoder({
      onReply: (value) => {
        const p = this.#inFlight.shift();
        if (p === undefined) {
          this.#protocolFailure(new ProtocolError('Reply received with no command waiting for it', 0));
          return;
        }
        settleReply(p, value);
        if (this.#overflow.length > 0) this.#admit();
      },
      onError: (error: ReplyError) => {
        const p = this.#inFlight.shift();
        if (p === undefined) {
          this.#protocolFailure(new ProtocolError(`Error reply received with no command waiting for it: ${error.message}`, 0));
          return;
        }
        settleError(p, error);
        if (this.#overflow.length > 0) this.#admit();
      },
      onPush: (value) => {
        this.emit('push', value);
      },
      returnBuffers: () => this.#inFlight.peekFront()?.returnBuffers ?? this.options.returnBuffers,
      mapAs: this.options.mapAs,
      setAs: this.options.setAs,
    });
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
    const inFlight = this.#inFlight;
    this.#inFlight = new Denque<Pending>();
    for (let p = inFlight.shift(); p !== undefined; p = inFlight.shift()) failEntry(p, error);
    this.#socket?.destroy();
  }

  // ── timeouts ────────────────────────────────────────────────────────────────────────

  #armTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(this.#onTimer, this.options.commandTimeout);
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    let next = 0;
    const expire = (p: Pending): boolean => {
      if (p.timedOut || p.deadline === 0) return false;
      if (p.deadline > now) {
        if (next === 0 || p.deadline < next) next = p.deadline;
        return true; // deadlines grow along each list: stop here
      }
      failEntry(p, new TimeoutError(`${p.name} timed out after ${this.options.commandTimeout} ms (${this.address})`, this.options.commandTimeout));
      p.timedOut = true;
      return false;
    };
    for (const list of [this.#inFlight, this.#overflow, this.#offline]) {
      for (let i = 0; i < list.length; i++) if (expire(list.peekAt(i)!)) break;
    }
    for (const p of this.#toWrite) if (expire(p)) break;
    if (next !== 0) this.#timer = setTimeout(this.#onTimer, Math.max(1, next - now));
  };

  // ── socket lifecycle ────────────────────────────────────────────────────────────────

  async #open(): Promise<void> {
    const o = this.options;
    const attempt = this.#attempt;
    const doOpen = async (): Promise<void> => {
      const socket = await this.#dial();
      this.#socket = socket;
      this.#decoder = this.#newDecoder();
      socket.on('data', this.#onData);
      socket.on('drain', this.#onDrain);
      socket.once('close', () => this.#onClose(socket));
      socket.on('error', (error) => this.#emitError(error));
      this.#handshaking = true;
      this.#status = 'ready'; // handshake commands need a writable connection
      const timer = setTimeout(() => socket.destroy(new ConnectionError(`Handshake with ${this.address} timed out after ${o.connectTimeout} ms`, 'handshake')), o.connectTimeout);
      try {
        const result = await handshake((name, args) => this.#sendHandshake(name, args), this.#settings);
        this.#protocol = result.protocol;
      } catch (error) {
        socket.removeAllListeners('close');
        socket.destroy();
        this.#socket = undefined;
        this.#status = 'connecting';
        throw error;
      } finally {
        clearTimeout(timer);
        this.#handshaking = false;
      }
      this.#attempt = 0;
      this.#generation++;
      this.#everReady = true;
      this.#status = 'ready';
      this.#drainOffline();
      this.emit('ready');
    };
    if (channels.connect.hasSubscribers) {
      await channels.connect.tracePromise(doOpen, { server: this.address, attempt });
    } else {
      await doOpen();
    }
  }

  #dial(): Promise<net.Socket> {
    const o = this.options;
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = o.tls
        ? tls.connect({ host: o.host, port: o.port, servername: net.isIP(o.host) === 0 ? o.host : undefined, ...o.tls })
        : net.connect({ host: o.host, port: o.port });
      const connectEvent = o.tls ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(`Connecting to ${this.address} timed out after ${o.connectTimeout} ms`, 'refused'));
      }, o.connectTimeout);
      const onError = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ConnectionError(`Cannot connect to ${this.address}: ${error.message}`, 'refused', { cause: error }));
      };
      socket.once('error', onError);
      socket.once(connectEvent, () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.setNoDelay(true);
        if (o.keepAlive > 0) socket.setKeepAlive(true, o.keepAlive);
        resolve(socket);
      });
    });
  }

  /** Handshake commands bypass the offline queue: they are written at once, ahead of it. */
  #sendHandshake(name: string, args: readonly RedisArg[]): Promise<RespValue> {
    return new Promise<RespValue>((resolve, reject) => {
      const p = new Pending(name, args, undefined, false, resolve as (v: unknown) => void, reject, null, 0, 0);
      this.#writer.add(name, args);
      p.written = true;
      this.#inFlight.push(p);
      for (const c of this.#writer.take()) this.#socket!.write(c);
    });
  }

  #drainOffline(): void {
    const max = this.options.maxInFlight;
    while (this.#offline.length > 0) {
      const p = this.#offline.shift()!;
      if (p.timedOut) continue;
      if (this.#toWrite.length + this.#inFlight.length < max || p.sink !== null) this.#toWrite.push(p);
      else this.#overflow.push(p);
    }
    this.#scheduleFlush();
  }

  #onClose(socket: net.Socket): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#socketBusy = false;
    const lost = new ConnectionError(`Connection to ${this.address} lost with the command written; it may or may not have run`, 'closed', { written: true });
    const inFlight = this.#inFlight;
    this.#inFlight = new Denque<Pending>();
    for (let p = inFlight.shift(); p !== undefined; p = inFlight.shift()) failEntry(p, lost);
    if (this.#status === 'closing' || this.#status === 'closed') return;
    // Commands not yet written are safe to send after reconnecting: they go back in order.
    const unsent = [...this.#toWrite, ...this.#overflow.toArray()];
    this.#toWrite = [];
    this.#overflow.clear();
    for (let i = unsent.length - 1; i >= 0; i--) {
      const p = unsent[i]!;
      if (p.sink !== null && p.sink.written > 0) failEntry(p, lost);
      else this.#offline.unshift(p);
    }
    if (this.options.reconnect === false) {
      this.#status = 'closed';
      this.#finish(new ConnectionError(`Connection to ${this.address} lost and reconnect is disabled`, 'closed'));
      return;
    }
    this.#status = 'reconnecting';
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const r = this.options.reconnect;
    if (r === false) return;
    if (this.#attempt >= r.maxAttempts) {
      this.#finish(new ConnectionError(`Gave up reconnecting to ${this.address} after ${this.#attempt} attempts`, 'reconnect-gave-up'));
      return;
    }
    const delay = backoffDelay(r, this.#attempt);
    this.#attempt++;
    this.emit('reconnecting', { attempt: this.#attempt, delay });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#status !== 'reconnecting') return;
      this.#open().catch((error: unknown) => {
        if (this.#status !== 'connecting' && this.#status !== 'reconnecting') return;
        this.#status = 'reconnecting';
        this.#emitError(error instanceof Error ? error : new Error(String(error)));
        this.#scheduleReconnect();
      });
    }, delay);
  }

  /** 'error' is informational here (every command gets its own rejection): never throw for it. */
  #emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #clearReconnect(): void {
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
  }

  #rejectQueued(error: Error): void {
    for (const list of [this.#offline, this.#overflow]) {
      for (let p = list.shift(); p !== undefined; p = list.shift()) failEntry(p, error);
    }
    const toWrite = this.#toWrite;
    this.#toWrite = [];
    for (const p of toWrite) failEntry(p, error);
  }

  #finish(error: ConnectionError): void {
    const wasClosed = this.#status === 'closed' && this.#timer === undefined && this.pendingCount === 0;
    this.#status = 'closed';
    this.#clearReconnect();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const inFlight = this.#inFlight;
    this.#inFlight = new Denque<Pending>();
    for (let p = inFlight.shift(); p !== undefined; p = inFlight.shift()) {
      failEntry(p, new ConnectionError(error.message, error.reason, { written: true }));
    }
    this.#rejectQueued(error);
    if (!wasClosed) this.emit('end');
  }
}
