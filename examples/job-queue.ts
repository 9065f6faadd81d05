/**
 * A job queue on a stream with a consumer group: a producer appends jobs, two workers share them
 * (each job goes to one worker), every job is acknowledged once done, and the jobs a crashed
 * worker had taken are claimed by a live one (XAUTOCLAIM).
 *
 *   npm run example -- examples/job-queue.ts [redis://127.0.0.1:6379]
 *
 * Exits 0 when all 20 jobs were processed exactly once and nothing is left pending.
 */
import { createClient, type RespValue } from 'slotline';

const url = process.argv[2] ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
setTimeout(() => { console.error('job-queue: took too long'); process.exit(1); }, 20_000).unref();

const STREAM = 'example:jobs';
const GROUP = 'workers';
const JOBS = 20;

const client = await createClient(url).connect();
try {
  await client.del(STREAM);
  // The group reads from the start ('0'); MKSTREAM creates the stream if it is not there yet.
  await client.xgroupCreate(STREAM, GROUP, '0', { MKSTREAM: true });

  for (let i = 1; i <= JOBS; i++) await client.xadd(STREAM, '*', { job: String(i), kind: 'resize-image' });

  // A worker that takes two jobs and dies before acknowledging them.
  const lost = await client.xreadgroup(GROUP, 'crashed', [{ key: STREAM, id: '>' }], { COUNT: 2 });
  const lostIds = lost?.[0]?.messages.map((m) => m.id) ?? [];

  const done = new Map<string, string>(); // job -> worker
  let duplicates = 0;
  const handle = async (worker: string, id: string, job: string): Promise<void> => {
    if (done.has(job)) duplicates++;
    done.set(job, worker);
    await client.xack(STREAM, GROUP, id);
  };

  // Jobs idle for 0 ms or more are claimed: in production, a longer idle time (e.g. 60 s).
  const claimed = (await client.call('XAUTOCLAIM', STREAM, GROUP, 'w1', 0, '0-0', 'COUNT', 10)) as RespValue[];
  for (const [id, fields] of claimed[1] as Array<[string, string[]]>) await handle('w1', id, fields[1]!);

  const worker = async (name: string): Promise<void> => {
    for (let round = 0; round < 50 && done.size < JOBS; round++) {
      // BLOCK waits up to 100 ms for new jobs, on a pooled connection of its own.
      const batch = await client.xreadgroup(GROUP, name, [{ key: STREAM, id: '>' }], { COUNT: 3, BLOCK: 100 });
      for (const entry of batch?.[0]?.messages ?? []) await handle(name, entry.id, entry.message['job']!);
    }
  };
  await Promise.all([worker('w1'), worker('w2')]);

  const pending = (await client.call('XPENDING', STREAM, GROUP)) as RespValue[];
  const perWorker = [...done.values()].reduce<Record<string, number>>((acc, w) => ({ ...acc, [w]: (acc[w] ?? 0) + 1 }), {});
  console.log(`processed ${done.size}/${JOBS} jobs`, perWorker, `reclaimed from the crashed worker: ${lostIds.length}, pending: ${pending[0]}`);
  if (done.size !== JOBS || duplicates !== 0 || pending[0] !== 0 || lostIds.length !== 2) process.exitCode = 1;
  await client.del(STREAM);
} finally {
  await client.close();
}
