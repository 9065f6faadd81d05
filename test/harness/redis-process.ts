/**
 * Owns one `redis-server` or `valkey-server` child process: spawn it in its own folder on a fixed port,
 * wait (bounded) until it answers PING, stop, kill and restart it on the same port with
 * the same arguments. Knows nothing of clusters; must not import from src/ or vitest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { answersPing } from './probe.js';
import { trackChild } from './reaper.js';
import { defaultFlavour, serverBinary, type ServerFlavour } from './flavour.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** What tests get for any server the harness runs: enough to reach it and to break it. */
export interface ServerHandle extends Endpoint {
  readonly host: string;
  readonly port: number;
  /** Current (or last) OS process id of the server. */
  readonly pid: number;
  /** The server's working folder (nodes.conf lives here for cluster nodes). */
  readonly dir: string;
  /** Graceful: SIGTERM, then SIGKILL if it has not exited after a bound. Idempotent. */
  stop(): Promise<void>;
  /**
   * Sends `signal` (default SIGKILL) and waits until the process has exited; SIGSTOP and
   * SIGCONT (freeze and thaw a node) return at once.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it if running, then starts it again on the same port with the same arguments. */
  restart(): Promise<void>;
}

/** `kind` tells a caller whether retrying on another port can help. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  constructor(
    readonly kind: 'exited' | 'timeout' | 'spawn-failed',
    message: string,
  ) {
    super(message);
  }
}

export interface RedisProcessOptions {
  port: number;
  dir: string;
  /** Arguments after the harness defaults (bind, port, no persistence, debug on). */
  args: readonly string[];
  /** Arguments before them: a config file, `--sentinel` (sentinel.ts). */
  leadingArgs?: readonly string[];
  /** Used only by the readiness probe (AUTH before PING). */
  password?: string;
  readyTimeoutMs?: number;
  /** redis-server or valkey-server; default from SLOTLINE_SERVER (see flavour.ts). */
  flavour?: ServerFlavour;
}

const LOG_TAIL_BYTES = 16_384;
const STOP_GRACE_MS = 3000;
const EXIT_BOUND_MS = 5000;
const READY_POLL_MS = 20;
const NON_FATAL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGSTOP', 'SIGCONT', 'SIGTSTP']);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true when `exited` settles within `ms`, false otherwise. The timer keeps the loop alive. */
async function exitsWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return result;
}

export class RedisProcess implements ServerHandle {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  readonly #args: readonly string[];
  readonly #leadingArgs: readonly string[];
  readonly #password: string | undefined;
  readonly #readyTimeoutMs: number;
  readonly #binary: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #running = false;
  #pid = -1;
  #log = '';

  constructor(options: RedisProcessOptions) {
    this.port = options.port;
    this.dir = options.dir;
    this.#args = options.args;
    this.#leadingArgs = options.leadingArgs ?? [];
    this.#password = options.password;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    this.#binary = serverBinary(options.flavour ?? defaultFlavour());
  }

  get pid(): number {
    return this.#pid;
  }

  get running(): boolean {
    return this.#running;
  }

  /** The last few KB the server printed: for error messages only. */
  get logTail(): string {
    return this.#log;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    await mkdir(this.dir, { recursive: true });
    const argv = [
      ...this.#leadingArgs,
      '--bind', this.host,
      '--port', String(this.port),
      '--save', '',
      '--appendonly', 'no',
      '--enable-debug-command', 'yes',
      '--daemonize', 'no',
      // Replicas (cluster, failover tests) sync at once instead of after the default 5 s.
      '--repl-diskless-sync-delay', '0',
      ...this.#args,
    ];
    this.#log = '';
    const child = spawn(this.#binary, argv, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#running = true;
    let spawnError: Error | undefined;
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (error) => {
        spawnError = error;
        resolve();
      });
    }).then(() => {
      if (this.#child === child) this.#running = false;
    });
    trackChild(child);
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => this.#appendLog(chunk));
    }
    // Unreferenced so a script that forgets stop() can still end; the reaper kills the
    // server on exit. Waits below hold their own timers, which keep the loop alive.
    child.unref();
    for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
    if (child.pid !== undefined) this.#pid = child.pid;
    await this.#waitReady(() => spawnError);
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#child?.kill('SIGTERM');
    if (await exitsWithin(this.#exited, STOP_GRACE_MS)) return;
    await this.kill('SIGKILL');
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.#running) return;
    this.#child?.kill(signal);
    // Freezing and thawing (a hung node, for failover tests) does not end the process.
    if (NON_FATAL_SIGNALS.has(signal)) return;
    if (!(await exitsWithin(this.#exited, EXIT_BOUND_MS))) {
      throw new Error(`${this.#binary} on port ${this.port} did not exit within ${EXIT_BOUND_MS} ms of ${signal}`);
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async #waitReady(spawnError: () => Error | undefined): Promise<void> {
    const deadline = Date.now() + this.#readyTimeoutMs;
    while (Date.now() < deadline) {
      const failed = spawnError();
      if (failed !== undefined) {
        throw new ServerStartError('spawn-failed', `cannot run ${this.#binary} (is it on PATH?): ${failed.message}`);
      }
      if (!this.#running) {
        throw new ServerStartError('exited', `${this.#binary} on port ${this.port} exited during start-up:\n${this.#log}`);
      }
      if (await answersPing(this.port, this.#password)) return;
      await delay(READY_POLL_MS);
    }
    await this.kill('SIGKILL');
    throw new ServerStartError(
      'timeout',
      `${this.#binary} on port ${this.port} did not answer PING within ${this.#readyTimeoutMs} ms:\n${this.#log}`,
    );
  }

  #appendLog(chunk: Buffer): void {
    this.#log = (this.#log + chunk.toString('utf8')).slice(-LOG_TAIL_BYTES);
  }
}
