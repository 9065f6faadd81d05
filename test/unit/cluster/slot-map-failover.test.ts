/**
 * The topology reader against what real servers send right after a failover: CLUSTER SHARDS
 * replies recorded from Redis 7.0 and Valkey 8.0 (scripts/record-cluster-shards.ts: a primary
 * SIGKILLed, its replica promoted), decoded by our own decoder in both protocols.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Decoder } from '../../../src/resp/decoder.js';
import type { RespValue } from '../../../src/resp/types.js';
import { SlotMap } from '../../../src/cluster/slot-map.js';

const DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'cluster-shards');

function recordedShards(flavour: string, protocol: 2 | 3, mapAs: 'auto' | 'map'): RespValue {
  const replies: RespValue[] = [];
  const decoder = new Decoder({
    onReply: (v) => replies.push(v),
    onError: (e) => replies.push(e),
    onPush: () => undefined,
    returnBuffers: () => false,
    mapAs,
    setAs: 'array',
  });
  decoder.write(readFileSync(join(DIR, `${flavour}-after-failover-resp${protocol}.bin`)));
  // The recording is [HELLO 3 reply,] CLUSTER SHARDS, ECHO marker.
  expect(replies.at(-1)).toBe('end-of-recording-7f3a');
  return replies.at(-2)!;
}

function raw(flavour: string, protocol: 2 | 3): string {
  return readFileSync(join(DIR, `${flavour}-after-failover-resp${protocol}.bin`), 'latin1');
}

describe.each(['redis', 'valkey'])('CLUSTER SHARDS recorded from %s after a primary was killed', (flavour) => {
  const { deadPrimaryId, promotedId } = JSON.parse(readFileSync(join(DIR, `${flavour}-after-failover.json`), 'utf8')) as {
    deadPrimaryId: string;
    promotedId: string;
  };

  it('lists the dead primary as a failed master beside the promoted one (what the fix is about)', () => {
    const text = raw(flavour, 2);
    expect(text).toContain(deadPrimaryId);
    expect(text).toMatch(/health\r\n\$4\r\nfail\r\n/);
  });

  for (const protocol of [2, 3] as const) {
    for (const mapAs of ['auto', 'map'] as const) {
      it(`RESP${protocol} (mapAs ${mapAs}): the promoted node owns the shard; the dead one is no target`, () => {
        const map = SlotMap.fromShards(recordedShards(flavour, protocol, mapAs), { seedHost: '127.0.0.1' });
        expect(map.isComplete()).toBe(true);
        const ids = map.nodes().map((n) => n.id);
        expect(ids).toContain(promotedId);
        expect(ids).not.toContain(deadPrimaryId);
        const promoted = map.primaries().find((p) => p.id === promotedId);
        expect(promoted?.health).toBe('online');
        expect(map.primaries()).toHaveLength(3);
        for (const p of map.primaries()) expect(p.health).toBe('online');
      });
    }
  }
});

describe('SlotMap.fromShards health rule', () => {
  const node = (id: string, port: number, role: string, health: string): RespValue => ({ id, port, ip: 'h', endpoint: 'h', role, health });

  it('takes the online master whatever the order, and only online replicas', () => {
    const map = SlotMap.fromShards(
      [
        {
          slots: [0, 16383],
          nodes: [
            node('old', 7000, 'master', 'fail'),
            node('new', 7001, 'master', 'online'),
            node('dead', 7002, 'replica', 'fail'),
            node('syncing', 7003, 'replica', 'loading'),
            node('r', 7004, 'replica', 'online'),
          ],
        },
      ],
      { seedHost: 'h' },
    );
    expect(map.primaryOf(0)!.id).toBe('new');
    expect(map.shardOf(0)!.replicas.map((r) => r.id)).toEqual(['r']);
  });

  it('leaves a shard with no online master without an owner (failing over), and keeps the others', () => {
    const map = SlotMap.fromShards(
      [
        { slots: [0, 99], nodes: [node('old', 7000, 'master', 'fail'), node('r', 7001, 'replica', 'online')] },
        { slots: [100, 199], nodes: [node('restarting', 7002, 'master', 'loading')] },
        { slots: [200, 16383], nodes: [node('ok', 7003, 'master', 'online')] },
      ],
      { seedHost: 'h' },
    );
    expect(map.primaryOf(0)).toBeUndefined();
    expect(map.primaryOf(150)).toBeUndefined();
    expect(map.primaryOf(200)!.id).toBe('ok');
    expect(map.coveredSlots).toBe(16384 - 200);
    // Listed without a serving primary: failing over (worth waiting for), unlike an uncovered slot.
    expect(map.isFailingOver(0)).toBe(true);
    expect(map.isFailingOver(150)).toBe(true);
    expect(map.isFailingOver(200)).toBe(false);
    expect(map.failingOver).toBe(true);
    const holes = SlotMap.fromShards([{ slots: [0, 99], nodes: [node('ok', 7003, 'master', 'online')] }], { seedHost: 'h' });
    expect(holes.primaryOf(100)).toBeUndefined();
    expect(holes.isFailingOver(100)).toBe(false);
    expect(holes.failingOver).toBe(false);
    expect(map.nodes().map((n) => n.id)).toEqual(['ok']);
  });
});

describe('CLUSTER SHARDS from the promoted replica in the middle of a graceful CLUSTER FAILOVER', () => {
  // Its view, seen in the failover test on Valkey 8.0 (docs/reliability.md): it has won the
  // election, the old primary has not yet announced its demotion, so both are serving masters.
  const node = (id: string, port: number) => ['id', id, 'port', port, 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'role', 'master', 'replication-offset', 100, 'health', 'online'];
  const reply: RespValue = [['slots', [0, 16383], 'nodes', [node('old', 7000), node('promoted', 7001)]]];

  it('takes the answering node as the owner when it is one of the listed primaries', () => {
    const map = SlotMap.fromShards(reply, { seedHost: '127.0.0.1', answeredBy: { host: '127.0.0.1', port: 7001 } });
    expect(map.primaryOf(5)?.port).toBe(7001);
  });

  it('keeps the first listed primary when the answering node is not one of them', () => {
    const map = SlotMap.fromShards(reply, { seedHost: '127.0.0.1', answeredBy: { host: '127.0.0.1', port: 7002 } });
    expect(map.primaryOf(5)?.port).toBe(7000);
  });
});
