/**
 * Cache-aside: read the cache first, on a miss load from the (slow) source of truth and fill the
 * cache with a TTL; on a write, update the source and delete the cached copy. Concurrent misses
 * for the same key share one load, so a burst does not stampede the database.
 *
 *   npm run example -- examples/cache-aside.ts [redis://127.0.0.1:6379]
 *
 * Exits 0 when the database was asked once per key (plus once after the update) and every read
 * returned the current value.
 */
import { createClient } from 'slotline';

const url = process.argv[2] ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
setTimeout(() => { console.error('cache-aside: took too long'); process.exit(1); }, 20_000).unref();

interface User { id: string; name: string; plan: string }

// The source of truth: a slow database, counted.
const rows = new Map<string, User>([
  ['1', { id: '1', name: 'Ada', plan: 'free' }],
  ['2', { id: '2', name: 'Grace', plan: 'pro' }],
]);
let dbReads = 0;
const db = {
  async find(id: string): Promise<User | undefined> {
    dbReads++;
    await new Promise((r) => setTimeout(r, 50));
    return rows.get(id);
  },
  async update(user: User): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
    rows.set(user.id, user);
  },
};

const client = await createClient(url).connect();
const TTL_SECONDS = 60;
const cacheKey = (id: string): string => `example:cache:user:${id}`;
const loading = new Map<string, Promise<User | undefined>>();

async function getUser(id: string): Promise<User | undefined> {
  const cached = await client.get(cacheKey(id));
  if (cached !== null) return JSON.parse(cached) as User;
  // One load per key at a time: later misses wait for the first.
  let load = loading.get(id);
  if (load === undefined) {
    load = db.find(id).then(async (user) => {
      if (user !== undefined) await client.set(cacheKey(id), JSON.stringify(user), { EX: TTL_SECONDS });
      return user;
    }).finally(() => loading.delete(id));
    loading.set(id, load);
  }
  return load;
}

async function updateUser(user: User): Promise<void> {
  await db.update(user);
  await client.del(cacheKey(user.id)); // the next read loads the new row
}

try {
  await client.del(cacheKey('1'), cacheKey('2'));
  // A burst of 50 reads over two users: two database reads, the rest from the cache.
  const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => getUser(String((i % 2) + 1))));
  const afterBurst = dbReads;
  await updateUser({ id: '1', name: 'Ada', plan: 'enterprise' });
  const updated = await getUser('1');
  const again = await getUser('1');
  console.log(`50 reads: ${afterBurst} database reads; after the update: plan ${updated?.plan}, database reads ${dbReads}`);
  const ok = afterBurst === 2 && dbReads === 3 && burst.every((u) => u !== undefined) && updated?.plan === 'enterprise' && again?.plan === 'enterprise';
  if (!ok) process.exitCode = 1;
  await client.del(cacheKey('1'), cacheKey('2'));
} finally {
  await client.close();
}
