/**
 * Keyless commands take the primaries in turns (Topology.anyPrimary), read from the snapshot's
 * shard list without copying it per command. The topology is closed before it learns its map,
 * so no refresh dials anything: only the pure turn-taking is under test.
 */
import { describe, expect, it } from 'vitest';
import { Topology } from '../../../src/cluster/topology.js';
import { resolveClusterOptions } from '../../../src/cluster/options.js';

describe('Topology.anyPrimary', () => {
  it('is undefined without a map, then cycles every primary in shard order', () => {
    const topology = new Topology(resolveClusterOptions({ nodes: [{ host: '127.0.0.1', port: 1 }], refreshInterval: 0 }));
    topology.disconnect();
    expect(topology.anyPrimary()).toBeUndefined();
    topology.learn([
      { slot: 0, host: '10.0.0.1', port: 7000 },
      { slot: 1, host: '10.0.0.1', port: 7001 },
      { slot: 2, host: '10.0.0.1', port: 7002 },
    ]);
    const ports = Array.from({ length: 7 }, () => topology.anyPrimary()?.port);
    expect(ports).toEqual([7000, 7001, 7002, 7000, 7001, 7002, 7000]);
  });
});
