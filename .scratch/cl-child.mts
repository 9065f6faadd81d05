import { createCluster } from '/work/wt-bulk/src/index.js';
const [port, count] = [Number(process.argv[2]), Number(process.argv[3])];
const cluster = createCluster({ nodes: [{ host: '127.0.0.1', port }] });
await cluster.connect();
function* stream() { for (let i = 0; i < count; i++) yield ['set', `bulk:${i}`, 'v'.repeat(32)] as const; }
const rss0 = process.memoryUsage().rss;
let heap = 0;
const t0 = performance.now();
const r = await cluster.bulk(stream(), { onReply: (_r, i) => { if (i % 20000 === 0) heap = Math.max(heap, process.memoryUsage().heapUsed); } });
const s = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ count, ok: r.ok, opsPerSecond: Math.round(count / s), rss0MB: Math.round(rss0 / 2 ** 20), maxRSSMB: Math.round(process.resourceUsage().maxRSS / 1024), heapPeakMB: Math.round(heap / 2 ** 20) }));
await cluster.close();
