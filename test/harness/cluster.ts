/**
 * Owns a throw-away Redis Cluster of real `redis-server` processes on free ports: start
 * the nodes, assign slots, introduce them, attach replicas, and wait (bounded) until every
 * node agrees on the topology. Health rules live in cluster-health.ts. Must not import from
 * src/ or vitest: benchmarks and the demo use it too.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterStateOk, healthProblem, parseClusterNodes, SLOT_COUNT, type Layout, type NodeView } from './cluster-health.js';
import { getFreeClusterPort } from './ports.js';
import { probe, probeOne, ProbeReplyError } from './probe.js';
import { releaseDir, trackDir } from './reaper.js';
import { RedisProcess, ServerStartError, type Endpoint, type ServerHandle } from './redis-process.js';
import type { ServerFlavour } from './flavour.js';

export interface ClusterOptions {
  /** Default 3. */
  primaries?: number;
  /** Default 1. */
  replicasPerPrimary?: number;
  /** cluster-node-timeout; default 1000 ms so failovers in tests are quick. */
  nodeTimeoutMs?: number;
  /** Extra redis-server arguments for every node. */
  args?: readonly string[];
  /** Bound for the cluster to become healthy after creation; default 30 s. */
  healthyTimeoutMs?: number;
  /**
   * Starts every node with --requirepass and --masterauth set to it (replicas authenticate
   * to their primary); the harness authenticates every command it sends itself.
   */
  password?: string;
  /** redis-server or valkey-server for every node; default from SLOTLINE_SERVER. */
  flavour?: ServerFlavour;
}

export interface ClusterNode extends ServerHandle {
  /** The node id; it survives restart() because nodes.conf stays in `dir`. */
  readonly id: string;
  /** The last few KB the node logged: evidence when a test blames the server. */
  readonly logTail: string;
}

