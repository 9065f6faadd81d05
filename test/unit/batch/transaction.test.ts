import { describe, expect, it } from 'vitest';
import { readTransaction, transactionBlock } from '../../../src/batch/transaction.js';
import { runSliced } from '../../../src/batch/slices.js';
import { ExecAbortError, PipelineError, ReplyError } from '../../../src/errors.js';
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

  it('fails the whole pipeline with the count of written commands', async () => {
    let call = 0;
    const err = await runSliced(many(3000), 1000, async (slice) => {
      call++;
      if (call === 2) throw new PipelineError('lost', 400, 1000, new Error('socket closed'));
      return slice.map(() => 'x');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).total).toBe(3000);
    expect((err as PipelineError).written).toBeGreaterThanOrEqual(1400);
  });
});
