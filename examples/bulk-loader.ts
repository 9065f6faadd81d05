/**
 * A bulk loader for a cluster: 20,000 records written with pipelines whose keys live on every
 * node. slotline splits each pipeline per node, writes the parts in parallel and hands the
 * results back in the order the commands were added, so the loader reads like single-server code.
 *
 *   npm run example -- examples/bulk-loader.ts [redis://127.0.0.1:7000]   (any node of the cluster)
 *
 * Exits 0 when every record was written and reads back, and the keys spread over every primary.
 */
import { createCluster, ReplyError, type Pipeline } from 'slotline';

const seed = process.argv[2] ?? process.env['REDIS_CLUSTER_URL'] ?? 'redis://127.0.0.1:7000';
setTimeout(() => { console.error('bulk-loader: took too long'); process.exit(1); }, 30_000).unref();

const RECORDS = 20_000;
const CHUNK = 5_000; // commands per pipeline: bounds the memory held for replies
const key = (i: number): string => `example:user:${i}`;

const cluster = await createCluster({ nodes: [seed] }).connect();
try {
  const started = Date.now();
  let failed = 0;
  for (let from = 0; from < RECORDS; from += CHUNK) {
    // Typed as a list of unknown results: a pipeline built in a loop has no fixed shape.
    const p: Pipeline<unknown[]> = cluster.pipeline();
    for (let i = from; i < Math.min(from + CHUNK, RECORDS); i++) p.hset(key(i), { name: `user ${i}`, visits: i % 100 });
    // Errors come back in place, one per failed command; the others were written.
    for (const r of await p.exec()) if (r instanceof ReplyError) failed++;
  }
  const ms = Date.now() - started;

  // Where did the keys go? keySpread() answers from the slot map, without asking the servers.
  const spread = cluster.keySpread(Array.from({ length: RECORDS }, (_, i) => key(i)));
  console.log(`loaded ${RECORDS - failed}/${RECORDS} records in ${ms} ms over ${spread.nodes.length} primaries:`,
    spread.nodes.map((n) => `${n.node} ${n.count}`).join(', '));

  // Read a sample back: one pipeline again, results in the order asked.
  const sample = [0, 7_777, RECORDS - 1];
  const [first, middle, last] = await cluster.pipeline().hget(key(sample[0]!), 'name').hget(key(sample[1]!), 'name').hget(key(sample[2]!), 'name').exec();
  const back = [first, middle, last];
  const readOk = back.every((v, j) => v === `user ${sample[j]}`);
  const primaries = cluster.slotMap.primaries().length;
  if (failed !== 0 || !readOk || spread.nodes.length !== primaries) process.exitCode = 1;

  // Clean up, split per slot and summed for you.
  const removed = await cluster.del(Array.from({ length: RECORDS }, (_, i) => key(i)));
  if (removed !== RECORDS) process.exitCode = 1;
} finally {
  await cluster.close();
}
