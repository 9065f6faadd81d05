/**
 * A Sentinel group for tests: one primary, one replica and three sentinels (quorum 2, a server
 * is down after ~1 s, short failover timeout), all on free loopback ports. Sentinels run as
 * `<flavour>-server <conf> --sentinel` (the same binary `<flavour>-sentinel` links to), each with
 * its config file in its own temp folder, since a sentinel rewrites its config. Every wait is
 * bounded. Must not import from src/ or vitest.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RedisProcess, type Endpoint, type ServerHandle } from './redis-process.js';
import { startOwnedProcess, startStandalone } from './servers.js';
import { probeOne } from './probe.js';
import { pollUntil, roleOf } from './cluster-ops.js';
import type { ServerFlavour } from './flavour.js';

export interface SentinelGroupOptions {
  flavour?: ServerFlavour;
  /** The master name the sentinels monitor. Default 'slotline'. */
  name?: string;
}

export interface SentinelGroup {
  readonly name: string;
  /** The servers as started: `servers[0]` was the first primary. Which one is primary now: primaryPort(). */
  readonly servers: readonly ServerHandle[];
  readonly sentinels: readonly ServerHandle[];
  /** `{ host, port }` of every sentinel, for createSentinel. */
  readonly endpoints: readonly Endpoint[];
  /** The primary's port as the first sentinel that answers says now. */
  primaryPort(): Promise<number>;
  /** Polls until every running sentinel names the primary on `port` and the group is whole again. */
  waitForPrimary(port: number, timeoutMs?: number): Promise<void>;
  /**
   * Makes the server on `port` a replica of the current primary now and waits until it is in
   * sync: what the sentinels do themselves to a stale primary, but only ~8-10 s after it appears.
   */
  rejoin(port: number): Promise<void>;
  stop(): Promise<void>;
}

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 3000;
const SETTLE_MS = 20_000;

export async function startSentinelGroup(options: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const name = options.name ?? 'slotline';
  const flavour = options.flavour === undefined ? {} : { flavour: options.flavour };
  const started: ServerHandle[] = [];
  const sentinels: ServerHandle[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all([...sentinels, ...started].map((s) => s.stop().catch(() => undefined)));
  };
  try {
    const primary = await startStandalone(flavour);
    started.push(primary);
    const replica = await startStandalone({ ...flavour, args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    started.push(replica);
    await pollUntil('replica in sync', SETTLE_MS, async () => linkUp(replica.port));
    for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(name, primary.port, options.flavour));
    const group: SentinelGroup = {
      name,
      servers: started,
      sentinels,
      endpoints: sentinels.map((s) => ({ host: s.host, port: s.port })),
      primaryPort: () => primaryPortOf(sentinels, name),
      waitForPrimary: (port, timeoutMs = SETTLE_MS) =>
        pollUntil(`sentinels agree the primary of '${name}' is on ${port}`, timeoutMs, async () => {
          for (const s of sentinels) {
            const master = await masterFields(s.port, name).catch(() => undefined);
            if (master === undefined) continue; // a stopped sentinel
            if (master['port'] !== String(port) || !(master['flags'] ?? '').split(',').every((f) => f === 'master')) return false;
          }
          return (await roleOf(port)) === 'master';
        }, 50),
      rejoin: async (port) => {
        const primary = await primaryPortOf(sentinels, name);
        await probeOne(port, ['REPLICAOF', '127.0.0.1', String(primary)], { timeoutMs: 1000 });
        await pollUntil(`${port} replicating from ${primary}`, SETTLE_MS, () => linkUp(port), 50);
      },
      stop,
    };
    // Whole: every sentinel sees the primary, the replica and the two other sentinels.
    await pollUntil('sentinel group formed', SETTLE_MS, async () => {
      for (const s of sentinels) {
        const m = await masterFields(s.port, name).catch(() => undefined);
        if (m === undefined || m['num-slaves'] !== '1' || m['num-other-sentinels'] !== '2') return false;
      }
      return true;
    }, 50);
    return group;
  } catch (error) {
    await stop();
    throw error;
  }
}

function startSentinel(name: string, primaryPort: number, flavour: ServerFlavour | undefined): Promise<ServerHandle> {
  return startOwnedProcess('slotline-sentinel-', async (port, dir) => {
    const conf = join(dir, 'sentinel.conf');
    await writeFile(
      conf,
      [
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${name} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    return new RedisProcess({ port, dir, args: [], leadingArgs: [conf, '--sentinel'], ...(flavour === undefined ? {} : { flavour }) });
  });
}

/** SENTINEL MASTER <name> as a record; rejects when the sentinel does not answer. */
async function masterFields(port: number, name: string): Promise<Record<string, string>> {
  const reply = await probeOne(port, ['SENTINEL', 'MASTER', name], { timeoutMs: 1000 });
  const out: Record<string, string> = {};
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

async function primaryPortOf(sentinels: readonly ServerHandle[], name: string): Promise<number> {
  for (const s of sentinels) {
    const reply = await probeOne(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name], { timeoutMs: 1000 }).catch(() => undefined);
    if (Array.isArray(reply) && reply.length === 2) return Number(reply[1]);
  }
  throw new Error(`no sentinel names a primary for '${name}'`);
}

/** Whether the replica on `port` says its link to the primary is up. */
export async function linkUp(port: number): Promise<boolean> {
  const role = await probeOne(port, ['ROLE'], { timeoutMs: 1000 }).catch(() => undefined);
  return Array.isArray(role) && role[0] === 'slave' && role[3] === 'connected';
}
