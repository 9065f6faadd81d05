/**
 * The scale measurements, each against one cluster (the fake or real redis-server nodes) given
 * by its seed and node count. slotline is loaded from ../../../src (tsx), so a change in src is
 * measured at once, and the internals the goals name (SlotMap, routeCommand, Topology) are
 * timed directly where the public API would bury them under a network round trip.
 *
 * CPU time is process.cpuUsage() of this process (user + system), i.e. the client's own cost.
 * Every loop has a fixed count; every wait is bounded by the client's own timeouts.
 */
import net from 'node:net';
import { createClient, createCluster, keySlot, type Cluster } from '../../../src/index.js';
import { SlotMap, nodeKey, type NodeInfo } from '../../../src/cluster/slot-map.js';
import { routeCommand } from '../../../src/cluster/route.js';
import { Topology } from '../../../src/cluster/topology.js';
import { resolveClusterOptions } from '../../../src/cluster/options.js';
import type { RespValue } from '../../../src/resp/types.js';
import { median } from '../stats.js';

export interface Target {
  readonly label: string;
  readonly kind: 'fake' | 'real';
  /** Primaries: the nodes slots live on. */
  readonly nodes: number;
  readonly seed: { host: string; port: number };
}

// ── client-side socket counters: connections dialled, write flushes per remote port ─────

const counters = { connects: 0, flushes: new Map<number, number>() };
let patched = false;

/** Counts every socket dial and every flush to the kernel (a write outside cork, or an uncork). */
export function patchSockets(): void {
  if (patched) return;
  patched = true;
  const proto = net.Socket.prototype as net.Socket & { connect: (...a: unknown[]) => net.Socket };
  const connect = proto.connect;
  proto.connect = function (this: net.Socket, ...a: unknown[]) {
    counters.connects++;
    return connect.apply(this, a as never);
  } as never;
  const write = proto.write;
  const bump = (s: net.Socket): void => {
    const port = s.remotePort ?? -1;
    counters.flushes.set(port, (counters.flushes.get(port) ?? 0) + 1);
  };
  proto.write = function (this: net.Socket, ...a: unknown[]) {
    if (this.writableCorked === 0) bump(this);
    return write.apply(this, a as never);
  } as never;
  const uncork = proto.uncork;
  proto.uncork = function (this: net.Socket) {
    if (this.writableCorked === 1) bump(this);
    uncork.call(this);
  };
}

function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with --expose-gc');
  g();
  g();
}

/** One key per primary (and per slot when asked), found by trying hash tags in order. */
export function keysPerNode(map: SlotMap, count: number): Map<string, string[]> {
  const byNode = new Map<string, string[]>();
  for (const n of map.primaries()) byNode.set(nodeKey(n), []);
  let filled = 0;
  for (let i = 0; filled < byNode.size && i < 2_000_000; i++) {
    const key = `k{${i}}`;
    const owner = map.primaryOf(keySlot(key));
    if (owner === undefined) continue;
    const list = byNode.get(nodeKey(owner))!;
    if (list.length < count) {
      list.push(key);
      if (list.length === count) filled++;
    }
  }
  if (filled < byNode.size) throw new Error('keysPerNode: some node owns no findable key');
  return byNode;
}

function cluster(t: Target, extra: Record<string, unknown> = {}): Cluster {
  return createCluster({ nodes: [t.seed], refreshInterval: 0, ...extra });
}

// ── 1. createCluster() to ready, and connections ───────────────────────────────────────

export interface ReadyResult {
  readyMs: number;
  /** Dialled from createCluster() to ready. */
  dialledToReady: number;
  /** Still open right after ready. */
  openAfterReady: number;
  /** Dialled in total after one GET. */
  dialledAfterOneGet: number;
}

