/**
 * Issue 15 §2: every `slotline:batch` context carries BatchTiming, the moments of one batch on
 * one connection (a cluster lane is one node's share), so a user can see where a batch's time
 * went: planned → first byte written → last byte written, first reply → last reply.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import { createClient, createCluster, type BatchTraceContext, type BatchTiming } from '../../src/index.js';
import { clusterSeeds, standaloneTarget } from '../harness/context.js';
import { getFreePort } from '../harness/servers.js';

const batchStart = tracingChannel<unknown, BatchTraceContext>('slotline:batch').start;
let seen: BatchTraceContext[] = [];
const collect = (message: unknown): void => {
  seen.push(message as BatchTraceContext);
};
const closers: Array<() => Promise<unknown>> = [];
afterEach(() => {
  batchStart.unsubscribe(collect);
  seen = [];
});
afterAll(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Every stage reached, in the order a batch goes through them. */
function expectComplete(t: BatchTiming, notBefore: number, notAfter: number): void {
  const order = [t.planned, t.firstByteWritten, t.lastByteWritten, t.lastReply];
  for (const v of order) expect(typeof v).toBe('number');
  for (let i = 1; i < order.length; i++) expect(order[i]!).toBeGreaterThanOrEqual(order[i - 1]!);
  expect(t.firstReply!).toBeGreaterThanOrEqual(t.firstByteWritten!);
  expect(t.firstReply!).toBeLessThanOrEqual(t.lastReply!);
  expect(t.planned).toBeGreaterThanOrEqual(notBefore);
  expect(t.lastReply!).toBeLessThanOrEqual(notAfter);
}

describe('BatchTiming on slotline:batch', () => {
  it('a standalone pipeline: planned, written, answered, in order, within the call', async () => {
    const { host, port } = standaloneTarget();
    const c = createClient({ host, port });
    closers.push(() => c.close());
    await c.connect();
    batchStart.subscribe(collect);
    const key = `timing:${randomUUID()}`;
    const t0 = performance.now();
    const replies = await c.pipeline().set(key, 'v').get(key).del(key).exec();
    const t1 = performance.now();
    expect(replies).toEqual(['OK', 'v', 1]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.batchSize).toBe(3);
    expectComplete(seen[0]!.timing, t0, t1);
  });

  it('stays incomplete when the batch never reached the socket', async () => {
    // Nothing listens there and no reconnect: the batch waits offline, then fails unwritten.
    const port = await getFreePort();
    const c = createClient({ host: '127.0.0.1', port, lazyConnect: true, reconnect: false });
    closers.push(() => c.close());
    batchStart.subscribe(collect);
    await expect(c.pipeline().ping().exec()).rejects.toThrow();
    expect(seen).toHaveLength(1);
    const t = seen[0]!.timing;
    expect(typeof t.planned).toBe('number');
    expect([t.firstByteWritten, t.lastByteWritten, t.firstReply, t.lastReply]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('a cluster batch: one timing per node lane, all planned at the same split, each complete', async () => {
    const cluster = createCluster({ nodes: clusterSeeds() });
    closers.push(() => cluster.close());
    await cluster.connect();
    // 60 random keys: every primary of the shared cluster gets some (the chance one gets none is ~1e-10).
    const keys = Array.from({ length: 60 }, (_, i) => `timing:${randomUUID()}:${i}`);
    batchStart.subscribe(collect);
    const t0 = performance.now();
    const replies = await cluster.pipeline(keys.map((k) => ['SET', k, 'v'] as const)).exec();
    const t1 = performance.now();
    expect(replies.every((r) => r === 'OK')).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.length).toBeLessThanOrEqual(clusterSeeds().length);
    expect(seen.reduce((n, ctx) => n + ctx.batchSize, 0)).toBe(keys.length);
    expect(new Set(seen.map((ctx) => ctx.server)).size).toBe(seen.length);
    expect(new Set(seen.map((ctx) => ctx.timing.planned)).size).toBe(1);
    for (const ctx of seen) expectComplete(ctx.timing, t0, t1);
    await cluster.del(...keys);
  });
});
