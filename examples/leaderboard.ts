/**
 * A game leaderboard on a sorted set: scores in, top N and a player's rank out.
 *
 *   npm run example -- examples/leaderboard.ts [redis://127.0.0.1:6379]
 *
 * Exits 0 when the top three and the ranks are the expected ones.
 */
import { createClient } from 'slotline';

const url = process.argv[2] ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
setTimeout(() => { console.error('leaderboard: took too long'); process.exit(1); }, 20_000).unref();

const client = await createClient(url).connect();
try {
  const board = 'example:leaderboard';
  await client.del(board);

  // Initial scores, as score/member pairs (the object form: zadd(board, [{ score, member }])).
  await client.zadd(board, [
    { score: 120, member: 'ada' },
    { score: 95, member: 'grace' },
    { score: 130, member: 'linus' },
    { score: 80, member: 'barbara' },
  ]);
  // Games finish: increments, sent together, one round trip.
  await Promise.all([client.zincrby(board, 40, 'grace'), client.zincrby(board, 5, 'ada'), client.zincrby(board, 60, 'barbara')]);

  const top = await client.zrangeWithScores(board, 0, 2, { REV: true }); // [{ member, score }]
  console.log('top 3:', top.map((e, i) => `${i + 1}. ${e.member} (${e.score})`).join(', '));
  const rank = await client.zrevrank(board, 'linus'); // 0 = first
  const score = await client.zscore(board, 'linus'); // a number, or null
  console.log(`linus: rank ${rank === null ? '-' : rank + 1}, score ${score}`);

  const expected = ['barbara:140', 'grace:135', 'linus:130'];
  const ok = top.map((e) => `${e.member}:${e.score}`).join() === expected.join() && rank === 2 && score === 130;
  if (!ok) process.exitCode = 1;
  await client.del(board);
} finally {
  await client.close();
}