export async function measureReady(t: Target, rounds: number): Promise<ReadyResult> {
  const times: number[] = [];
  let result: Omit<ReadyResult, 'readyMs'> | undefined;
  for (let r = 0; r < rounds; r++) {
    const before = counters.connects;
    const t0 = performance.now();
    const c = cluster(t);
    await c.connect();
    times.push(performance.now() - t0);
    const dialledToReady = counters.connects - before;
    // The topology connection is closed once read; wait a tick so its close is counted.
    await new Promise((r) => setTimeout(r, 20));
    const open = await openConnections();
    await c.get('k{0}');
    result ??= { dialledToReady, openAfterReady: open, dialledAfterOneGet: counters.connects - before };
    c.disconnect();
  }
  return { readyMs: median(times), ...result! };
}

let openProbe: (() => Promise<number>) | undefined;
export function setOpenProbe(p: (() => Promise<number>) | undefined): void {
  openProbe = p;
}
async function openConnections(): Promise<number> {
  return openProbe === undefined ? -1 : openProbe();
}

// ── 2. one full topology refresh; parsing alone ─────────────────────────────────────────

export interface RefreshResult {
  /** CPU of cluster.refresh() as it runs today (dial, handshake, CLUSTER SHARDS, parse, replace). */
  refreshCpuMs: number;
  refreshWallMs: number;
  /** The same once the client holds a connection to a node (it asks that node: no dial). */
  connectedRefreshCpuMs: number;
  /** CPU of SlotMap.fromShards on an already decoded reply. */
  parseCpuMs: number;
}

export async function measureRefresh(t: Target, rounds: number): Promise<RefreshResult> {
  const c = cluster(t);
  await c.connect();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < rounds + 3; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await c.refresh();
    if (r >= 3) {
      cpu.push(cpuMs(c0));
      wall.push(performance.now() - t0);
    }
  }
  await c.get('k{0}');
  const connected: number[] = [];
  for (let r = 0; r < rounds + 3; r++) {
    const c0 = process.cpuUsage();
    await c.refresh();
    if (r >= 3) connected.push(cpuMs(c0));
  }
  c.disconnect();
  const client = createClient({ host: t.seed.host, port: t.seed.port, protocol: 3 });
  await client.connect();
  const reply = (await client.call('CLUSTER', 'SHARDS')) as RespValue;
  await client.close();
  const parse: number[] = [];
  for (let r = 0; r < rounds * 5; r++) {
    // Synchronous and single-threaded: its wall time is its CPU time, at finer resolution.
    const t0 = performance.now();
    const map = SlotMap.fromShards(reply, { seedHost: t.seed.host });
    const ms = performance.now() - t0;
    if (map.coveredSlots !== 16384) throw new Error('refresh: the fake map is incomplete');
    parse.push(ms);
  }
  return { refreshCpuMs: median(cpu), refreshWallMs: median(wall), connectedRefreshCpuMs: median(connected), parseCpuMs: median(parse) };
}

// ── 3. a burst of 1,000 MOVED: one slot-map update ────────────────────────────────────

export interface MovedResult {
  /** SlotMap.withSlotsMoved with 1,000 moves to known primaries (one round's update). */
  applyMs: number;
}

export async function measureMovedApply(t: Target, rounds: number): Promise<MovedResult> {
  const c = cluster(t);
  await c.connect();
  const map = c.slotMap;
  c.disconnect();
  const primaries = map.primaries();
  const moves = Array.from({ length: 1000 }, (_, i) => {
    const to = primaries[(i * 7) % primaries.length]!;
    return { slot: (i * 16) % 16384, host: to.host, port: to.port };
  });
  const times: number[] = [];
  for (let r = 0; r < rounds + 3; r++) {
    const t0 = performance.now();
    const next = map.withSlotsMoved(moves);
    const ms = performance.now() - t0;
    if (next.primaryOf(moves[999]!.slot)?.port !== moves[999]!.port) throw new Error('moved: slot not applied');
    if (r >= 3) times.push(ms);
  }
  return { applyMs: median(times) };
}

// ── 4. routing cost per command ─────────────────────────────────────────────────────────

export interface RouteResult {
  /** routeCommand + slot owner + the node's connection, per keyed command (GET), ns. */
  keyedNs: number;
  /** A keyless command's node (topology.anyPrimary()), ns. */
  keylessNs: number;
  /** End to end: CPU per GET with 100 in flight over every node, µs. */
  getCpuUs: number;
  /** The same with every key on one node: what a command costs when batching is not lost to the spread. */
  getOneNodeCpuUs: number;
}

