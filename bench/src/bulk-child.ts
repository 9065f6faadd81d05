/**
 * One measurement of scenario 9 in a process of its own, so RSS figures do not mix: N SETs
 * through slotline's bulk() (the source a generator, read lazily) or through one pipeline()
 * (the tuples built first, as a pipeline needs them), against a standalone server. Prints one
 * JSON line: peak RSS (the kernel's maxRSS), heap peak (sampled), seconds, ops/s.
 * Usage: bulk-child.ts bulk|pipeline <host> <port> <count> [window] [cluster]
 * With `cluster` (window `-` for the default), host:port is a seed of a cluster and the
 * client is createCluster's: the keys spread over every primary.
 * Loads the built library (dist/esm) like every slotline adapter; nothing else.
 */
import { loadSlotline } from './adapters/slotline.js';
import { collectGarbage, now, runChildMain } from './stats.js';

const MB = 1024 * 1024;

export interface BulkReport {
  mode: 'bulk' | 'pipeline';
  target: 'standalone' | 'cluster';
  count: number;
  rssBeforeMB: number;
  peakRssMB: number;
  peakHeapMB: number;
  seconds: number;
  opsPerSecond: number;
}

type Tuple = readonly [string, ...string[]];

async function main(): Promise<void> {
  const [mode = '', host = '127.0.0.1', portText = '', countText = '', windowArg, target = 'standalone'] = process.argv.slice(2);
  if (mode !== 'bulk' && mode !== 'pipeline') throw new Error(`mode must be bulk or pipeline, got ${mode}`);
  if (target !== 'standalone' && target !== 'cluster') throw new Error(`target must be standalone or cluster, got ${target}`);
  const windowText = windowArg === '-' ? undefined : windowArg;
  const count = Number(countText);
  const mod = await loadSlotline();
  const at = { host, port: Number(portText) };
  const client = target === 'cluster' ? mod.createCluster?.({ nodes: [at] }) : mod.createClient?.(at);
  if (client === undefined) throw new Error(`dist has no ${target === 'cluster' ? 'createCluster' : 'createClient'} export`);
  await client.connect();
  const value = 'v'.repeat(32);
  collectGarbage();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  const timer = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 20);
  let t0: number;
  if (mode === 'bulk') {
    if (typeof client.bulk !== 'function') throw new Error('this build has no bulk()');
    function* source(): Generator<Tuple> {
      for (let i = 0; i < count; i++) yield ['set', `bench:b:${i % 10_000}`, value];
    }
    let failed = 0;
    t0 = now();
    const result = await client.bulk(source(), {
      ...(windowText === undefined ? {} : { window: Number(windowText) }),
      onReply: (reply) => {
        if (reply instanceof Error) failed++;
      },
    });
    if (result.ok !== count || failed !== 0) throw new Error(`bulk: ${JSON.stringify(result)}, ${failed} errors`);
  } else {
    const tuples: Tuple[] = Array.from({ length: count }, (_, i) => ['set', `bench:b:${i % 10_000}`, value] as const);
    t0 = now();
    const replies = await client.pipeline(tuples).exec();
    if (replies.length !== count || replies.some((r) => r instanceof Error)) throw new Error('pipeline: some replies were errors');
  }
  const seconds = (now() - t0) / 1000;
  clearInterval(timer);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  await client.close();
  const report: BulkReport = {
    mode,
    target,
    count,
    rssBeforeMB: before.rss / MB,
    // maxRSS is the kernel's high-water mark for the whole process (KiB): sampling misses nothing.
    peakRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
    peakHeapMB: peakHeap / MB,
    seconds,
    opsPerSecond: count / seconds,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

runChildMain(main);
