/**
 * slotline, loaded from the built library (../dist/esm) at run time so that the suite still
 * runs, with slotline cells marked n/a, while the library is missing, broken or mid-change.
 * The shapes below are what the benchmarks need from it, checked when called, not imported.
 */
import { fileURLToPath } from 'node:url';
import { checkReplies, type Adapter, type ClientSpec, type Cmd, type Target } from './types.js';

/** The built library; SLOTLINE_BENCH_DIST points at another build (a folder ending in /). */
export const DIST_ESM = process.env['SLOTLINE_BENCH_DIST'] ?? fileURLToPath(new URL('../../../dist/esm/', import.meta.url));

type Tuple = readonly [string, ...string[]];

interface SlotlinePipeline {
  exec(): Promise<unknown[]>;
}
/** What bulk() resolves with (see the library's BulkResult). */
export interface SlotlineBulkResult {
  sent: number;
  ok: number;
  errors: number;
}
export interface SlotlineClient {
  connect(): Promise<unknown>;
  /** Absent from builds older than bulk(): scenario 9 then shows n/a. */
  bulk?(source: Iterable<Tuple> | AsyncIterable<Tuple>, options?: { window?: number; onReply?: (reply: unknown, index: number) => void }): Promise<SlotlineBulkResult>;
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  ping(): Promise<unknown>;
  pipeline(commands?: readonly Tuple[]): SlotlinePipeline;
  close(): Promise<void>;
}
/** The client options the benchmarks set; the rest keep their defaults. */
interface SlotlineOptions {
  host: string;
  port: number;
  maxBatch?: number;
}
interface SlotlineModule {
  createClient?: (options: SlotlineOptions) => SlotlineClient;
  createCluster?: (options: {
    nodes: { host: string; port: number }[];
    natMap?: Record<string, { host: string; port: number }>;
  }) => SlotlineClient;
}

const loaded = new Map<string, Promise<SlotlineModule>>();

/**
 * A built library (by default DIST_ESM), imported once per folder. Rejects with the import
 * error when it is not built. Another folder is another copy of the library: ab.ts loads two
 * builds side by side this way.
 */
export function loadSlotline(dist: string = DIST_ESM): Promise<SlotlineModule> {
  let mod = loaded.get(dist);
  if (mod === undefined) {
    mod = import(new URL('index.js', `file://${dist.endsWith('/') ? dist : `${dist}/`}`).href) as Promise<SlotlineModule>;
    loaded.set(dist, mod);
  }
  return mod;
}

function tuples(cmds: readonly Cmd[]): Tuple[] {
  return cmds.map((c) => (c.kind === 'set' ? (['set', c.key, c.value] as const) : (['get', c.key] as const)));
}

function adapt(client: SlotlineClient): Adapter {
  return {
    set: (key, value) => client.set(key, value),
    get: (key) => client.get(key),
    ping: () => client.ping(),
    async batch(cmds) {
      checkReplies(await client.pipeline(tuples(cmds)).exec(), cmds.length);
    },
    close: () => client.close(),
  };
}

export const slotline: ClientSpec = {
  name: 'slotline',
  role: 'subject',
  pkg: 'slotline',
  clusterCapable: true,
  open: (target) => openSlotline(target),
};

/**
 * slotline with pipelines sent whole (maxBatch far above any pipeline): only for scenario 8,
 * to show what slicing at the default maxBatch of 1,000 saves. Not in CLIENTS.
 */
export const slotlineUnsliced: ClientSpec = {
  name: 'slotline (unsliced)',
  role: 'subject',
  pkg: 'slotline',
  clusterCapable: false,
  open: (target) => openSlotline(target, DIST_ESM, { maxBatch: 1e9 }),
};

/** Opens slotline from the build in `dist` (DIST_ESM unless given) on `target`. */
export async function openSlotline(target: Target, dist: string = DIST_ESM, extra: { maxBatch?: number } = {}): Promise<Adapter> {
  const mod = await loadSlotline(dist);
  if (target.kind === 'standalone') {
    if (typeof mod.createClient !== 'function') throw new Error('dist has no createClient export');
    const client = mod.createClient({ host: target.host, port: target.port, ...extra });
    await client.connect();
    return adapt(client);
  }
  if (typeof mod.createCluster !== 'function') throw new Error('dist has no createCluster export');
  const natMap = target.natMap === undefined ? undefined : { ...target.natMap };
  const cluster = mod.createCluster({
    nodes: target.seeds.map((s) => ({ host: s.host, port: s.port })),
    ...(natMap === undefined ? {} : { natMap }),
  });
  await cluster.connect();
  return adapt(cluster);
}