export async function measureRouting(t: Target, keys: readonly string[], oneNodeKeys: readonly string[]): Promise<RouteResult> {
  const topology = new Topology(resolveClusterOptions({ nodes: [t.seed], refreshInterval: 0 }));
  await topology.start();
  const cmds = keys.map((k) => ({ name: 'GET', args: [k] }));
  const route = (): number => {
    let n = 0;
    for (const cmd of cmds) {
      const r = routeCommand(cmd);
      if (r.kind !== 'slot') throw new Error('route: not a slot route');
      const shard = topology.slotMap.shardOf(r.slot)!;
      if (topology.connection(shard.primary) !== undefined) n++;
    }
    return n;
  };
  route(); // opens the connections: what remains is the lookup
  const keyed: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t0 = performance.now();
    route();
    keyed.push(((performance.now() - t0) * 1e6) / cmds.length);
  }
  const keyless: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t0 = performance.now();
    let port = 0;
    for (let i = 0; i < 100_000; i++) port += (topology.anyPrimary() as NodeInfo).port;
    keyless.push(((performance.now() - t0) * 1e6) / 100_000);
    if (port === 0) throw new Error('route: no primary');
  }
  topology.disconnect();

  const c = cluster(t);
  await c.connect();
  const getCpu = async (list: readonly string[]): Promise<number> => {
    const send = async (): Promise<void> => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < list.length) {
          const k = list[next++]!;
          const v = await c.get(k);
          if (v !== `v:${k}`) throw new Error(`route: GET ${k} returned ${String(v)}`);
        }
      };
      await Promise.all(Array.from({ length: 100 }, worker));
    };
    const p = c.pipeline();
    for (const k of list) p.set(k, `v:${k}`);
    await p.exec();
    await send();
    const perOp: number[] = [];
    for (let r = 0; r < 5; r++) {
      const c0 = process.cpuUsage();
      await send();
      perOp.push((cpuMs(c0) * 1000) / list.length);
    }
    return median(perOp);
  };
  const getCpuUs = await getCpu(keys);
  const getOneNodeCpuUs = await getCpu(oneNodeKeys);
  c.disconnect();
  return { keyedNs: median(keyed), keylessNs: median(keyless), getCpuUs, getOneNodeCpuUs };
}

// ── 5. memory per idle node ─────────────────────────────────────────────────────────────

export interface MemoryResult {
  /** Heap (+ external buffers) per node with the map only (ready, no node connection), bytes. */
  mapOnlyBytes: number;
  /** Per node with an idle, handshaken connection to every primary, bytes. */
  connectedBytes: number;
}

export async function measureMemory(t: Target, keyPerNode: readonly string[]): Promise<MemoryResult> {
  const heap = (): number => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const mapOnly: number[] = [];
  const connected: number[] = [];
  // Three rounds, the median: a few hundred KB of noise is a lot per node at 3 nodes.
  for (let r = 0; r < 3; r++) {
    // Connections closed by earlier steps free their buffers a little later: let them go first.
    await new Promise((r) => setTimeout(r, 300));
    const base = heap();
    const c = cluster(t);
    await c.connect();
    mapOnly.push((heap() - base) / t.nodes);
    await Promise.all(keyPerNode.map((k) => c.get(k)));
    await new Promise((r) => setTimeout(r, 50));
    connected.push((heap() - base) / t.nodes);
    c.disconnect();
  }
  return { mapOnlyBytes: median(mapOnly), connectedBytes: median(connected) };
}

// ── 6. a 1,000-key MGET and a 1,000-command batch ───────────────────────────────────────

export interface FanOutResult {
  mgetMs: number;
  batchMs: number;
  nodesTouched: number;
  /** Flushes to the kernel per node touched (max over nodes). */
  mgetWritesPerNode: number;
  batchWritesPerNode: number;
}

