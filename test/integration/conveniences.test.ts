/**
 * Issue 14 item 6 on real servers: keyPrefix on every key position (single commands, multi-key
 * commands, scripts' KEYS, pipeline, multi, watch, SCAN MATCH) and never on other arguments;
 * the cluster computing slots on the prefixed keys; duplicate(), quit(), `await using`,
 * isReady/status. Every key is under a fresh prefix, so the shared servers are not disturbed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createClient, createCluster, keySlot, type Client, type Cluster } from '../../src/index.js';
import { clusterSeeds, standaloneTarget } from '../harness/context.js';

describe('keyPrefix (standalone)', () => {
  const prefix = `pfx:${randomUUID()}:`;
  let plain: Client;
  let prefixed: Client;
  beforeAll(async () => {
    const { host, port } = standaloneTarget();
    plain = createClient({ host, port });
    prefixed = createClient({ host, port, keyPrefix: prefix });
    await Promise.all([plain.connect(), prefixed.connect()]);
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), prefixed?.close()]);
  });

  it('stores single and multi-key commands under the prefix, values and fields untouched', async () => {
    await prefixed.set('a', 'a-value');
    await prefixed.hset('h', { field: 'v' });
    await prefixed.mset({ m1: '1', m2: '2' });
    expect(await prefixed.get('a')).toBe('a-value');
    expect(await prefixed.mget('m1', 'm2')).toEqual(['1', '2']);
    expect(await plain.get(`${prefix}a`)).toBe('a-value');
    expect(await plain.get('a-value')).toBeNull();
    expect(await plain.hgetall(`${prefix}h`)).toEqual({ field: 'v' });
    expect(await plain.mget(`${prefix}m1`, `${prefix}m2`)).toEqual(['1', '2']);
    expect(await prefixed.del('m1', 'm2')).toBe(2);
    expect(await plain.exists(`${prefix}m1`)).toBe(0);
  });

  it("prefixes a script's KEYS, never its ARGV", async () => {
    const lua = "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], ARGV[1]}";
    expect(await prefixed.eval(lua, ['s'], ['arg'])).toEqual([`${prefix}s`, 'arg']);
    expect(await plain.get(`${prefix}s`)).toBe('arg');
  });

  it('prefixes pipeline, multi and watch (the keys and the commands of the callback)', async () => {
    expect(await prefixed.pipeline().set('p', '1').get('p').exec()).toEqual(['OK', '1']);
    expect(await prefixed.multi().set('t', '2').get('t').exec()).toEqual(['OK', '2']);
    const result = await prefixed.watch('w', async (tx) => {
      const current = await tx.get('w');
      return tx.multi().set('w', `${current ?? 'none'}+1`);
    });
    expect(result).toEqual(['OK']);
    expect(await plain.mget(`${prefix}p`, `${prefix}t`, `${prefix}w`)).toEqual(['1', '2', 'none+1']);
  });

  it('puts the prefix on SCAN MATCH; returned keys keep it', async () => {
    await plain.set('unprefixed-scan-probe', 'x');
    const found = new Set<string>();
    let cursor = '0';
    for (let round = 0; round < 10_000; round++) {
      const page = await prefixed.scan(cursor, { MATCH: '*', COUNT: 1000 });
      for (const k of page.items) found.add(k);
      cursor = page.cursor;
      if (cursor === '0') break;
    }
    expect(cursor).toBe('0');
    expect(found.has(`${prefix}a`)).toBe(true);
    expect([...found].every((k) => k.startsWith(prefix))).toBe(true);
    await plain.del('unprefixed-scan-probe');
  });
});

describe('duplicate, quit, await using, isReady/status (standalone)', () => {
  it('duplicate() keeps the options (keyPrefix included), takes overrides, and is not connected', async () => {
    const { host, port } = standaloneTarget();
    const prefix = `dup:${randomUUID()}:`;
    await using original = createClient({ host, port, keyPrefix: prefix });
    await original.connect();
    await using copy = original.duplicate();
    expect(copy).not.toBe(original);
    expect(copy.isReady).toBe(false);
    await copy.connect();
    expect(copy.isReady).toBe(true);
    await copy.set('k', 'v');
    expect(await original.get('k')).toBe('v');
    await using other = original.duplicate({ keyPrefix: `${prefix}other:` });
    await other.connect();
    expect(await other.get('k')).toBeNull();
    await other.set('k', 'w');
    expect(await original.get('other:k')).toBe('w');
    expect(JSON.stringify(original.duplicate({ password: 'hunter2-secret', lazyConnect: true }))).not.toContain('hunter2');
  });

  it('isReady and status follow the connection; quit() closes; await using closes at the end of the block', async () => {
    const { host, port } = standaloneTarget();
    let kept: Client | undefined;
    {
      await using c = createClient({ host, port });
      kept = c;
      await c.connect();
      expect(c.status).toBe('ready');
      expect(c.isReady).toBe(true);
    }
    expect(kept.status).toBe('closed');
    expect(kept.isReady).toBe(false);
    const q = createClient({ host, port });
    await q.connect();
    await q.quit();
    expect(q.status).toBe('closed');
  });
});

describe('keyPrefix and conveniences (cluster)', () => {
  let plain: Cluster;
  beforeAll(async () => {
    plain = createCluster({ nodes: clusterSeeds() });
    await plain.connect();
  });
  afterAll(async () => {
    await plain?.close();
  });

  it('computes slots on the prefixed keys: a hash tag in the prefix pins every key to one slot', async () => {
    const prefix = `{app-${randomUUID()}}:`;
    await using cluster = createCluster({ nodes: clusterSeeds(), keyPrefix: prefix });
    expect(cluster.status).toBe('idle');
    expect(cluster.isReady).toBe(false);
    await cluster.connect();
    expect(cluster.status).toBe('ready');
    expect(cluster.isReady).toBe(true);
    const keys = ['alpha', 'beta', 'gamma', 'delta'];
    // Unprefixed these span several slots; prefixed they share the tag's slot, so MSET and MULTI work.
    expect(new Set(keys.map((k) => keySlot(k))).size).toBeGreaterThan(1);
    expect(new Set(keys.map((k) => keySlot(prefix + k))).size).toBe(1);
    await cluster.mset(Object.fromEntries(keys.map((k) => [k, `v-${k}`])));
    expect(await cluster.multi().get('alpha').get('delta').exec()).toEqual(['v-alpha', 'v-delta']);
    expect(await plain.get(`${prefix}beta`)).toBe('v-beta');
    expect(await plain.get('beta')).toBeNull();
    expect(await cluster.eval("return redis.call('GET', KEYS[1]) .. ARGV[1]", ['gamma'], ['!'])).toBe('v-gamma!');
    const seen: string[] = [];
    for await (const k of cluster.scanIterator({ match: '*', count: 1000 })) {
      seen.push(k);
      if (seen.length > 10_000) break;
    }
    expect(seen.sort()).toEqual(keys.map((k) => prefix + k).sort());
    await cluster.del(...keys);
  });

  it('duplicate() gives a new unconnected cluster client with the same options; quit() closes it', async () => {
    const prefix = `{dup-${randomUUID()}}:`;
    const original = createCluster({ nodes: clusterSeeds(), keyPrefix: prefix });
    const copy = original.duplicate();
    expect(copy.status).toBe('idle');
    await copy.connect();
    await copy.set('k', 'v');
    expect(await plain.get(`${prefix}k`)).toBe('v');
    await copy.del('k');
    await copy.quit();
    expect(copy.status).toBe('closed');
    expect(copy.isReady).toBe(false);
    await original.close();
  });
});
