/**
 * The pure bookkeeping of bulk(): limits from options, per-node windows, the reorder buffer
 * (answers in any order, delivery in source order), the pending bound, and which replies stop a run.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BulkWindow, bulkLimits, DEFAULT_WINDOW, isUnanswered, PENDING_WINDOWS } from '../../../src/batch/bulk-window.js';
import { ArgumentTypeError, ClusterError, CommandRefusedError, ConnectionError, CrossSlotError, InvalidOptionError, ReplyError, TimeoutError } from '../../../src/errors.js';

describe('bulkLimits', () => {
  it('defaults the window, derives maxPending and caps the chunk by maxBatch, window and maxPending', () => {
    expect(bulkLimits(undefined, undefined, 1000)).toEqual({ window: DEFAULT_WINDOW, maxPending: DEFAULT_WINDOW * PENDING_WINDOWS, chunk: 1000 });
    expect(bulkLimits(300, undefined, 1000)).toEqual({ window: 300, maxPending: 600, chunk: 300 });
    expect(bulkLimits(5000, 200, 1000)).toEqual({ window: 5000, maxPending: 200, chunk: 200 });
  });

  it('keeps the window within what a connection queues while it opens (maxOfflineQueue)', () => {
    expect(bulkLimits(undefined, undefined, 1000, 500).window).toBe(500);
    expect(bulkLimits(10_000, undefined, 1000, 10_000).window).toBe(10_000);
    expect(() => bulkLimits(10_001, undefined, 1000, 10_000)).toThrow(/maxOfflineQueue \(10000\)/);
  });

  it('refuses what is not a positive integer, naming the option', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10', null]) {
      expect(() => bulkLimits(bad, undefined, 1000)).toThrow(InvalidOptionError);
      expect(() => bulkLimits(10, bad, 1000)).toThrow(/maxPending/);
    }
  });
});

describe('BulkWindow', () => {
  it('delivers in source order whatever order the chunks are answered in', () => {
    const w = new BulkWindow(bulkLimits(10, 100, 5));
    const a = w.open(5, [['A', 5]]);
    const b = w.open(3, [['B', 3]]);
    const c = w.open(2, [['A', 1], ['B', 1]]);
    expect([a.first, b.first, c.first]).toEqual([0, 5, 8]);
    w.answer(c, ['c0', 'c1']);
    w.answer(b, ['b0', 'b1', 'b2']);
    expect(w.head()).toBeUndefined(); // a, the oldest, is not answered: b and c wait
    expect(w.pending).toBe(10);
    w.answer(a, [1, 2, 3, 4, 5]);
    expect(w.delivered()).toBe(a);
    expect(w.delivered()).toBe(b);
    expect(w.delivered()).toBe(c);
    expect(w.head()).toBeUndefined();
    expect(w.pending).toBe(0);
    expect(w.unanswered).toBe(0);
    expect(() => w.delivered()).toThrow(RangeError);
  });

  it('counts a node busy until its share is answered, not until delivered', () => {
    const w = new BulkWindow(bulkLimits(10, 100, 10));
    const a = w.open(8, [['A', 6], ['B', 2]]);
    expect(w.inFlight('A')).toBe(6);
    expect(w.fits([['A', 4]])).toBe(true);
    expect(w.fits([['A', 5]])).toBe(false);
    expect(w.fits([['B', 5], ['C', 10]])).toBe(true);
    // A node with nothing in flight always takes a chunk, even one larger than its window.
    expect(w.fits([['C', 50]])).toBe(true);
    w.answer(a, new Array(8).fill('OK'));
    expect(w.inFlight('A')).toBe(0);
    expect(w.fits([['A', 10]])).toBe(true);
    expect(w.pending).toBe(8); // still in the reorder buffer
  });

  it('gives a node its room back when it answered its share, before the chunk is answered whole', () => {
    const w = new BulkWindow(bulkLimits(10, 100, 10));
    const slow = w.open(10, [['A', 1], ['B', 9]]);
    expect(w.fits([['B', 5]])).toBe(false);
    w.release(slow, 'B');
    w.release(slow, 'B'); // once only
    expect(w.inFlight('B')).toBe(0);
    expect(w.inFlight('A')).toBe(1);
    expect(w.fits([['B', 10]])).toBe(true);
    w.answer(slow, new Array(10).fill('OK'));
    expect(w.inFlight('A')).toBe(0);
    expect(w.inFlight('B')).toBe(0);
  });

  it('stops reading at maxPending and reads again once delivery makes room', () => {
    const w = new BulkWindow(bulkLimits(100, 250, 100));
    expect(w.canRead()).toBe(true);
    const a = w.open(100, [['', 100]]);
    w.open(100, [['', 100]]);
    expect(w.canRead()).toBe(false); // 200 + 100 > 250
    w.answer(a, new Array(100).fill(1));
    w.delivered();
    expect(w.canRead()).toBe(true);
  });

  it('refuses a wrong answer count and a second answer', () => {
    const w = new BulkWindow(bulkLimits(10, 100, 10));
    const a = w.open(2, [['', 2]]);
    expect(() => w.answer(a, [1])).toThrow(/1 replies for 2/);
    w.answer(a, [1, 2]);
    expect(() => w.answer(a, [1, 2])).toThrow(/already answered/);
  });

  it('keeps its invariants over random runs: order, in-flight sums, pending', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 2 }), fc.nat()), { minLength: 1, maxLength: 60 }), (steps) => {
        const w = new BulkWindow(bulkLimits(8, 30, 7));
        const open: ReturnType<BulkWindow['open']>[] = [];
        const delivered: number[] = [];
        for (const [size, node, pick] of steps) {
          if (w.canRead()) {
            const loads = [[String(node), size] as const];
            if (w.fits(loads)) open.push(w.open(size, loads));
          }
          if (open.length > 0) {
            const c = open.splice(pick % open.length, 1)[0]!;
            w.answer(c, Array.from({ length: c.size }, (_, i) => c.first + i));
          }
          for (let h = w.head(); h !== undefined; h = w.head()) delivered.push(...(w.delivered().replies as number[]));
          expect(w.pending).toBeLessThanOrEqual(30 + 7);
          for (const n of ['0', '1', '2']) expect(w.inFlight(n)).toBeLessThanOrEqual(8 + 7);
        }
        for (const c of open) w.answer(c, Array.from({ length: c.size }, (_, i) => c.first + i));
        for (let h = w.head(); h !== undefined; h = w.head()) delivered.push(...(w.delivered().replies as number[]));
        expect(delivered).toEqual(Array.from({ length: w.read }, (_, i) => i));
        expect(w.pending).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('isUnanswered', () => {
  it('stops a run on a lost reply, a timeout or exhausted cluster bounds; not on error replies or refusals', () => {
    expect(isUnanswered(new ConnectionError('lost', 'closed', { written: true }))).toBe(true);
    expect(isUnanswered(new TimeoutError('late', 100))).toBe(true);
    expect(isUnanswered(new ClusterError('x', { reason: 'redirects' }))).toBe(true);
    expect(isUnanswered(new ClusterError('x', { reason: 'failing-over' }))).toBe(true);
    expect(isUnanswered(new ReplyError('WRONGTYPE no'))).toBe(false);
    expect(isUnanswered(new ArgumentTypeError('SET', 1, {}))).toBe(false);
    expect(isUnanswered(new CommandRefusedError('SELECT', 'no'))).toBe(false);
    expect(isUnanswered(new CrossSlotError('SUNION', ['a', 'b'], [1, 2]))).toBe(false);
    expect(isUnanswered(new ClusterError('SCAN cannot be batched'))).toBe(false);
    expect(isUnanswered('OK')).toBe(false);
    expect(isUnanswered(null)).toBe(false);
  });
});