export async function measureFanOut(t: Target, keys: readonly string[], rounds: number): Promise<FanOutResult> {
  const c = cluster(t);
  await c.connect();
  const set = c.pipeline();
  for (const k of keys) set.set(k, `v:${k}`);
  await set.exec();
  const nodes = new Set(keys.map((k) => nodeKey(c.slotMap.primaryOf(keySlot(k))!))).size;
  const mget = async (): Promise<void> => {
    const values = await c.mget(keys);
    for (let i = 0; i < keys.length; i++) if (values[i] !== `v:${keys[i]}`) throw new Error(`mget: ${keys[i]} = ${String(values[i])}`);
  };
  const batch = async (): Promise<void> => {
    const p = c.pipeline();
    for (const k of keys) p.get(k);
    const replies = await p.exec();
    for (let i = 0; i < keys.length; i++) if (replies[i] !== `v:${keys[i]}`) throw new Error(`batch: ${keys[i]} = ${String(replies[i])}`);
  };
  const timed = async (fn: () => Promise<void>): Promise<{ ms: number; writes: number }> => {
    for (let r = 0; r < 3; r++) await fn();
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      await fn();
      times.push(performance.now() - t0);
    }
    counters.flushes.clear();
    await fn();
    const writes = Math.max(...counters.flushes.values());
    return { ms: median(times), writes };
  };
  const m = await timed(mget);
  const b = await timed(batch);
  c.disconnect();
  return { mgetMs: m.ms, batchMs: b.ms, nodesTouched: nodes, mgetWritesPerNode: m.writes, batchWritesPerNode: b.writes };
}

// ── 7. a refresh storm: many clients get MOVED for the same slots at once ──────────────

export interface StormResult {
  clients: number;
  /** CLUSTER SHARDS the servers received in the window, all clients together. */
  shardsCalls: number;
  windowMs: number;
  minRefreshGap: number;
  moved: number;
}

/**
 * `clients` clients, each ready with a connection to the slots' owner; the fake moves `slots`
 * to another node, and every client sends one GET per moved slot at once (wave 1), then again
 * 30 ms later after moving them on (wave 2, inside the rate-limit window). Counts CLUSTER SHARDS
 * calls reaching the servers until `windowMs` after wave 1.
 */
export async function measureStorm(
  t: Target,
  fake: { reset(): Promise<void>; stats(): Promise<Array<{ shards: number }>>; move(slots: readonly number[], to: number): Promise<void> },
  ports: readonly number[],
  clients: number,
  windowMs: number,
): Promise<StormResult> {
  const cs = Array.from({ length: clients }, () => cluster(t));
  await Promise.all(cs.map((c) => c.connect()));
  const map = cs[0]!.slotMap;
  // 20 slots of the node with index 1, and a key in each.
  const from = map.primaries()[1]!;
  const slotKeys = new Map<number, string>();
  for (let i = 0; slotKeys.size < 20 && i < 1_000_000; i++) {
    const k = `s{${i}}`;
    const slot = keySlot(k);
    if (map.primaryOf(slot)?.port === from.port && !slotKeys.has(slot)) slotKeys.set(slot, k);
  }
  const slots = [...slotKeys.keys()];
  const keys = [...slotKeys.values()];
  await Promise.all(cs.map((c) => c.get(keys[0]!)));
  const wave = (): Promise<unknown> =>
    Promise.all(
      cs.map((c) => {
        const p = c.pipeline();
        for (const k of keys) p.get(k);
        return p.exec();
      }),
    );
  await fake.reset();
  const t0 = performance.now();
  await fake.move(slots, ports.indexOf(map.primaries()[2]!.port));
  await wave();
  await new Promise((r) => setTimeout(r, 30));
  await fake.move(slots, ports.indexOf(map.primaries()[3]!.port));
  await wave();
  const left = windowMs - (performance.now() - t0);
  if (left > 0) await new Promise((r) => setTimeout(r, left));
  const stats = await fake.stats();
  const moved = cs.reduce((a, c) => a + c.stats.moved, 0);
  cs.forEach((c) => c.disconnect());
  return { clients, shardsCalls: stats.reduce((a, s) => a + s.shards, 0), windowMs, minRefreshGap: 100, moved };
}
