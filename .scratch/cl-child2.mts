import { createCluster } from '/work/wt-bulk/src/index.js';
const [port, count, mode, win] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4], Number(process.argv[5] ?? 4000)];
const cluster = createCluster({ nodes: [{ host: '127.0.0.1', port }] });
await cluster.connect();
const v = 'v'.repeat(32);
const t0 = performance.now();
if (mode === 'bulk') {
  function* stream() { for (let i = 0; i < count; i++) yield ['set', `bulk:${i}`, v] as const; }
  await cluster.bulk(stream(), { window: win, maxPending: win * 4 });
} else {
  const tuples = Array.from({ length: count }, (_, i) => ['set', `bulk:${i}`, v] as const);
  await cluster.pipeline(tuples as never).exec();
}
const s = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ mode, win, count, opsPerSecond: Math.round(count / s), maxRSSMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
await cluster.close();
