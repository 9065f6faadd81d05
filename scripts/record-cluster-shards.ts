/**
 * Records what real servers answer to CLUSTER SHARDS right after a primary was killed and its
 * replica promoted, as the raw bytes of the reply (RESP2 and RESP3), into
 * test/fixtures/cluster-shards/. The slot-map unit tests decode these files with our own
 * decoder, so the reader is tested against what Redis 7 and Valkey 8 really send, not against
 * replies typed by hand. Run: `npx tsx scripts/record-cluster-shards.ts [redis|valkey]...`
 * (needs redis-server / valkey-server on PATH; starts and stops its own clusters on loopback).
 */
import net from 'node:net';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startCluster, type ClusterNode } from '../test/harness/servers.js';
import { probeOne } from '../test/harness/probe.js';
import { layoutOf, roleOf } from '../test/harness/cluster-ops.js';
import { SERVER_FLAVOURS, type ServerFlavour } from '../test/harness/flavour.js';

const OUT = join(import.meta.dirname, '..', 'test', 'fixtures', 'cluster-shards');
const BOUND_MS = 20_000;

/** Sends `prefix` (HELLO 3 or nothing) then CLUSTER SHARDS; resolves with the raw reply bytes of both. */
function rawShards(port: number, resp3: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`CLUSTER SHARDS on ${port}: no complete reply`));
    }, 2000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    // PING last: its +PONG (or RESP3 +PONG) marks the end of the SHARDS reply without parsing it.
    socket.write(`${resp3 ? 'HELLO 3\r\n' : ''}CLUSTER SHARDS\r\nECHO end-of-recording-7f3a\r\n`);
    const check = setInterval(() => {
      const all = Buffer.concat(chunks);
      if (all.includes('end-of-recording-7f3a')) {
        clearInterval(check);
        clearTimeout(timer);
        socket.destroy();
        resolve(all);
      }
    }, 10);
  });
}

async function record(flavour: ServerFlavour): Promise<void> {
  const cluster = await startCluster({ flavour, nodeTimeoutMs: 1000 });
  try {
    const [victim] = await cluster.primaries();
    const heir = (await layoutOf(victim!.port)).replicasOf(victim!.port)[0]!;
    const witness = cluster.nodes.find((n) => n !== victim && n.port !== heir.port) as ClusterNode;
    await victim!.kill('SIGKILL');
    const killedAt = Date.now();
    // Wait until the victim's replica says it is a primary and the witness lists it as one:
    // the state a client refreshing right after the failover reads.
    for (;;) {
      if (Date.now() - killedAt > BOUND_MS) throw new Error(`${flavour}: no promotion seen within ${BOUND_MS} ms`);
      if ((await roleOf(heir.port)) === 'master') {
        const text = JSON.stringify(await probeOne(witness.port, ['CLUSTER', 'SHARDS']));
        if ((text.match(/"master"/g) ?? []).length >= 4) break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const promotedMs = Date.now() - killedAt;
    for (const resp3 of [false, true]) {
      const bytes = await rawShards(witness.port, resp3);
      const name = `${flavour}-after-failover-resp${resp3 ? 3 : 2}.bin`;
      await writeFile(join(OUT, name), bytes);
      console.log(`${name}: ${bytes.length} bytes, promotion seen ${promotedMs} ms after the kill; dead primary ${victim!.port} (${victim!.id})`);
    }
    await writeFile(join(OUT, `${flavour}-after-failover.json`), JSON.stringify({ deadPrimaryId: victim!.id, promotedId: heir.id, promotedMs }, null, 2) + '\n');
  } finally {
    await cluster.stop();
  }
}

await mkdir(OUT, { recursive: true });
const wanted = process.argv.slice(2);
for (const flavour of wanted.length > 0 ? (wanted as ServerFlavour[]) : SERVER_FLAVOURS) await record(flavour);
