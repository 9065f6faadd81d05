/**
 * The scale bench (issue 15 part 1): slotline against a simulated cluster of 3, 30, 100 and
 * 1,000 primaries (fake-cluster.ts, one child process) and a real redis-server cluster as
 * large as this machine holds (30 primaries + 30 replicas by default). Not part of `npm test`.
 *
 *   npx tsx --expose-gc src/scale/main.ts [--sizes 3,30,100,1000] [--real 3,30] [--write-docs]
 *
 * --write-docs replaces the Scale section of docs/benchmarks.md (between its markers) and
 * writes the rows to docs/data/scale.json and the curves to docs/scale.svg (the main suite's
 * --write-docs redraws the curves from that file). Every step is bounded: fixed round counts,
 * the client's timeouts, and a watchdog that ends the run after 10 minutes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createCluster, keySlot } from '../../../src/index.js';
import { startCluster } from '../../../test/harness/servers.js';
import { startFake } from './fake.js';
import {
  keysPerNode,
  measureFanOut,
  measureMemory,
  measureMovedApply,
  measureReady,
  measureRefresh,
  measureRouting,
  measureStorm,
  patchSockets,
  setOpenProbe,
  type StormResult,
  type Target,
} from './measure.js';
import { writeScaleFiles, type Row } from './data.js';

const WATCHDOG_MS = 10 * 60_000;
const DOCS = fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

function sizes(text: string): number[] {
  return text === '' || text === 'none' ? [] : text.split(',').map(Number);
}

async function measure(t: Target): Promise<Row> {
  const probe = createCluster({ nodes: [t.seed], refreshInterval: 0 });
  await probe.connect();
  const map = probe.slotMap;
  probe.disconnect();
  const perNode = [...keysPerNode(map, 1).values()].map((l) => l[0]!);
  const routingKeys = Array.from({ length: 10_000 }, (_, i) => `key:${i}`);
  const first = map.primaries()[0]!;
  const oneNodeKeys: string[] = [];
  for (let i = 0; oneNodeKeys.length < 3000 && i < 5_000_000; i++) if (map.primaryOf(keySlot(`key:${i}`))?.port === first.port) oneNodeKeys.push(`key:${i}`);
  const fanKeys = Array.from({ length: 1000 }, (_, i) => `key:${i}`);
  log(`${t.label}: memory`);
  const memory = await measureMemory(t, perNode);
  log(`${t.label}: ready`);
  const ready = await measureReady(t, 5);
  log(`${t.label}: refresh`);
  const refresh = await measureRefresh(t, t.nodes >= 1000 ? 10 : 20);
  const moved = await measureMovedApply(t, 20);
  log(`${t.label}: routing`);
  const route = await measureRouting(t, routingKeys, oneNodeKeys);
  log(`${t.label}: fan-out`);
  const fanOut = await measureFanOut(t, fanKeys, 20);
  return { label: t.label, kind: t.kind, nodes: t.nodes, ready, refresh, moved, route, memory, fanOut };
}

function log(s: string): void {
  process.stderr.write(`[scale ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
}

function header(): string {
  const cpus = os.cpus();
  let redis = 'redis-server: not runnable';
  try {
    redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    // keep the note
  }
  return [
    `Node ${process.version} on ${os.platform()} ${os.release()} ${os.arch()}; ${cpus.length} x ${cpus[0]?.model ?? '?'}; ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    redis,
    'not pinned: the client, the fake cluster process and the redis-server nodes share both CPUs',
  ].join('\n');
}

const f1 = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const kb = (b: number): string => (b / 1024).toFixed(1);

export function renderTable(rows: readonly Row[], storm: StormResult | undefined, date: string): string {
  const lines = [
    `Measured ${date} (\`npm --prefix bench run scale -- --write-docs\`).`,
    '',
    '```',
    header(),
    '```',
    '',
    '| cluster | nodes | ready ms | dialled to ready | open after ready | dialled after 1 GET | refresh CPU ms | refresh CPU ms, connected | parse ms | 1,000 MOVED applied ms | route ns/GET | route ns/keyless | CPU µs/GET spread (e2e) | CPU µs/GET one node (e2e) | KB/node map only | KB/node connected | MGET 1,000 ms | batch 1,000 ms | nodes touched | writes/node MGET | writes/node batch |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.nodes} | ${f1(r.ready.readyMs)} | ${r.ready.dialledToReady} | ${r.ready.openAfterReady < 0 ? 'n/a' : r.ready.openAfterReady} | ${r.ready.dialledAfterOneGet} | ${f1(r.refresh.refreshCpuMs)} | ${f1(r.refresh.connectedRefreshCpuMs)} | ${f1(r.refresh.parseCpuMs)} | ${f1(r.moved.applyMs)} | ${f1(r.route.keyedNs)} | ${f1(r.route.keylessNs)} | ${f1(r.route.getCpuUs)} | ${f1(r.route.getOneNodeCpuUs)} | ${kb(r.memory.mapOnlyBytes)} | ${kb(r.memory.connectedBytes)} | ${f1(r.fanOut.mgetMs)} | ${f1(r.fanOut.batchMs)} | ${r.fanOut.nodesTouched} | ${r.fanOut.mgetWritesPerNode} | ${r.fanOut.batchWritesPerNode} |`,
    );
  }
  if (storm !== undefined) {
    lines.push(
      '',
      `Refresh storm (fake, 100 nodes): ${storm.clients} clients, two waves of MOVED for the same 20 slots 30 ms apart (inside one ${storm.minRefreshGap} ms rate-limit window), ${storm.moved} MOVED replies in all: **${storm.shardsCalls} CLUSTER SHARDS calls** reached the servers in ${storm.windowMs} ms, ${(storm.shardsCalls / storm.clients).toFixed(2)} per client (one per wave at most: the first refresh runs at once, the second waits for the window to pass).`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    log('watchdog: 10 minutes passed, ending the run');
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  patchSockets();
  const rows: Row[] = [];
  let storm: StormResult | undefined;
  for (const n of sizes(arg('--sizes', '3,30,100,1000'))) {
    const fake = await startFake(n);
    try {
      const seed = { host: '127.0.0.1', port: fake.ports[0]! };
      const target: Target = { label: 'fake', kind: 'fake', nodes: n, seed };
      setOpenProbe(async () => (await fake.stats()).reduce((a, s) => a + s.open, 0));
      rows.push(await measure(target));
      if (n === 100 && !process.argv.includes('--no-storm')) {
        log('fake 100: refresh storm');
        storm = await measureStorm(target, fake, fake.ports, 100, 1000);
      }
    } finally {
      setOpenProbe(undefined);
      await fake.stop();
    }
  }
  for (const n of sizes(arg('--real', '3,30'))) {
    log(`real: starting ${n} primaries + ${n} replicas`);
    const t0 = performance.now();
    const cluster = await startCluster({ primaries: n, replicasPerPrimary: 1, healthyTimeoutMs: 120_000 });
    log(`real: up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    try {
      rows.push(await measure({ label: `redis ${n}+${n}`, kind: 'real', nodes: n, seed: cluster.seeds[0]! }));
    } finally {
      await cluster.stop();
    }
  }
  const date = new Date().toISOString().slice(0, 10);
  const table = renderTable(rows, storm, date);
  process.stdout.write(`${table}\n`);
  const results = fileURLToPath(new URL('../../results/', import.meta.url));
  mkdirSync(results, { recursive: true });
  writeFileSync(`${results}scale-${Date.now()}.json`, JSON.stringify({ rows, storm }, null, 2));
  if (process.argv.includes('--write-docs')) {
    const doc = readFileSync(DOCS, 'utf8');
    const start = '<!-- scale:start -->';
    const end = '<!-- scale:end -->';
    const a = doc.indexOf(start);
    const b = doc.indexOf(end);
    if (a === -1 || b < a) throw new Error('docs/benchmarks.md has no scale markers');
    writeFileSync(DOCS, `${doc.slice(0, a + start.length)}\n${table}\n\n![scale curves](scale.svg)\n${doc.slice(b)}`);
    writeScaleFiles({ measured: date, header: header(), rows, storm });
    log('wrote docs/benchmarks.md (Scale), docs/data/scale.json and docs/scale.svg');
  }
  clearTimeout(watchdog);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
