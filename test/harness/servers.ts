/**
 * The harness's front door for anything that needs real servers (tests, benchmarks, the
 * demo): free ports, a standalone server, a cluster (either one optionally password
 * protected), and out-of-band commands through redis-cli. Servers run as `redis-server` (or
 * `valkey-server`: flavour.ts) from PATH on 127.0.0.1; with SLOTLINE_TEST_DOCKER=1 and a reachable Docker engine,
 * startStandalone runs a Valkey container instead. Must not import vitest or anything from
 * src/: the client under test may be broken, and the harness must still tell whether the
 * server is up.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './ports.js';
import { releaseDir, trackDir } from './reaper.js';
import { RedisProcess, ServerStartError, type ServerHandle } from './redis-process.js';
import { cliBinary, type ServerFlavour } from './flavour.js';

export { getFreeClusterPort, getFreePort } from './ports.js';
export { startCluster, type ClusterHandle, type ClusterNode, type ClusterOptions } from './cluster.js';
export { answersPing, probe, probeOne, ProbeReplyError, type ProbeReply } from './probe.js';
export { ServerStartError, type Endpoint, type ServerHandle } from './redis-process.js';
export { defaultFlavour, type ServerFlavour } from './flavour.js';

export interface StandaloneOptions {
  /** Extra redis-server arguments, e.g. ['--maxmemory', '1mb']. */
  args?: readonly string[];
  /** Sets --requirepass; the readiness probe authenticates with it. */
  password?: string;
  /** redis-server or valkey-server; default from SLOTLINE_SERVER. */
  flavour?: ServerFlavour;
}

export type StandaloneServer = ServerHandle;

const START_ATTEMPTS = 3;

export async function startStandalone(options: StandaloneOptions = {}): Promise<StandaloneServer> {
  if (process.env['SLOTLINE_TEST_DOCKER'] === '1') {
    const { startContainerStandalone } = await import('./docker.js');
    const server = await startContainerStandalone(options);
    if (server !== undefined) return server;
  }
  const args = [
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
    ...(options.args ?? []),
  ];
  return startOwnedProcess('slotline-standalone-', async (port, dir) =>
    new RedisProcess({ port, dir, args, password: options.password, ...(options.flavour === undefined ? {} : { flavour: options.flavour }) }),
  );
}

/**
 * Starts the server `make` builds on a free port in a fresh tracked temp folder (`prefix`...),
 * trying another port when it exits at once (most likely the port taken between choosing and
 * binding it); the handle's stop() also removes the folder.
 */
export async function startOwnedProcess(prefix: string, make: (port: number, dir: string) => Promise<RedisProcess>): Promise<ServerHandle> {
  for (let attempt = 1; ; attempt++) {
    const port = await getFreePort();
    const dir = await mkdtemp(join(tmpdir(), prefix));
    trackDir(dir);
    const server = await make(port, dir);
    try {
      await server.start();
    } catch (error) {
      await releaseDir(dir);
      if (error instanceof ServerStartError && error.kind === 'exited' && attempt < START_ATTEMPTS) continue;
      throw error;
    }
    return {
      host: server.host,
      port,
      dir,
      get pid() {
        return server.pid;
      },
      async stop() {
        await server.stop();
        await releaseDir(dir);
      },
      kill: (signal) => server.kill(signal),
      async restart() {
        trackDir(dir);
        await server.restart();
      },
    };
  }
}

/**
 * Runs `redis-cli -h 127.0.0.1 -p <port> ...args` and resolves with its output without the
 * final newline. Error replies come back as text ("ERR ..."), as redis-cli prints them;
 * only a failure of redis-cli itself (e.g. connection refused) rejects.
 */
export function redisCli(port: number, ...args: string[]): Promise<string> {
  return redisCliWith({}, port, ...args);
}

export interface RedisCliOptions {
  /** For servers started with --requirepass: given to redis-cli as REDISCLI_AUTH, never on argv. */
  password?: string;
  /** redis-cli or valkey-cli; default from SLOTLINE_SERVER. Either talks to either server. */
  flavour?: ServerFlavour;
}

/** redisCli() with options, e.g. `redisCliWith({ password }, port, 'CLIENT', 'LIST')`. */
export function redisCliWith(options: RedisCliOptions, port: number, ...args: string[]): Promise<string> {
  // REDISCLI_AUTH rather than -a: no "using a password on the command line" warning, and
  // the password stays out of the process list and of the error messages below.
  const env = options.password === undefined ? undefined : { ...process.env, REDISCLI_AUTH: options.password };
  return new Promise((resolve, reject) => {
    execFile(
      cliBinary(options.flavour),
      ['-h', '127.0.0.1', '-p', String(port), ...args],
      { timeout: 10_000, maxBuffer: 64 * 1024 * 1024, ...(env === undefined ? {} : { env }) },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`redis-cli -p ${port} ${args.join(' ')} failed: ${stderr || stdout || error.message}`));
          return;
        }
        resolve(stdout.replace(/\r?\n$/, ''));
      },
    );
  });
}
