/**
 * readFrom without a server: which node of a shard serves a read (chooseReader, pure, zones and
 * liveness given as input), reading the zone out of INFO server, the per-node zone book, and
 * the option's validation.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { resolveClusterOptions, type ReadFrom } from '../../../src/cluster/options.js';
import { chooseReader, type ReaderFacts } from '../../../src/cluster/route.js';
import { nodeKey, type NodeInfo, type ShardInfo } from '../../../src/cluster/slot-map.js';
import { NodeZones, zoneFromInfo } from '../../../src/cluster/zones.js';

const node = (port: number, role: NodeInfo['role'] = 'replica'): NodeInfo => ({ host: '127.0.0.1', port, id: `n${port}`, role });
const primary = node(7000, 'primary');
const [r1, r2, r3] = [node(7001), node(7002), node(7003)];
const shard: ShardInfo = { primary, replicas: [r1, r2, r3] };

/** Zones by port; `down` ports have a lost connection. */
function facts(zones: Record<number, string>, down: readonly number[] = []): ReaderFacts {
  return { zoneOf: (n) => zones[n.port], isDown: (n) => down.includes(n.port) };
}

/** The nodes `turns` consecutive reads go to. */
function readers(readFrom: ReadFrom, f: ReaderFacts, turns = 6, s: ShardInfo = shard): number[] {
  return Array.from({ length: turns }, (_, turn) => chooseReader(s, readFrom, f, turn).port);
}

describe('chooseReader', () => {
  const zones = { 7000: 'zone-a', 7001: 'zone-b', 7002: 'zone-a', 7003: 'zone-c' };

  it("'primary' always reads from the primary", () => {
    expect(readers('primary', facts(zones))).toEqual([7000, 7000, 7000, 7000, 7000, 7000]);
  });

  it("'preferReplica': replicas take turns, zones ignored", () => {
    expect(readers('preferReplica', facts(zones))).toEqual([7001, 7002, 7003, 7001, 7002, 7003]);
  });

  it('{ az }: only the replica in that zone while it can serve', () => {
    expect(readers({ az: 'zone-a' }, facts(zones))).toEqual([7002, 7002, 7002, 7002, 7002, 7002]);
    expect(readers({ az: 'zone-c' }, facts(zones))).toEqual([7003, 7003, 7003, 7003, 7003, 7003]);
  });

  it('{ az }: the replicas in that zone take turns', () => {
    const two = { ...zones, 7003: 'zone-a' };
    expect(readers({ az: 'zone-a' }, facts(two))).toEqual([7002, 7003, 7002, 7003, 7002, 7003]);
  });

  it('{ az }: no replica in the zone → every replica takes turns (the primary in the zone is not preferred)', () => {
    expect(readers({ az: 'zone-x' }, facts(zones))).toEqual([7001, 7002, 7003, 7001, 7002, 7003]);
    expect(readers({ az: 'zone-a' }, facts({ 7000: 'zone-a' }))).toEqual([7001, 7002, 7003, 7001, 7002, 7003]);
  });

  it('{ az }: the same-zone replica down → the other replicas; all down → the primary', () => {
    expect(readers({ az: 'zone-a' }, facts(zones, [7002]))).toEqual([7001, 7003, 7001, 7003, 7001, 7003]);
    expect(readers({ az: 'zone-a' }, facts(zones, [7001, 7002, 7003]))).toEqual([7000, 7000, 7000, 7000, 7000, 7000]);
    expect(readers('preferReplica', facts(zones, [7001, 7003]))).toEqual([7002, 7002, 7002, 7002, 7002, 7002]);
  });

  it('no node reports a zone (Redis 7.0): { az } reads like preferReplica', () => {
    expect(readers({ az: 'zone-a' }, facts({}))).toEqual(readers('preferReplica', facts({})));
  });

  it('a shard without replicas reads from its primary', () => {
    const alone: ShardInfo = { primary, replicas: [] };
    expect(readers({ az: 'zone-a' }, facts(zones), 2, alone)).toEqual([7000, 7000]);
    expect(readers('preferReplica', facts(zones), 2, alone)).toEqual([7000, 7000]);
  });

  it('a zone name matches exactly (case and spaces count)', () => {
    expect(readers({ az: 'Zone-A' }, facts(zones), 3)).toEqual([7001, 7002, 7003]);
  });
});

