/**
 * One client in a process of its own for scenario 8, so RSS figures do not mix: builds a
 * pipeline of N SETs, runs it against a standalone server and prints one JSON line with
 * the memory it took. Usage: memory-child.ts <client name> <host> <port> <count>.
 */
import { clientByName } from './adapters/index.js';
import type { Cmd } from './adapters/types.js';
import { collectGarbage, now, runChildMain } from './stats.js';

const MB = 1024 * 1024;

export interface MemoryReport {
  rssBeforeMB: number;
  peakRssMB: number;
  heapBeforeMB: number;
  peakHeapMB: number;
  peakExternalGrowthMB: number;
  seconds: number;
}

async function main(): Promise<void> {
  const [name = '', host = '127.0.0.1', portText = '', countText = ''] = process.argv.slice(2);
  const spec = clientByName(name);
  if (spec === undefined) throw new Error(`unknown client ${name}`);
  const count = Number(countText);
  const adapter = await spec.open({ kind: 'standalone', host, port: Number(portText) });
  const value = 'v'.repeat(32);
  const cmds: Cmd[] = Array.from({ length: count }, (_, i) => ({ kind: 'set', key: `bench:m:${i % 10_000}`, value }));
  collectGarbage();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  let peakExternal = before.external;
  const sample = (): void => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
    if (m.external > peakExternal) peakExternal = m.external;
  };
  const timer = setInterval(sample, 5);
  const t0 = now();
  const done = adapter.batch(cmds);
  sample(); // the synchronous part (building and encoding) is over here for most clients
  await done;
  sample();
  const seconds = (now() - t0) / 1000;
  clearInterval(timer);
  // maxRSS is the kernel's high-water mark for the whole process (KiB), sampling misses nothing.
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
  await adapter.close();
  const report: MemoryReport = {
    rssBeforeMB: before.rss / MB,
    peakRssMB: peakRss / MB,
    heapBeforeMB: before.heapUsed / MB,
    peakHeapMB: peakHeap / MB,
    peakExternalGrowthMB: (peakExternal - before.external) / MB,
    seconds,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

runChildMain(main);