export interface ClusterHandle {
  readonly nodes: readonly ClusterNode[];
  /** The password every node requires, or undefined when the cluster has none. */
  readonly password: string | undefined;
  /** Every node's address; a client needs one, more survive a killed node. */
  readonly seeds: readonly Endpoint[];
  /** Running nodes that currently say ROLE = master. */
  primaries(): Promise<ClusterNode[]>;
  /** Running nodes that currently say ROLE = slave. */
  replicas(): Promise<ClusterNode[]>;
  /** The primary that serves `slot`, as a running node sees it now. */
  slotOwner(slot: number): Promise<ClusterNode>;
  /**
   * Polls until the running nodes agree on a topology serving all slots (see
   * cluster-health.ts). With every node running it also expects the original layout.
   */
  waitForHealthy(options?: { timeoutMs?: number }): Promise<void>;
  /** Kills every node and removes their folders. Idempotent. */
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;
const POLL_MS = 50;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function asText(reply: unknown, what: string): string {
  if (typeof reply !== 'string') throw new Error(`cluster: ${what} replied ${String(reply)}`);
  return reply;
}

/** A port can be taken between choosing it and binding it; then try another one. */
async function startNode(root: string, index: number, args: readonly string[], password: string | undefined, flavour: ServerFlavour | undefined): Promise<RedisProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await getFreeClusterPort();
    const node = new RedisProcess({ port, dir: join(root, `node-${index}-${port}`), args, password, ...(flavour === undefined ? {} : { flavour }) });
    try {
      await node.start();
      return node;
    } catch (error) {
      if (!(error instanceof ServerStartError && error.kind === 'exited') || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

async function pollUntil(what: string, timeoutMs: number, check: () => Promise<string | undefined>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let problem: string | undefined = 'not checked yet';
  while (Date.now() < deadline) {
    problem = await check();
    if (problem === undefined) return;
    await delay(POLL_MS);
  }
  throw new Error(`cluster: ${what} within ${timeoutMs} ms; last problem: ${problem}`);
}

async function viewOf(node: RedisProcess, password: string | undefined): Promise<NodeView> {
  const [info, nodes, role] = await probe(node.port, [['CLUSTER', 'INFO'], ['CLUSTER', 'NODES'], ['ROLE']], {
    timeoutMs: 1000,
    password,
  });
  return {
    port: node.port,
    stateOk: clusterStateOk(asText(info, 'CLUSTER INFO')),
    entries: parseClusterNodes(asText(nodes, 'CLUSTER NODES')),
    role: role ?? null,
  };
}

function toHandle(node: RedisProcess, id: string): ClusterNode {
  return {
    id,
    host: node.host,
    port: node.port,
    dir: node.dir,
    get pid() {
      return node.pid;
    },
    get logTail() {
      return node.logTail;
    },
    stop: () => node.stop(),
    kill: (signal) => node.kill(signal),
    restart: () => node.restart(),
  };
}

export async function startCluster(options: ClusterOptions = {}): Promise<ClusterHandle> {
  const layout: Layout = { primaries: options.primaries ?? 3, replicasPerPrimary: options.replicasPerPrimary ?? 1 };
  if (!Number.isInteger(layout.primaries) || layout.primaries < 1 || layout.primaries > SLOT_COUNT) {
    throw new RangeError(`startCluster: primaries must be an integer in 1..${SLOT_COUNT}`);
  }
  if (!Number.isInteger(layout.replicasPerPrimary) || layout.replicasPerPrimary < 0) {
    throw new RangeError('startCluster: replicasPerPrimary must be a non-negative integer');
  }
  const total = layout.primaries * (1 + layout.replicasPerPrimary);
  const { password } = options;
  const args = [
    '--cluster-enabled', 'yes',
    '--cluster-config-file', 'nodes.conf',
    '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000),
    ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password]),
    ...(options.args ?? []),
  ];
  // Every command the harness sends authenticates first when the nodes require it.
  const auth = { password };
  const root = await mkdtemp(join(tmpdir(), 'slotline-cluster-'));
  trackDir(root);
  const started: RedisProcess[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(started.map((node) => node.kill('SIGKILL')));
    await releaseDir(root);
  };

  try {
    // allSettled, not all: on a failure every node that did start must be in `started`
    // before stop() runs, or it would outlive the error.
    const results = await Promise.allSettled(
      Array.from({ length: total }, async (_, i) => {
        started.push(await startNode(root, i, args, password, options.flavour));
      }),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    // Primaries first, then replicas: replica r follows primary r % primaries.
    started.sort((a, b) => a.port - b.port);
    const ids = await Promise.all(started.map(async (n) => asText(await probeOne(n.port, ['CLUSTER', 'MYID'], auth), 'MYID')));
    // Distinct config epochs before the nodes meet, as redis-cli does: no epoch collisions to
    // resolve, so the first topology is the final one.
    await Promise.all(started.map((n, i) => probeOne(n.port, ['CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1)], auth)));
    await Promise.all(
      started.slice(0, layout.primaries).map((n, i) => {
        const start = Math.floor((i * SLOT_COUNT) / layout.primaries);
        const end = Math.floor(((i + 1) * SLOT_COUNT) / layout.primaries) - 1;
        return probeOne(n.port, ['CLUSTER', 'ADDSLOTSRANGE', String(start), String(end)], auth);
      }),
    );
    const first = started[0] as RedisProcess;
    await Promise.all(started.slice(1).map((n) => probeOne(first.port, ['CLUSTER', 'MEET', n.host, String(n.port)], auth)));
    await pollUntil('nodes did not all meet', 30_000, async () => {
      for (const node of started) {
        const entries = parseClusterNodes(asText(await probeOne(node.port, ['CLUSTER', 'NODES'], auth), 'CLUSTER NODES'));
        const known = entries.filter((e) => !e.flags.includes('handshake') && !e.flags.includes('noaddr'));
        if (known.length !== total) return `node ${node.port} knows ${known.length} of ${total} nodes`;
      }
      return undefined;
    });
    await Promise.all(
      started.slice(layout.primaries).map(async (n, r) => {
        const reply = await probe(n.port, [['CLUSTER', 'REPLICATE', ids[r % layout.primaries] as string]], auth);
        if (reply[0] instanceof ProbeReplyError) throw reply[0];
      }),
    );

    const handles = started.map((n, i) => toHandle(n, ids[i] as string));
    const byPort = new Map(handles.map((h) => [h.port, h]));
    const runningNodes = (): RedisProcess[] => started.filter((n) => n.running);
    const handleOf = (port: number): ClusterNode => {
      const handle = byPort.get(port);
      if (handle === undefined) throw new Error(`cluster: port ${port} is not a node of this cluster`);
      return handle;
    };
    const withRole = async (role: 'master' | 'slave'): Promise<ClusterNode[]> => {
      const roles = await Promise.all(
        runningNodes().map(async (n) => ({ n, role: await probeOne(n.port, ['ROLE'], { timeoutMs: 1000, password }).catch(() => null) })),
      );
      return roles.filter(({ role: r }) => Array.isArray(r) && r[0] === role).map(({ n }) => handleOf(n.port));
    };
    const waitForHealthy = async ({ timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<void> => {
      await pollUntil('not healthy', timeoutMs, async () => {
        const running = runningNodes();
        const views = await Promise.all(running.map((n) => viewOf(n, password).catch((e: Error) => e)));
        const failed = views.find((v): v is Error => v instanceof Error);
        if (failed !== undefined) return failed.message;
        return healthProblem(views as NodeView[], running.length === total ? layout : undefined);
      });
    };

    await waitForHealthy({ timeoutMs: options.healthyTimeoutMs ?? 30_000 });
    return {
      nodes: handles,
      password,
      seeds: handles.map((h) => ({ host: h.host, port: h.port })),
      primaries: () => withRole('master'),
      replicas: () => withRole('slave'),
      async slotOwner(slot: number): Promise<ClusterNode> {
        for (const node of runningNodes()) {
          const text = await probeOne(node.port, ['CLUSTER', 'NODES'], { timeoutMs: 1000, password }).catch(() => null);
          if (typeof text !== 'string') continue;
          const owner = parseClusterNodes(text).find(
            (e) => e.role === 'primary' && e.slots.some((r) => r.start <= slot && slot <= r.end),
          );
          if (owner !== undefined) return handleOf(owner.port);
        }
        throw new Error(`cluster: no running node knows who serves slot ${slot}`);
      },
      waitForHealthy,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
