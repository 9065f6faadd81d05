/**
 * A sliding-window rate limiter as a Lua script: "at most LIMIT requests per WINDOW ms per user".
 * The script trims the user's log (a sorted set of request times), counts it and records the new
 * request in one atomic step, so two servers running this code never both let the 6th request in.
 *
 *   npm run example -- examples/rate-limiter.ts [redis://127.0.0.1:6379]
 *
 * Sends a burst of 8 requests for one user with a limit of 5 per second: 5 allowed, 3 refused.
 * Exits 0 when that is what happened.
 */
import { createClient, defineScript } from 'slotline';

const url = process.argv[2] ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
setTimeout(() => { console.error('rate-limiter: took too long'); process.exit(1); }, 20_000).unref();

// KEYS[1] the user's log; ARGV: now (ms), window (ms), limit, a unique id for this request.
const allow = defineScript({
  keys: 1,
  lua: `
    local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
    if redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
    redis.call('ZADD', KEYS[1], now, ARGV[4])
    redis.call('PEXPIRE', KEYS[1], window)
    return 1`,
});

const LIMIT = 5;
const WINDOW_MS = 1000;
const client = await createClient(url).connect();
try {
  const key = `example:ratelimit:{user-42}`;
  await client.del(key);
  const now = Date.now();
  // The whole burst is sent at once (automatic pipelining); the script runs once per request.
  const verdicts = await Promise.all(
    Array.from({ length: 8 }, (_, i) => client.runScript(allow, [key], [now, WINDOW_MS, LIMIT, `${now}-${i}`])),
  );
  const allowed = verdicts.filter((v) => v === 1).length;
  console.log(`burst of ${verdicts.length}: ${allowed} allowed, ${verdicts.length - allowed} refused (limit ${LIMIT}/${WINDOW_MS} ms)`);
  if (allowed !== LIMIT) process.exitCode = 1;
  await client.del(key);
} finally {
  await client.close();
}
