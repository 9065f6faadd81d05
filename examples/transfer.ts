/**
 * An optimistic money transfer with watch(): read both balances, refuse an overdraft, then commit
 * the two writes together, retried by itself when someone else changed a balance in between.
 * Twenty transfers run at once against the same two accounts; none is lost, none overdraws.
 *
 *   npm run example -- examples/transfer.ts [redis://127.0.0.1:6379]
 *   npm run example -- examples/transfer.ts redis://127.0.0.1:7000 --cluster   (any node of a cluster)
 *
 * Exits 0 when the money is conserved, no balance went negative, and the refusals add up.
 */
import { createClient, createCluster, type Client, type Cluster } from 'slotline';

const url = process.argv[2] ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const onCluster = process.argv.includes('--cluster');
setTimeout(() => { console.error('transfer: took too long'); process.exit(1); }, 20_000).unref();

// A hash tag ({bank}) keeps both accounts in one slot, so the same code works on a cluster.
const ADA = 'example:{bank}:ada';
const BOB = 'example:{bank}:bob';

/** Moves `amount` from one account to the other; false when the balance is too low. */
async function transfer(client: Client | Cluster, from: string, to: string, amount: number): Promise<boolean> {
  const result = await client.watch([from, to], async (tx) => {
    const balance = Number((await tx.get(from)) ?? 0);
    if (balance < amount) return; // nothing to commit: watch() resolves null
    return tx.multi().decrby(from, amount).incrby(to, amount);
  });
  return result !== null;
}

const client: Client | Cluster = onCluster ? await createCluster({ nodes: [url] }).connect() : await createClient(url).connect();
try {
  await client.mset({ [ADA]: 100, [BOB]: 0 });
  let conflicts = 0;
  // 20 concurrent transfers of 10 from ada's 100: exactly 10 can succeed.
  const outcomes = await Promise.all(
    Array.from({ length: 20 }, () =>
      client.watch([ADA, BOB], async (tx) => {
        const balance = Number((await tx.get(ADA)) ?? 0);
        if (balance < 10) return;
        return tx.multi().decrby(ADA, 10).incrby(BOB, 10);
      }, { maxAttempts: 100, onConflict: () => conflicts++ }),
    ),
  );
  const done = outcomes.filter((o) => o !== null).length;
  const back = await transfer(client, BOB, ADA, 30); // and one more, through the helper
  const [ada, bob] = (await client.mget(ADA, BOB)).map(Number);
  console.log(`${done} transfers committed, ${20 - done} refused, ${conflicts} retried after a conflict; ada ${ada}, bob ${bob}`);
  if (done !== 10 || !back || ada !== 30 || bob !== 70 || ada! + bob! !== 100) process.exitCode = 1;
  await client.del(ADA, BOB);
} finally {
  await client.close();
}
