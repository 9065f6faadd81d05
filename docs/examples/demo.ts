/**
 * `npm run demo`: starts a throw-away 3-primary + 3-replica cluster from the installed
 * redis-server on free loopback ports, shows what slotline is for, and removes the cluster.
 *
 *   1. a 10,000-command pipeline whose keys span every node: one sub-pipeline per node,
 *      sent in parallel, results back in the order the commands were added
 *   2. mget / mset / del over keys in many slots, split and merged for you
 *   3. multi(): same-slot keys (hash tag) commit atomically; keys in two slots are refused
 *      with CrossSlotError before a byte is sent
 *   4. a script on every shard, loaded once per node, still working after SCRIPT FLUSH
 *   5. bulk(): 300,000 commands streamed from a generator over every node in constant memory,
 *      replies handed over in the source's order, errors in place
 *   6. a failover under load: writes keep succeeding while a replica takes over
 */
import { startCluster, redisCli } from '../../test/harness/servers.js';
import { createCluster, CrossSlotError, defineScript, type BulkCommand } from '../../src/index.js';

const line = (s = ''): void => console.log(s);
const ms = (t0: bigint): string => `${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`;

line('Starting a 3+3 redis-server cluster on free loopback ports...');
const servers = await startCluster({ primaries: 3, replicasPerPrimary: 1 });
const cluster = createCluster({ nodes: servers.seeds.slice(0, 1) });
try {
  await cluster.connect();
  line(`Discovered ${cluster.slotMap.primaries().length} primaries from one seed:`);
  for (const r of cluster.slotMap.ranges()) {
    line(`  slots ${String(r.start).padStart(5)}-${String(r.end).padEnd(5)} → ${r.shard.primary.host}:${r.shard.primary.port} (replicas: ${r.shard.replicas.map((n) => n.port).join(', ')})`);
  }

  line('\n1. One pipeline, 10,000 commands, keys on every node');
  const p = cluster.pipeline();
  for (let i = 0; i < 5000; i++) p.set(`user:${i}`, `v${i}`).get(`user:${i}`);
  let t0 = process.hrtime.bigint();
  const results = await p.exec();
  const inOrder = results.every((r, i) => (i % 2 === 0 ? r === 'OK' : r === `v${(i - 1) / 2}`));
  const spread = cluster.keySpread(Array.from({ length: 5000 }, (_, i) => `user:${i}`));
  line(`   ${results.length} results in ${ms(t0)}, in the caller's order: ${inOrder}`);
  line(`   keys per node: ${spread.nodes.map((n) => `${n.node}=${n.count}`).join('  ')}`);

  line('\n2. Multi-key commands across slots');
  t0 = process.hrtime.bigint();
  await cluster.mset(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`item:${i}`, String(i)])));
  const values = await cluster.mget(Array.from({ length: 1000 }, (_, i) => `item:${i}`));
  const deleted = await cluster.del(Array.from({ length: 1000 }, (_, i) => `item:${i}`));
  line(`   mset/mget/del of 1,000 keys in ${new Set(Array.from({ length: 1000 }, (_, i) => cluster.nodeFor(`item:${i}`)?.port)).size} nodes: ${ms(t0)}; mget in key order: ${values.every((v, i) => v === String(i))}; deleted ${deleted}`);

  line('\n3. Transactions must share a slot');
  const tx = await cluster.multi().set('{cart:42}:items', '3').incrby('{cart:42}:total', 99).exec();
  line(`   multi on {cart:42}:* → ${JSON.stringify(tx)}`);
  try {
    await cluster.multi().set('cart:1', 'x').set('cart:2', 'y').exec();
  } catch (error) {
    if (!(error instanceof CrossSlotError)) throw error;
    line(`   multi on cart:1 + cart:2 → ${error.name}: ${error.message}`);
  }

  line('\n4. Scripts: EVALSHA on the owner of the keys, loaded once per node');
  const bump = defineScript({ lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])", keys: 1 });
  const counters = ['{a}:n', '{b}:n', '{c}:n', '{d}:n'];
  const first = await Promise.all(counters.map((k) => cluster.runScript(bump, [k], [1])));
  await cluster.call('SCRIPT', 'FLUSH');
  const sp = cluster.pipeline();
  for (const k of counters) sp.runScript(bump, [k], [10]);
  const second = await sp.exec({ raiseOnError: true });
  line(`   ${counters.length} counters on ${new Set(counters.map((k) => cluster.nodeFor(k)?.port)).size} nodes: ${JSON.stringify(first)} → after SCRIPT FLUSH on every node, in one pipeline: ${JSON.stringify(second)}`);

  line('\n5. bulk(): 300,000 commands from a generator, in constant memory');
  const total = 300_000;
  let read = 0;
  function* stream(): Generator<BulkCommand> {
    for (let i = 0; i < total; i++, read++) {
      if (i === 1000) yield ['lpop', 'user:0']; // WRONGTYPE: an error in place, not a throw
      else yield ['set', `bulk:${i}`, `v${i}`];
    }
  }
  let expected = 0;
  let ordered = true;
  let firstError = '';
  let ahead = 0;
  t0 = process.hrtime.bigint();
  const counts = await cluster.bulk(stream(), {
    onReply(reply, index) {
      ordered &&= index === expected++;
      if (reply instanceof Error && firstError === '') firstError = `#${index} ${reply.message}`;
      ahead = Math.max(ahead, read - index);
    },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  line(`   ${JSON.stringify(counts)} in ${(seconds * 1000).toFixed(0)} ms (${Math.round(total / seconds).toLocaleString('en-US')} commands/s), in source order: ${ordered}`);
  line(`   error in place: ${firstError}`);
  line(`   never more than ${ahead.toLocaleString('en-US')} commands read ahead of the consumer (maxPending 8,000); bulk:${total - 1} = ${await cluster.get(`bulk:${total - 1}`)}`);

  line('\n6. Failover under load');
  const slot = 0;
  // A replica is listed once its first sync is done: read the map again until it is (bounded).
  for (let i = 0; i < 100 && cluster.slotMap.shardOf(slot)!.replicas.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    await cluster.refresh().catch(() => undefined);
  }
  const before = cluster.slotMap.primaryOf(slot)!;
  const replica = cluster.slotMap.shardOf(slot)!.replicas[0]!;
  let ok = 0;
  let failed = 0;
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop && i < 100_000; i++) {
      await cluster
        .pipeline()
        .set(`load:${i % 500}`, String(i))
        .get(`load:${(i * 7) % 500}`)
        .exec({ raiseOnError: true })
        .then(() => ok++, () => failed++);
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  line(`   CLUSTER FAILOVER on replica ${replica.port} (primary of slot ${slot} was ${before.port})`);
  await redisCli(replica.port, 'CLUSTER', 'FAILOVER');
  for (let i = 0; i < 100 && cluster.slotMap.primaryOf(slot)?.port !== replica.port; i++) {
    await new Promise((r) => setTimeout(r, 50));
    await cluster.refresh().catch(() => undefined);
  }
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  await writer;
  line(`   primary of slot ${slot} is now ${cluster.slotMap.primaryOf(slot)?.port}; pipelines ok: ${ok}, failed: ${failed}`);
  line(`   redirects handled: ${JSON.stringify(cluster.stats)}`);
} finally {
  await cluster.close();
  await servers.stop();
  line('\nCluster stopped and removed.');
}
