import { createCluster } from '/work/wt-bulk/src/index.js';
import { startCluster, redisCli } from '/work/wt-bulk/test/harness/servers.js';
const servers = await startCluster({ replicasPerPrimary: 0 });
const cluster = createCluster({ nodes: [servers.seeds[0]!], refreshInterval: 0 });
await cluster.connect();
try {
  const n = 4000, window = 100, maxPending = 600;
  const slow = cluster.slotMap.primaries()[0]!;
  const slowKeys: string[] = [], fastKeys: string[] = [];
  for (let i = 0; slowKeys.length < n / 1000 || fastKeys.length < n; i++) {
    const key = `hol:${i}`;
    if (cluster.nodeFor(key)!.port === slow.port) slowKeys.push(key); else fastKeys.push(key);
  }
  const keyOf = (i: number) => (i % 1000 === 0 ? slowKeys[i / 1000]! : fastKeys[i]!);
  let read = 0;
  function* spread() { for (let i = 0; i < n; i++) { read++; yield ['set', keyOf(i), `v${i}`] as const; } }
  await redisCli(slow.port, 'CLIENT', 'PAUSE', '400', 'ALL');
  const t0 = Date.now();
  const timer = setInterval(() => console.log(Date.now() - t0, 'read', read), 50);
  let first = -1;
  const r = await cluster.bulk(spread(), { window, maxPending, onReply: (_r, i) => { if (first < 0) { first = Date.now() - t0; console.log('first reply at', first, 'read', read); } } });
  clearInterval(timer);
  console.log(r);
} finally { await cluster.close(); await servers.stop(); }
