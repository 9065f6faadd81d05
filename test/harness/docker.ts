/**
 * Opt-in path (SLOTLINE_TEST_DOCKER=1): runs a standalone Valkey in a container through
 * testcontainers instead of a local redis-server. servers.ts imports this module only
 * dynamically, so the default path never loads testcontainers. The container uses the
 * host network and the same `--bind 127.0.0.1 --port P` arguments as the process path,
 * so nothing listens beyond loopback (host networking needs a Linux Docker engine).
 * Must not import from src/ or vitest.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenericContainer, getContainerRuntimeClient, Wait, type ContainerRuntimeClient } from 'testcontainers';
import { getFreePort } from './ports.js';
import { answersPing } from './probe.js';
import { releaseDir, trackDir } from './reaper.js';
import type { ServerHandle } from './redis-process.js';

export interface ContainerStandaloneOptions {
  args?: readonly string[];
  password?: string;
}

const IMAGE = process.env['SLOTLINE_TEST_DOCKER_IMAGE'] ?? 'valkey/valkey:8';
const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 50;
const NON_FATAL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGSTOP', 'SIGCONT', 'SIGTSTP']);

let warned = false;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function pollUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await delay(POLL_MS);
  }
  throw new Error(`docker: ${what} within ${READY_TIMEOUT_MS} ms`);
}

async function reachableRuntime(): Promise<ContainerRuntimeClient | undefined> {
  try {
    return await getContainerRuntimeClient();
  } catch (error) {
    if (!warned) {
      warned = true;
      console.warn(`SLOTLINE_TEST_DOCKER=1 but no Docker engine is reachable; using redis-server (${String(error)})`);
    }
    return undefined;
  }
}

/** A container-backed standalone server, or undefined when no engine is reachable. */
export async function startContainerStandalone(
  options: ContainerStandaloneOptions = {},
): Promise<ServerHandle | undefined> {
  const runtime = await reachableRuntime();
  if (runtime === undefined) return undefined;
  const port = await getFreePort();
  const dir = await mkdtemp(join(tmpdir(), 'slotline-container-'));
  trackDir(dir);
  const command = [
    'valkey-server',
    '--bind', '127.0.0.1',
    '--port', String(port),
    '--save', '',
    '--appendonly', 'no',
    '--enable-debug-command', 'yes',
    '--daemonize', 'no',
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
    ...(options.args ?? []),
  ];
  const started = await new GenericContainer(IMAGE)
    .withNetworkMode('host')
    .withCommand(command)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(READY_TIMEOUT_MS)
    .start();
  const container = runtime.container.getById(started.getId());
  const isRunning = async (): Promise<boolean> => (await runtime.container.inspect(container)).State.Running;
  let pid = (await runtime.container.inspect(container)).State.Pid;
  const waitReady = async (): Promise<void> => {
    await pollUntil(`valkey on port ${port} did not answer PING`, () => answersPing(port, options.password));
    pid = (await runtime.container.inspect(container)).State.Pid;
  };
  await waitReady();

  // stop() keeps the container so restart() can start it again; testcontainers' reaper
  // removes it when the session ends.
  return {
    host: '127.0.0.1',
    port,
    dir,
    get pid() {
      return pid;
    },
    async stop() {
      if (await isRunning()) await runtime.container.stop(container, { timeout: 3 });
      await releaseDir(dir);
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (!(await isRunning())) return;
      await container.kill({ signal });
      if (NON_FATAL_SIGNALS.has(signal)) return;
      await pollUntil('container did not exit', async () => !(await isRunning()));
    },
    async restart() {
      trackDir(dir);
      if (await isRunning()) await runtime.container.restart(container, { timeout: 3 });
      else await runtime.container.start(container);
      await waitReady();
    },
  };
}
