/**
 * One multiplexed socket to one server, and its life: dial (socket.ts), handshake, reconnect,
 * close. Commands come in through submit.ts; on and off the socket (admission, automatic
 * pipelining, replies, timeouts) they are wire.ts's; the commands themselves are data in queue.ts. Must not import the client, batch or cluster layers.
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
 *
 * With an endpoint source (options.endpoint, set by Sentinel) each open asks it where to dial
 * and lets it refuse the server after the handshake; when the source says the server is no
 * longer the right one, a ready socket is dropped and the lost-socket path above takes over.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { ConnectionError, ProtocolError } from '../errors.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { Command } from '../commands/command.js';
import { channels, peerOf } from '../diagnostics.js';
import type { ResolvedOptions } from './options.js';
import { handshake, settingsOf, type HandshakeSettings } from './handshake.js';
import { NO_ARGS } from './entries.js';
import { submitBatch, submitOne, type BatchOptions } from './submit.js';
import { dial, endSocket, timeLimit } from './socket.js';
import { Wire, type ConnectionStatus } from './wire.js';
import type { EndpointSource } from './endpoint.js';
import { emptyStats, type CacheStats, type ClientCache } from '../cache/store.js';
import { applyInvalidation, noteBatch, sendCached } from './cached-send.js';
// A user listener that throws never breaks the connection: every event goes out through events.ts.
import { emitError, emitSafely, untilReady, type ConnectionEvents, type RestoreHook } from './events.js';
import { ReconnectSchedule, retriesFirstConnect } from './reconnect.js';

export type { ConnectionStatus } from './wire.js';
export type { BatchOptions } from './submit.js';
export type { ConnectionEvents, LifecycleEvents, RestoreHook } from './events.js';

export class Connection extends EventEmitter<ConnectionEvents> {
  readonly options: ResolvedOptions;
  #address: string;
  readonly #endpoint: EndpointSource | undefined;
  readonly #unwatch: (() => void) | undefined;
  /** A change the endpoint source announced while no socket was ready: the open under way checks it. */
  #unheard: ((address: string) => boolean) | undefined;
  #settings: HandshakeSettings;
  readonly #wire: Wire;
  #socket: net.Socket | undefined;
  /** The socket of an open in progress (dialing or in its handshake), destroyed by disconnect(). */
  #opening: net.Socket | undefined;
  #protocol: 2 | 3 = 3;
  readonly #reconnect = new ReconnectSchedule();
  #ended = false;
  #closing: Promise<void> | undefined;
  #generation = 0;
  /** The client-side cache (clientCache): only on the connections given one, never on pooled ones. */
  readonly #cache: ClientCache | undefined;
  #restore: RestoreHook | undefined;

  constructor(options: ResolvedOptions, settings?: Partial<HandshakeSettings>, cache?: ClientCache) {
    super();
    this.options = options;
    this.#cache = cache;
    this.#endpoint = options.endpoint;
    this.#address = this.#endpoint?.label ?? options.path ?? `${options.host}:${options.port}`;
    this.#settings = { ...settingsOf(options), ...settings, ...(cache === undefined ? {} : { tracking: true }) };
    this.#unwatch = this.#endpoint?.watch((stillRight) => {
      // The lost-socket path re-resolves: unwritten commands wait, written ones are rejected.
      if (this.#wire.status !== 'ready') this.#unheard = stillRight;
      else if (!stillRight(this.#address)) this.#socket?.destroy();
    });
    this.#wire = new Wire(options, this.#address, {
      push: (value) => this.#onPush(value),
      error: (error) => {
        // A byte stream that cannot be trusted may have lost an invalidation: flush now, not at the close.
        if (error instanceof ProtocolError) this.#cache?.flush();
        emitError(this, error);
      },
      unresponsive: (silentMs) => this.#giveUpSocket(silentMs),
    });
  }

  /** 'host:port' of the server dialled last (with an endpoint source: its label until then). */
  get address(): string {
    return this.#address;
  }
  get status(): ConnectionStatus {
    return this.#wire.status;
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
  /** Run after every handshake, before 'ready' (see RestoreHook); one hook per connection. */
  setRestore(hook: RestoreHook | undefined): void {
    this.#restore = hook;
  }

  /**
   * This connection carries subscriptions only: under RESP2 its messages arrive as array
   * replies and are passed on as 'push' events (wire.ts).
   */
  markSubscriber(): void {
    this.#wire.subscriber = true;
  }

  /** Commands accepted and not yet answered (all lists). */
  get pendingCount(): number {
    return this.#wire.pendingCount;
  }

  /**
   * Opens the socket and runs the handshake. Rejects on refusal or bad credentials; with
   * `retry` (a connection no caller is waiting on: lazy connect), a failure the server did not
   * answer for itself (refused, timed out, lost) is retried like a lost connection while the
   * promise still rejects, and only the server's refusal in the handshake (auth, SELECT) or an
   * untrusted TLS certificate ends it.
   */
  async connect(retry = false): Promise<void> {
    if (this.#wire.status === 'ready') return;
    if (this.#wire.status === 'closing' || this.#wire.status === 'closed') throw this.#closedError();
    if (this.#wire.status === 'connecting' || this.#wire.status === 'reconnecting') {
      const ms = this.options.connectTimeout;
      const late = (): Error => new ConnectionError(`Not connected to ${this.address} within ${ms} ms; still trying in the background`, 'refused');
      return untilReady(this, ms, () => this.#closedError(), late);
    }
    this.#wire.status = 'connecting';
    try {
      await this.#open();
    } catch (error) {
      // disconnect() during the open has already ended everything: say so, once.
      if (this.#isClosed()) throw this.#closedError();
      const failure = error instanceof Error ? error : new Error(String(error));
      if (retriesFirstConnect(retry, this.options, failure)) {
        this.#wire.status = 'reconnecting';
        this.#scheduleReconnect(failure);
      } else {
        this.#finish(failure);
      }
      throw error;
    }
  }

  /** Sends one command; resolves with its (transformed) reply, rejects with its error. */
  send<T>(cmd: Command<T>): Promise<T> {
    if (this.#cache !== undefined) return sendCached(this.#cache, this.options, cmd, this.#submit);
    return submitOne(this.#wire, this.options, this.address, cmd);
  }

  readonly #submit = <T>(cmd: Command<T>): Promise<T> => submitOne(this.#wire, this.options, this.address, cmd);

  /** The client-side cache's counters (all zero without one). */
  get cacheStats(): CacheStats {
    return this.#cache?.stats ?? emptyStats();
  }

  /** Drops every cached entry (a cluster node whose role or slots changed). */
  flushCache(): void {
    this.#cache?.flush();
  }

  /**
   * Invalidations are applied first, in the order they arrived relative to replies, before any
   * listener runs; every push is still emitted.
   */
  #onPush(value: RespValue[]): void {
    if (this.#cache !== undefined) applyInvalidation(this.#cache, value);
    emitSafely(this, 'push', value);
  }

  /**
   * Sends commands as one unit: all of them join the same write, nothing from other callers
   * lands between them (what MULTI/EXEC relies on), and the batch is admitted, written, refused
   * or timed out whole. Resolves with one entry per command, an error reply staying a value at
   * its index; rejects with PipelineError (written: all or none) if the batch fails as a whole.
   * With `errorsInPlace` (pipelines, never a MULTI block) a written batch always resolves: an
   * entry the connection could not answer holds its ConnectionError / TimeoutError in place.
   */
  sendBatch(cmds: readonly Command<unknown>[], options?: BatchOptions): Promise<unknown[]> {
    if (this.#cache !== undefined) {
      const refused = noteBatch(this.#cache, this.options, cmds);
      if (refused !== undefined) return Promise.reject(refused);
    }
    return submitBatch(this.#wire, this.options, this.address, cmds, options);
  }

  /**
   * Graceful: commands already accepted get their replies, then QUIT, then the socket closes.
   * The server gets connectTimeout to answer all that; then the socket is destroyed and what
   * is still unanswered is rejected, so close() always ends.
   */
  close(): Promise<void> {
    if (this.#wire.status === 'closed') return Promise.resolve();
    if (this.#closing !== undefined) return this.#closing;
    if (this.#wire.status !== 'ready') {
      this.disconnect();
      return Promise.resolve();
    }
    // QUIT is queued while still 'ready' so it lines up behind every command already accepted.
    const quit = this.send({ name: 'QUIT', args: NO_ARGS }).catch(() => undefined);
    this.#wire.status = 'closing';
    this.#closing = this.#closeGracefully(quit);
    return this.#closing;
  }

  async #closeGracefully(quit: Promise<unknown>): Promise<void> {
    const socket = this.#socket;
    const answered = await timeLimit(quit.then(() => true), this.options.connectTimeout, () => false);
    if (socket !== undefined) await endSocket(socket, answered);
    this.#finish(new ConnectionError(`Connection to ${this.address} was closed`, 'client-closed'));
  }

  /** Immediate: the socket (or the one being opened) is destroyed and every pending command is rejected. */
  disconnect(): void {
    if (this.#wire.status === 'closed') return;
    this.#finish(new ConnectionError(`Connection to ${this.address} was closed by disconnect()`, 'client-closed'));
  }

  // ── socket lifecycle ────────────────────────────────────────────────────────────────

  /**
   * One attempt: dial, handshake, ready. Throws if it fails or if the connection was closed
   * meanwhile. A server the endpoint source refuses after the handshake ('wrong-role') is given
   * up and the source asked again, a bounded number of times.
   */
  async #open(): Promise<void> {
    const refusals = this.#endpoint?.refusals ?? { attempts: 1, delay: 0 };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#openOnce();
        return;
      } catch (error) {
        if (!(error instanceof ConnectionError && error.reason === 'wrong-role') || attempt >= refusals.attempts || this.#isClosed()) throw error;
        await new Promise((resolve) => setTimeout(resolve, refusals.delay));
        if (this.#isClosed()) throw this.#closedError();
      }
    }
  }

  /** Where this open dials: the fixed host and port, or what the endpoint source says now. */
  async #target(): Promise<ResolvedOptions> {
    if (this.#endpoint === undefined) return this.options;
    const at = await this.#endpoint.resolve();
    if (this.#isClosed()) throw this.#closedError();
    this.#address = `${at.host}:${at.port}`;
    return { ...this.options, host: at.host, port: at.port };
  }

  async #openOnce(): Promise<void> {
    const doOpen = async (): Promise<void> => {
      const socket = await dial(await this.#target(), (opening) => (this.#opening = opening));
      if (this.#isClosed()) {
        socket.destroy();
        throw this.#closedError();
      }
      this.#socket = socket;
      this.#wire.attach(socket);
      socket.once('close', () => this.#onClose(socket));
      socket.on('error', (error) => emitError(this, error));
      emitSafely(this, 'connect');
      try {
        this.#protocol = await this.#handshake(socket);
      } finally {
        this.#opening = undefined;
      }
      if (this.#isClosed()) throw this.#closedError();
      this.#reconnect.reset();
      this.#generation++;
      this.#wire.offlineAllowed = this.options.offlineQueue;
      this.#wire.status = 'ready';
      this.#wire.admit();
      emitSafely(this, 'ready');
    };
    if (channels.connect.hasSubscribers) {
      const { database: _, ...peer } = peerOf(this.address, this.options.path, this.options.db);
      await channels.connect.tracePromise(doOpen, { ...peer, attempt: this.#reconnect.attempt });
    } else {
      await doOpen();
    }
  }

  /** Runs the handshake on a fresh socket within connectTimeout; on failure the socket is given up. */
  async #handshake(socket: net.Socket): Promise<2 | 3> {
    const ms = this.options.connectTimeout;
    try {
      const exec = (name: string, args: readonly RedisArg[]): Promise<RespValue> => this.#wire.sendDirect(name, args);
      const steps = handshake(exec, this.#settings).then(async (done) => {
        const unheard = this.#unheard;
        this.#unheard = undefined;
        // Resolved before the change was announced: ask again rather than settle on the old server.
        const refused = unheard !== undefined && !unheard(this.#address) ? 'the sentinels announced another server while connecting' : await this.#endpoint?.verify(exec, this.#address);
        if (refused !== undefined) throw new ConnectionError(`${this.#address} refused: ${refused}`, 'wrong-role');
        const restore = this.#restore;
        if (restore !== undefined) await restore((cmd) => this.#wire.sendDirect(cmd.name, cmd.args, cmd.confirmedBy), this.#generation);
        return done;
      });
      return (await timeLimit(steps, ms, () => {
        throw new ConnectionError(`Handshake with ${this.address} timed out after ${ms} ms`, 'handshake');
      })).protocol;
    } catch (error) {
      if (this.#socket === socket) this.#socket = undefined;
      socket.destroy();
      this.#wire.detach(error instanceof Error ? error : new Error(String(error)), false);
      throw error;
    }
  }

  /**
   * Half-open: commands wait and nothing arrives. The socket is given up as if it had closed
   * (the same path: written commands fail, unwritten ones wait, a reconnect starts), with the
   * reason said. No FIN is awaited: a half-open peer would never send one.
   */
  #giveUpSocket(silentMs: number): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    const said = `stopped answering (nothing received for ${silentMs} ms while commands waited); replaced`;
    const error = new ConnectionError(`Connection to ${this.address} ${said}. The command was written and may or may not have run`, 'unresponsive', { written: true });
    emitError(this, error);
    this.#onClose(socket, error);
    socket.destroy();
  }

  #onClose(socket: net.Socket, lost?: ConnectionError): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    // The invalidation stream is gone with the socket: what it would have told us is unknown.
    // Every way a ready socket ends comes here, so the next socket (whose handshake turns
    // tracking on again before any command) starts with an empty cache; reads queued meanwhile
    // are sent on it and may be stored.
    this.#cache?.flush();
    // Commands not yet written are safe to send after reconnecting: they go back in order.
    const ready = this.#wire.status === 'ready';
    this.#wire.detach(lost ?? new ConnectionError(`Connection to ${this.address} lost with the command written; it may or may not have run`, 'closed', { written: true }), ready);
    // During a handshake the failing open decides what comes next; closing/closed end in #finish.
    if (!ready) return;
    this.#wire.status = 'reconnecting';
    this.#scheduleReconnect();
  }

  /**
   * The one place a reconnect attempt is started; at most one delay or open exists at a time.
   * How long to wait, and whether to go on at all, is reconnect.ts's (with reconnect disabled: stop).
   */
  #scheduleReconnect(lastError?: Error): void {
    if (this.#wire.status !== 'reconnecting' || this.#reconnect.pending) return;
    const delay = this.#reconnect.next(this.options, this.address, lastError, () => {
      if (this.#wire.status !== 'reconnecting') return;
      this.#open().catch((error: unknown) => {
        if (this.#wire.status !== 'reconnecting') return;
        const failure = error instanceof Error ? error : new Error(String(error));
        emitError(this, failure);
        this.#scheduleReconnect(failure);
      });
    });
    if (delay instanceof Error) this.#finish(delay);
    else emitSafely(this, 'reconnecting', { attempt: this.#reconnect.attempt, delay });
  }

  /** Read through a method: TypeScript would narrow the field across the awaits that change it. */
  #isClosed(): boolean {
    return this.#wire.status === 'closed';
  }

  #closedError(): ConnectionError {
    return new ConnectionError(`Connection to ${this.address} was closed`, 'client-closed');
  }

  /** The end: no socket, no timer, every pending command rejected, 'end' once. */
  #finish(error: Error): void {
    this.#wire.status = 'closed';
    this.#cache?.flush();
    this.#unwatch?.();
    this.#reconnect.cancel();
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
    this.#opening?.destroy();
    this.#opening = undefined;
    const reason = error instanceof ConnectionError ? error.reason : 'closed';
    this.#wire.failAll(new ConnectionError(error.message, reason, { written: true }), error);
    if (this.#ended) return;
    this.#ended = true;
    emitSafely(this, 'end');
  }
}
