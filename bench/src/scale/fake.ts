/**
 * The parent's handle on fake-cluster.ts: forks it (with the bench's own Node flags, so tsx
 * loads it), waits for its ports, and drives it over IPC. Every wait is bounded.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromFake, PortStats, ToFake } from './fake-cluster.js';

const CHILD = fileURLToPath(new URL('./fake-cluster.ts', import.meta.url));
const START_MS = 60_000;
const REPLY_MS = 10_000;

export interface FakeCluster {
  readonly ports: readonly number[];
  readonly pid: number;
  stats(): Promise<PortStats[]>;
  reset(): Promise<void>;
  move(slots: readonly number[], to: number): Promise<void>;
  stop(): Promise<void>;
}

function next(child: ChildProcess, what: string, ms: number): Promise<FromFake> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', on);
      reject(new Error(`fake cluster: no answer to ${what} within ${ms} ms`));
    }, ms);
    const on = (m: FromFake): void => {
      clearTimeout(timer);
      resolve(m);
    };
    child.once('message', on);
  });
}

export async function startFake(nodes: number, seed = 1): Promise<FakeCluster> {
  const child = fork(CHILD, [String(nodes), String(seed)], { execArgv: process.execArgv.filter((a) => a !== '--expose-gc'), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const first = await next(child, 'start', START_MS);
  if (!('ready' in first)) throw new Error('fake cluster: unexpected first message');
  let queue: Promise<unknown> = Promise.resolve();
  const ask = (m: ToFake): Promise<FromFake> => {
    const p = queue.then(() => {
      const answer = next(child, m.op, REPLY_MS);
      child.send(m);
      return answer;
    });
    queue = p.catch(() => undefined);
    return p;
  };
  return {
    ports: first.ports,
    pid: child.pid!,
    async stats() {
      const m = await ask({ op: 'stats' });
      if (!('stats' in m)) throw new Error('fake cluster: bad stats answer');
      return m.stats;
    },
    async reset() {
      await ask({ op: 'reset' });
    },
    async move(slots, to) {
      await ask({ op: 'move', slots: [...slots], to });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
