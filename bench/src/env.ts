/**
 * The machine side of a run: CPU pinning with taskset (client loop on CPU 0, every
 * redis-server and scenario 6's proxy process on CPU 1), the servers (through the test
 * harness), and the facts the header prints (CPU, Node, versions of every client and of
 * redis-server).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startCluster, startStandalone, type ClusterHandle, type StandaloneServer } from '../../test/harness/servers.js';
import { CLIENTS } from './adapters/index.js';

export type Pinning =
  | { kind: 'pinned'; clientCpu: number; serverCpu: number }
  | { kind: 'unpinned'; reason: string };

const CLIENT_CPU = 0;
const SERVER_CPU = 1;

function taskset(args: string[]): void {
  execFileSync('taskset', args, { stdio: 'ignore', timeout: 5000 });
}

/**
 * Pins every thread of this process to CPU 0. Threads made later (libuv's pool, GLIDE's
 * Rust runtime) inherit it, and so do child processes.
 */
export function pinSelf(): Pinning {
  if (os.availableParallelism() < 2) return { kind: 'unpinned', reason: 'one CPU available' };
  if (process.env['SLOTLINE_BENCH_NO_PIN'] === '1') return { kind: 'unpinned', reason: 'SLOTLINE_BENCH_NO_PIN=1' };
  try {
    taskset(['-a', '-p', '-c', String(CLIENT_CPU), String(process.pid)]);
    return { kind: 'pinned', clientCpu: CLIENT_CPU, serverCpu: SERVER_CPU };
  } catch (error) {
    return { kind: 'unpinned', reason: `taskset failed: ${(error as Error).message}` };
  }
}

/** Moves a server (all its threads) to the server CPU; a no-op when not pinned. */
export function pinServer(pinning: Pinning, pid: number): void {
  if (pinning.kind === 'pinned') taskset(['-a', '-p', '-c', String(pinning.serverCpu), String(pid)]);
}

export function describePinning(pinning: Pinning): string {
  return pinning.kind === 'pinned'
    ? `pinned with taskset: client process on CPU ${pinning.clientCpu}, redis-server (and scenario 6's proxy process) on CPU ${pinning.serverCpu}`
    : `not pinned (${pinning.reason})`;
}

/** Starts servers on first use and stops them all at the end. */
export class Servers {
  readonly #pinning: Pinning;
  #standalone: Promise<StandaloneServer> | undefined;
  #cluster: Promise<ClusterHandle> | undefined;
  #wide: Promise<ClusterHandle> | undefined;

  constructor(pinning: Pinning) {
    this.#pinning = pinning;
  }

  /**
   * Moves a helper process (scenario 6's delay proxies) to the servers' CPU, out of the way
   * of the client under test; a no-op when not pinned. Returns where it went.
   */
  pinWithServers(pid: number): string {
    if (this.#pinning.kind !== 'pinned') return 'not pinned';
    pinServer(this.#pinning, pid);
    return `CPU ${this.#pinning.serverCpu}, with the servers`;
  }

  standalone(): Promise<StandaloneServer> {
    this.#standalone ??= startStandalone().then((server) => {
      pinServer(this.#pinning, server.pid);
      return server;
    });
    return this.#standalone;
  }

  /** Three primaries, no replicas: every node serves traffic. */
  cluster(): Promise<ClusterHandle> {
    this.#cluster ??= this.#startCluster(3);
    return this.#cluster;
  }

  /** Thirty primaries, no replicas (scenario 6b); stop it with stopWide() once done, it is big. */
  wideCluster(): Promise<ClusterHandle> {
    this.#wide ??= this.#startCluster(30);
    return this.#wide;
  }

  async stopWide(): Promise<void> {
    const wide = this.#wide;
    this.#wide = undefined;
    await wide?.then((c) => c.stop()).catch(() => undefined);
  }

  #startCluster(primaries: number): Promise<ClusterHandle> {
    return startCluster({ primaries, replicasPerPrimary: 0 }).then((cluster) => {
      for (const node of cluster.nodes) pinServer(this.#pinning, node.pid);
      return cluster;
    });
  }

  async stop(): Promise<void> {
    const standalone = this.#standalone;
    const cluster = this.#cluster;
    this.#standalone = undefined;
    this.#cluster = undefined;
    await Promise.allSettled([standalone?.then((s) => s.stop()), cluster?.then((c) => c.stop()), this.stopWide()]);
  }
}

function packageVersion(path: string): string {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return 'not installed';
  }
}

export interface Facts {
  node: string;
  cpu: string;
  cpus: number;
  platform: string;
  memoryGiB: number;
  redisServer: string;
  versions: Record<string, string>;
  pinning: string;
}

export function gatherFacts(pinning: Pinning): Facts {
  const cpus = os.cpus();
  const versions: Record<string, string> = {};
  for (const client of CLIENTS) {
    if (client.pkg === 'node') continue;
    const path =
      client.pkg === 'slotline'
        ? fileURLToPath(new URL('../../package.json', import.meta.url))
        : fileURLToPath(new URL(`../node_modules/${client.pkg}/package.json`, import.meta.url));
    versions[client.pkg] = packageVersion(path);
  }
  for (const pkg of ['@redis/client', 'redis-parser', 'tinybench']) {
    versions[pkg] = packageVersion(fileURLToPath(new URL(`../node_modules/${pkg}/package.json`, import.meta.url)));
  }
  let redisServer = 'unknown';
  try {
    redisServer = execFileSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch (error) {
    redisServer = `not runnable: ${(error as Error).message}`;
  }
  return {
    node: process.version,
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    redisServer,
    versions,
    pinning: describePinning(pinning),
  };
}

export function renderFacts(facts: Facts): string {
  return [
    `Node ${facts.node} on ${facts.platform}; ${facts.cpus} x ${facts.cpu}; ${facts.memoryGiB} GiB`,
    facts.redisServer,
    `clients: ${Object.entries(facts.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    facts.pinning,
  ].join('\n');
}
