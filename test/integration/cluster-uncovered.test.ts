/**
 * Issue 12 item 4: a window in which a slot has no owner (deleted, then restored), on a private
 * 3+3 cluster with cluster-require-full-coverage no, so the other slots keep serving. Calls to
 * the uncovered slot settle within 2.5 s with a ClusterError saying so; calls to other slots are
 * untouched; service returns within a second of the slot being restored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterError, createCluster, keySlot, type Cluster } from '../../src/index.js';
import { layoutOf, pollUntil } from '../harness/cluster-ops.js';
import { probeOne, startCluster, type ClusterHandle } from '../harness/servers.js';

describe('an uncovered slot window', () => {
  let servers: ClusterHandle;
  let cluster: Cluster;
  beforeAll(async () => {
    servers = await startCluster({ args: ['--cluster-require-full-coverage', 'no'] });
    cluster = createCluster({ nodes: [servers.seeds[0]!], refreshInterval: 0 });
    await cluster.connect();
  });
  afterAll(async () => {
    cluster?.disconnect();
    await servers?.stop();
  });

  it('settles calls to the slot within 2.5 s, leaves other slots alone, and serves again soon after the slot is back', async () => {
    const key = '{uncovered}:k';
    const slot = keySlot(key);
    const other = '{elsewhere}:k';
    expect(keySlot(other)).not.toBe(slot);
    expect(await cluster.set(key, 'before')).toBe('OK');
    const layout = await layoutOf(servers.seeds[0]!.port);
    const owner = layout.ownerPort(slot);
    const ownerId = layout.entry(owner).id;

    // Drop the slot (and its key) everywhere: no node serves it now.
    await probeOne(owner, ['DEL', key]);
    for (const p of layout.primaries) await probeOne(p.port, ['CLUSTER', 'DELSLOTS', String(slot)]).catch(() => undefined);
    // (Replicas keep their view and answer MOVED to the old owner, which says CLUSTERDOWN.)
    await pollUntil('every primary sees the slot unassigned', 10_000, async () => {
      const answers = await Promise.all(layout.primaries.map((e) => probeOne(e.port, ['GET', key]).catch((error: unknown) => error)));
      return answers.every((a) => String(a).includes('CLUSTERDOWN'));
    });

    const started = Date.now();
    const [uncovered, elsewhere] = await Promise.all([
      cluster.get(key).then(
        () => new Error('resolved'),
        (error: unknown) => error,
      ),
      (async () => {
        const t0 = Date.now();
        for (let i = 0; i < 50; i++) expect(await cluster.set(other, `v${i}`)).toBe('OK');
        return Date.now() - t0;
      })(),
    ]);
    const settledMs = Date.now() - started;
    expect(uncovered).toBeInstanceOf(ClusterError);
    expect(String(uncovered)).toMatch(new RegExp(`slot ${slot}`));
    expect(settledMs).toBeLessThanOrEqual(2500);
    // 50 writes to another slot were never held up by the uncovered one.
    expect(elsewhere).toBeLessThan(1000);

    // Restore the slot on its owner; every node learns it by gossip.
    expect(await probeOne(owner, ['CLUSTER', 'ADDSLOTS', String(slot)])).toBe('OK');
    const restoredAt = Date.now();
    let served = 0;
    for (const deadline = restoredAt + 5000; Date.now() < deadline; ) {
      const r = await cluster.set(key, 'after').then(
        () => true,
        () => false,
      );
      if (r) {
        served = Date.now();
        break;
      }
    }
    expect(served, 'served again').toBeGreaterThan(0);
    console.log(`uncovered slot: settled in ${settledMs} ms; served again ${served - restoredAt} ms after ADDSLOTS on ${ownerId.slice(0, 8)}`);
    expect(served - restoredAt).toBeLessThanOrEqual(2500);
    expect(await cluster.get(key)).toBe('after');
  });
});
