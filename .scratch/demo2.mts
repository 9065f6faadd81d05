import { createCluster } from '/work/wt-bulk/src/index.js';
import { startCluster, redisCli } from '/work/wt-bulk/test/harness/servers.js';
const servers = await startCluster({ primaries: 3, replicasPerPrimary: 1 });
const cluster = createCluster({ nodes: servers.seeds.slice(0, 1) });
await cluster.connect();
try {
  console.log('replicas before', cluster.slotMap.shardOf(0)!.replicas.map(n => n.port));
  function* stream() { for (let i = 0; i < 300000; i++) yield ['set', `bulk:${i}`, `v${i}`] as const; }
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const t0 = performance.now();
  const r = await cluster.bulk(stream(), { onReply: (_r, i) => { if (i % 20000 === 0) peak = Math.max(peak, process.memoryUsage().rss); } });
  console.log(r, performance.now() - t0, 'ms', 'rss growth', (peak - rss0) / 2 ** 20, 'maxRSS', process.resourceUsage().maxRSS / 1024);
  await cluster.refresh();
  console.log('replicas after', cluster.slotMap.shardOf(0)!.replicas.map(n => n.port));
  const p = cluster.slotMap.primaryOf(0)!;
  console.log(await redisCli(p.port, 'CLUSTER', 'SHARDS'));
} finally { await cluster.close(); await servers.stop(); }
