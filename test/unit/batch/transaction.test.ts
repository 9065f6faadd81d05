import { describe, expect, it } from 'vitest';
import { readTransaction, transactionBlock } from '../../../src/batch/transaction.js';
import { runSliced } from '../../../src/batch/slices.js';
import { ConnectionError, ExecAbortError, PipelineError, ReplyError } from '../../../src/errors.js';
import type { Command } from '../../../src/commands/command.js';

const cmd = (name: string, transform?: (r: unknown) => unknown): Command<unknown> => ({
  name,
  args: ['k'],
  transform: transform as Command<unknown>['transform'],
});

describe('transactionBlock / readTransaction', () => {
  const cmds = [cmd('GET', (r) => `got:${String(r)}`), cmd('LPOP'), cmd('INCR')];

  it('wraps commands in MULTI … EXEC without their transforms', () => {
    const block = transactionBlock(cmds);
    expect(block.map((c) => c.name)).toEqual(['MULTI', 'GET', 'LPOP', 'INCR', 'EXEC']);
    expect(block.every((c) => c.transform === undefined)).toBe(true);
  });

  it('ran: applies transforms to EXEC results and keeps exec-time errors in place', () => {
    const wrong = new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value');
    const out = readTransaction(['OK', 'QUEUED', 'QUEUED', 'QUEUED', ['v', wrong, 3]], cmds);
    expect(out.kind).toBe('ran');
    if (out.kind !== 'ran') return;
    expect(out.results[0]).toBe('got:v');
    // The decoder builds an error inside the EXEC array without its command: it comes back complete.
    expect(out.results[1]).toBeInstanceOf(ReplyError);
    expect((out.results[1] as ReplyError).message).toBe(wrong.message);
    expect((out.results[1] as ReplyError).command).toBe('LPOP');
    expect(out.results[2]).toBe(3);
  });

  it('aborted: lists each rejected index', () => {
    const bad = new ReplyError("ERR unknown command 'NOPE'");
    const out = readTransaction(['OK', 'QUEUED', bad, 'QUEUED', new ReplyError('EXECABORT Transaction discarded because of previous errors.')], cmds);
    expect(out.kind).toBe('aborted');
    if (out.kind !== 'aborted') return;
    expect(out.error).toBeInstanceOf(ExecAbortError);
    if (!(out.error instanceof ExecAbortError)) return;
    expect(out.error.errors).toEqual([{ index: 1, error: new ReplyError(bad.message, 'LPOP') }]);
    expect(out.error.errors[0]!.error.command).toBe('LPOP');
  });

  it('watch-aborted on a null EXEC reply', () => {
    expect(readTransaction(['OK', 'QUEUED', 'QUEUED', 'QUEUED', null], cmds).kind).toBe('watch-aborted');
  });

  it('redirected when a command was answered MOVED while queueing', () => {
    const moved = new ReplyError('MOVED 1234 127.0.0.1:7001');
    const out = readTransaction(['OK', moved, 'QUEUED', 'QUEUED', new ReplyError('EXECABORT Transaction discarded')], cmds);
    expect(out.kind).toBe('redirected');
    if (out.kind === 'redirected') expect(out.error.redirect).toEqual({ slot: 1234, host: '127.0.0.1', port: 7001 });
  });
});

describe('runSliced', () => {
  const many = (n: number): Command<unknown>[] => Array.from({ length: n }, (_, i) => ({ name: 'ECHO', args: [String(i)] }));

  it('sends slices of maxBatch, at most two in flight, results in order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const sizes: number[] = [];
    const results = await runSliced(many(2500), 1000, async (slice) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      sizes.push(slice.length);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return slice.map((c) => c.args[0]);
    });
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(maxInFlight).toBe(2);
    expect(results).toEqual(Array.from({ length: 2500 }, (_, i) => String(i)));
  });

  it('issue 12 item 5: a slice lost after others completed: their results stay, the lost ones hold errors, the rest are not sent', async () => {
    const sizes: number[] = [];
    const lost = new ConnectionError('lost', 'closed', { written: true });
    const results = await runSliced(many(3000), 1000, async (slice) => {
      sizes.push(slice.length);
      // The second slice meets a lost connection after 400 replies: errors in place.
      if (sizes.length === 2) return slice.map((c, i) => (i < 400 ? c.args[0] : lost));
      await new Promise((r) => setTimeout(r, 5));
      return slice.map((c) => c.args[0]);
    });
    expect(results.slice(0, 1400)).toEqual(Array.from({ length: 1400 }, (_, i) => String(i)));
    expect(results.slice(1400, 2000).every((r) => r === lost)).toBe(true);
    // Two slices were in flight; the third was never sent: not written, it did not run.
    expect(sizes).toEqual([1000, 1000]);
    for (const r of results.slice(2000)) {
      expect(r).toBeInstanceOf(ConnectionError);
      expect((r as ConnectionError).written).toBe(false);
    }
  });

  it('a slice refused whole keeps the completed slices and fails the rest in place; nothing written rejects with PipelineError', async () => {
    const refused = new ConnectionError('queue full', 'offline-queue-full');
    let call = 0;
    const results = await runSliced(many(3000), 1000, async (slice) => {
      call++;
      if (call === 2) throw new PipelineError('refused', 0, 1000, refused);
      await new Promise((r) => setTimeout(r, 5));
      return slice.map((c) => c.args[0]);
    });
    expect(results.slice(0, 1000)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
    expect(results.slice(1000, 2000).every((r) => r === refused)).toBe(true);
    expect(results.slice(2000).every((r) => r instanceof ConnectionError && !r.written)).toBe(true);

    const err = await runSliced(many(3000), 1000, async () => {
      throw new PipelineError('refused', 0, 1000, refused);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).total).toBe(3000);
    expect((err as PipelineError).written).toBe(0);
    expect((err as PipelineError).cause).toBe(refused);
  });
});