describe('zoneFromInfo', () => {
  const info = (zone: string): string => `# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\navailability_zone:${zone}\r\nexecutable:/usr/bin/valkey-server\r\n`;

  it('reads availability_zone out of INFO server', () => {
    expect(zoneFromInfo(info('us-east-1a'))).toBe('us-east-1a');
    expect(zoneFromInfo(Buffer.from(info('zone b')))).toBe('zone b');
  });

  it('an empty setting or no such line (Redis 7.0) is no zone', () => {
    expect(zoneFromInfo(info(''))).toBeUndefined();
    expect(zoneFromInfo('# Server\r\nredis_version:7.0.15\r\nredis_mode:cluster\r\n')).toBeUndefined();
    expect(zoneFromInfo(null)).toBeUndefined();
  });

  it('does not take the field from another line that ends with it', () => {
    expect(zoneFromInfo('# Server\r\nmy_availability_zone:x\r\n')).toBeUndefined();
  });
});

describe('NodeZones', () => {
  it('records each answer, tells the listener about the first and every change, not repeats', async () => {
    const heard: Array<[string, string | undefined]> = [];
    const zones = new NodeZones((addr, zone) => heard.push([nodeKey(addr), zone]));
    const errors: unknown[] = [];
    const onError = (e: unknown): number => errors.push(e);
    expect(zones.known(r1)).toBe(false);
    await zones.probe(r1, async () => 'availability_zone:zone-a\r\n', onError);
    await zones.probe(r1, async () => 'availability_zone:zone-a\r\n', onError);
    await zones.probe(r2, async () => 'redis_version:7.0.15\r\n', onError);
    await zones.probe(r1, async () => 'availability_zone:zone-b\r\n', onError);
    expect(heard).toEqual([
      ['127.0.0.1:7001', 'zone-a'],
      ['127.0.0.1:7002', undefined],
      ['127.0.0.1:7001', 'zone-b'],
    ]);
    expect(zones.zoneOf(r1)).toBe('zone-b');
    expect(zones.known(r2)).toBe(true);
    expect(zones.zoneOf(r2)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('a failed INFO counts as no zone and reaches onError; pending() is the probe in flight', async () => {
    const zones = new NodeZones(() => undefined);
    const errors: unknown[] = [];
    let fail!: (e: Error) => void;
    const probe = zones.probe(r3, () => new Promise((_, reject) => (fail = reject)), (e) => errors.push(e));
    expect(zones.pending(r3)).toBe(probe);
    fail(new Error('NOPERM this user has no permissions to run the info command'));
    await probe;
    expect(zones.pending(r3)).toBeUndefined();
    expect(zones.known(r3)).toBe(true);
    expect(zones.zoneOf(r3)).toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('retain() forgets nodes that left, so a node coming back is asked again', async () => {
    const zones = new NodeZones(() => undefined);
    await zones.probe(r1, async () => 'availability_zone:zone-a', () => undefined);
    await zones.probe(r2, async () => 'availability_zone:zone-b', () => undefined);
    zones.retain(new Set([nodeKey(r2)]));
    expect(zones.known(r1)).toBe(false);
    expect(zones.zoneOf(r2)).toBe('zone-b');
  });
});

describe('readFrom option', () => {
  const resolve = (readFrom: unknown): ReadFrom => resolveClusterOptions({ nodes: ['127.0.0.1:7000'], readFrom: readFrom as ReadFrom }).readFrom;

  it('takes primary, preferReplica and { az }', () => {
    expect(resolve(undefined)).toBe('primary');
    expect(resolve('preferReplica')).toBe('preferReplica');
    expect(resolve({ az: 'us-east-1a' })).toEqual({ az: 'us-east-1a' });
  });

  it.each([
    ['an empty zone', { az: '' }, 'readFrom.az'],
    ['a zone that is not a string', { az: 1 }, 'readFrom.az'],
    ['no zone', {}, 'readFrom.az'],
    ['an unknown key beside az', { az: 'a', fallback: 'primary' }, 'readFrom'],
    ['an unknown strategy', 'AZAffinity', 'readFrom'],
    ['null', null, 'readFrom'],
  ])('refuses %s with InvalidOptionError', (_, value, option) => {
    let error: unknown;
    try {
      resolve(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(option);
  });
});
