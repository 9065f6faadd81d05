import { createClient } from '../dist/esm/index.js';
const [mode, count] = [process.argv[2], Number(process.argv[3])];
const c = createClient({ port: 47391 });
await c.connect();
const value = 'v'.repeat(32);
const before = process.memoryUsage().rss;
const t0 = performance.now();
if (mode === 'bulk') {
  function* src() { for (let i = 0; i < count; i++) yield ['set', `bench:b:${i % 10000}`, value]; }
  const r = await c.bulk(src(), { onReply: () => {} });
  if (r.ok !== count) throw new Error('bad');
} else {
  const tuples = Array.from({ length: count }, (_, i) => ['set', `bench:b:${i % 10000}`, value]);
  const r = await c.pipeline(tuples).exec();
  if (r.length !== count) throw new Error('bad');
}
const s = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ mode, count, rssBeforeMB: +(before / 2 ** 20).toFixed(1), peakRssMB: +(process.resourceUsage().maxRSS / 1024).toFixed(1), seconds: +s.toFixed(2), opsPerSecond: Math.round(count / s) }));
await c.close();
