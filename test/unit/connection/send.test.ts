import { describe, expect, it } from 'vitest';
import { ConnectionError, PipelineError, ReplyError } from '../../../src/errors.js';
import type { Command } from '../../../src/commands/command.js';
import { defineLibrary, defineScript, functionCommand, scriptCommand } from '../../../src/scripts/index.js';
import { sendOne, sendPipeline, sendTransaction } from '../../../src/connection/send.js';
import { readTransaction, transactionBlock } from '../../../src/batch/transaction.js';
import { FakeConnection } from './fake-connection.js';

const script = defineScript({ lua: 'return redis.call("incr", KEYS[1])' });
const other = defineScript({ lua: 'return 2' });
const broken = defineScript({ lua: 'syntax error here' });
const lib = defineLibrary("#!lua name=lib1\nredis.register_function('f1', function() return 1 end)");
const call = (s = script, arg = 'x'): Command<unknown> => scriptCommand(s, [], [arg]);
const fcall = (fn = 'f1'): Command<unknown> => functionCommand(lib, fn, [], []);
const plain = (name = 'INCR'): Command<unknown> => ({ name, args: ['k'] });
const ran = (arg: string, s = script): string => `ran ${s.sha.slice(0, 6)} ${arg}`;

describe('sendPipeline', () => {
  it('is conn.sendBatch itself when no command carries a script or library', async () => {
    const conn = new FakeConnection();
    const cmds = [plain(), plain('GET')];
    let seen: readonly Command<unknown>[] | undefined;
    const original = conn.sendBatch.bind(conn);
    conn.sendBatch = (c) => {
      seen = c;
      return original(c);
    };
    expect(await sendPipeline(conn, cmds)).toEqual([1, 'OK']);
    expect(seen).toBe(cmds);
  });

  it('loads each script once, in front of its first use, in the same write', async () => {
    const conn = new FakeConnection();
    const out = await sendPipeline(conn, [plain(), call(script, 'a'), call(other, 'b'), call(script, 'c')]);
    expect(out).toEqual([1, ran('a'), ran('b', other), ran('c')]);
    expect(conn.writes).toEqual([['SCRIPT LOAD', 'SCRIPT LOAD', 'INCR', 'EVALSHA', 'EVALSHA', 'EVALSHA']]);
    await sendPipeline(conn, [call(script, 'd'), call(other, 'e')]);
    expect(conn.writes[1]).toEqual(['EVALSHA', 'EVALSHA']);
  });

  it('sends the body once for concurrent first uses on one connection', async () => {
    const conn = new FakeConnection();
    await Promise.all([sendPipeline(conn, [call()]), sendPipeline(conn, [call()]), sendOne(conn, call())]);
    expect(conn.writes.flat().filter((w) => w === 'SCRIPT LOAD')).toHaveLength(1);
  });

  it('forgets everything when the connection generation moves (reconnect, other node)', async () => {
    const conn = new FakeConnection();
    await sendPipeline(conn, [call()]);
    conn.generation++;
    await sendPipeline(conn, [call()]);
    expect(conn.writes).toEqual([['SCRIPT LOAD', 'EVALSHA'], ['SCRIPT LOAD', 'EVALSHA']]);
  });

  it('re-runs entries that met NOSCRIPT after the rest, results in their original places', async () => {
    const conn = new FakeConnection();
    await sendPipeline(conn, [call()]);
    conn.scripts.clear(); // SCRIPT FLUSH from another client
    const out = await sendPipeline(conn, [call(script, 'a'), plain(), call(other, 'b'), call(script, 'c')]);
    expect(out).toEqual([ran('a'), 1, ran('b', other), ran('c')]);
    expect(conn.writes.slice(1)).toEqual([
      ['SCRIPT LOAD', 'EVALSHA', 'INCR', 'EVALSHA', 'EVALSHA'],
      ['SCRIPT LOAD', 'EVALSHA', 'EVALSHA'],
    ]);
  });

  it('repairs a flush inside the same write, after the load', async () => {
    const conn = new FakeConnection();
    const flush: Command<unknown> = { name: 'SCRIPT', args: ['FLUSH'] };
    const out = await sendPipeline(conn, [call(script, 'a'), flush, call(script, 'b')]);
    expect(out).toEqual([ran('a'), 'OK', ran('b')]);
    expect(conn.writes[1]).toEqual(['SCRIPT LOAD', 'EVALSHA']);
  });

  it('retries once only: a second NOSCRIPT stays in place', async () => {
    const conn = new FakeConnection();
    conn.beforeCommand = (name) => {
      if (name === 'EVALSHA') conn.scripts.clear();
    };
    const [r] = await sendPipeline(conn, [call()]);
    expect(r).toBeInstanceOf(ReplyError);
    expect((r as ReplyError).kind).toBe('noscript');
    expect(conn.writes).toHaveLength(2);
  });

  it('puts a failed load in place of the NOSCRIPT it caused, without a retry', async () => {
    const conn = new FakeConnection();
    const [a, b] = await sendPipeline(conn, [call(broken), call(script)]);
    expect(a).toBeInstanceOf(ReplyError);
    expect((a as ReplyError).message).toMatch(/Error compiling script/);
    expect(b).toBe(ran('x'));
    expect(conn.writes).toHaveLength(1);
    await sendPipeline(conn, [call(broken)]);
    expect(conn.writes[1]).toEqual(['SCRIPT LOAD', 'EVALSHA']); // not believed held
  });

  it('loads a library with FUNCTION LOAD REPLACE and re-runs calls that found no function', async () => {
    const conn = new FakeConnection();
    expect(await sendPipeline(conn, [fcall(), fcall()])).toEqual(['called f1', 'called f1']);
    expect(conn.writes[0]).toEqual(['FUNCTION LOAD', 'FCALL', 'FCALL']);
    conn.libraries.clear(); // FUNCTION FLUSH from elsewhere
    expect(await sendPipeline(conn, [plain(), fcall()])).toEqual([1, 'called f1']);
    expect(conn.writes.slice(1)).toEqual([['INCR', 'FCALL'], ['FUNCTION LOAD', 'FCALL']]);
    const [missing] = await sendPipeline(conn, [fcall('nope')]);
    expect((missing as ReplyError).kind).toBe('nofunction');
  });

  it('on a replica, tries FUNCTION LOAD once per generation and leaves the missing function in place', async () => {
    const conn = new FakeConnection();
    conn.replica = true;
    conn.libraries.set('lib1', ['f1']); // replicated from the primary
    expect(await sendPipeline(conn, [fcall()])).toEqual(['called f1']);
    expect(await sendPipeline(conn, [fcall()])).toEqual(['called f1']);
    const [missing] = await sendPipeline(conn, [fcall('nope')]);
    expect((missing as ReplyError).kind).toBe('nofunction');
    expect(conn.writes.flat().filter((w) => w === 'FUNCTION LOAD')).toHaveLength(2); // first use, and the one repair attempt
  });

  it('forgets planned loads when the batch fails, and reports counts without them', async () => {
    const conn = new FakeConnection();
    conn.failNext = new ConnectionError('gone', 'closed');
    const error = await sendPipeline(conn, [call(), plain()]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).total).toBe(2);
    await sendPipeline(conn, [call()]);
    expect(conn.writes[1]).toEqual(['SCRIPT LOAD', 'EVALSHA']);
  });

  it('a failed re-run after NOSCRIPT fails only the re-run entries; the others keep their replies (issue 11 item 6)', async () => {
    const conn = new FakeConnection();
    await sendPipeline(conn, [call()]);
    conn.scripts.clear(); // flushed from elsewhere: the connection still believes it holds the script
    conn.beforeCommand = (name) => {
      // The first write ran INCR; the connection is gone before the re-run is written.
      if (name === 'INCR') conn.failNext = new ConnectionError('gone', 'closed');
    };
    const results = await sendPipeline(conn, [call(), plain()]);
    expect(results[1]).toBe(1);
    expect(results[0]).toBeInstanceOf(ConnectionError);
    expect((results[0] as ConnectionError).written).toBe(false);
    expect(conn.writes.slice(1)).toEqual([['EVALSHA', 'INCR'], ['SCRIPT LOAD', 'EVALSHA']]);
  });
});

describe('sendOne', () => {
  it('sends a held script alone, and loads + retries once on NOSCRIPT', async () => {
    const conn = new FakeConnection();
    expect(await sendOne(conn, call(script, 'a'))).toBe(ran('a'));
    expect(await sendOne(conn, call(script, 'b'))).toBe(ran('b'));
    conn.scripts.clear();
    expect(await sendOne(conn, call(script, 'c'))).toBe(ran('c'));
    expect(conn.writes).toEqual([['SCRIPT LOAD', 'EVALSHA'], ['EVALSHA'], ['EVALSHA'], ['SCRIPT LOAD', 'EVALSHA']]);
  });

  it('rejects with the reply error, or with the cause of a batch failure', async () => {
    const conn = new FakeConnection();
    await expect(sendOne(conn, call(broken))).rejects.toThrow(/Error compiling script/);
    conn.failNext = new ConnectionError('gone', 'closed');
    await expect(sendOne(conn, call())).rejects.toBeInstanceOf(ConnectionError);
  });

  it('goes straight to conn.send for a plain command', async () => {
    const conn = new FakeConnection();
    expect(await sendOne(conn, plain())).toBe(1);
    expect(conn.writes).toEqual([['INCR']]);
  });
});

describe('sendTransaction', () => {
  const run = async (conn: FakeConnection, cmds: Command<unknown>[]): Promise<unknown[]> => {
    const outcome = readTransaction(await sendTransaction(conn, cmds, transactionBlock(cmds)), cmds);
    if (outcome.kind !== 'ran') throw new Error(`not ran: ${outcome.kind}`);
    return outcome.results;
  };

  it('loads scripts inside MULTI every time and strips them from the replies', async () => {
    const conn = new FakeConnection();
    for (let i = 0; i < 2; i++) {
      conn.scripts.clear();
      expect(await run(conn, [plain(), call(script, 'a'), call(script, 'b')])).toEqual([1, ran('a'), ran('b')]);
    }
    expect(conn.writes).toEqual([
      ['MULTI', 'SCRIPT LOAD', 'INCR', 'EVALSHA', 'EVALSHA', 'EXEC'],
      ['MULTI', 'SCRIPT LOAD', 'INCR', 'EVALSHA', 'EVALSHA', 'EXEC'],
    ]);
  });

  it('loads a library with REPLACE when not held, then with a plain LOAD that survives a flush', async () => {
    const conn = new FakeConnection();
    expect(await run(conn, [fcall()])).toEqual(['called f1']);
    expect(await run(conn, [fcall()])).toEqual(['called f1']); // "already exists" is swallowed
    conn.libraries.clear();
    expect(await run(conn, [fcall()])).toEqual(['called f1']);
    const loads = conn.writes.map((w) => w[1]);
    expect(loads).toEqual(['FUNCTION LOAD', 'FUNCTION LOAD', 'FUNCTION LOAD']);
    expect(conn.writes.map((w) => w.length)).toEqual([4, 4, 4]);
  });

  it('uses REPLACE only when the connection does not hold the library', async () => {
    const conn = new FakeConnection();
    const seen: unknown[][] = [];
    const original = conn.sendBatch.bind(conn);
    conn.sendBatch = (c) => {
      seen.push(c.filter((x) => x.name === 'FUNCTION').map((x) => x.args[1]));
      return original(c);
    };
    await run(conn, [fcall()]);
    await run(conn, [fcall()]);
    conn.generation++;
    await run(conn, [fcall()]);
    expect(seen.map((s) => s[0] === 'REPLACE')).toEqual([true, false, true]);
  });

  it('puts a failed load in place of the NOSCRIPT inside EXEC', async () => {
    const conn = new FakeConnection();
    const [a, b] = await run(conn, [call(broken), plain()]);
    expect((a as ReplyError).message).toMatch(/Error compiling script/);
    expect(b).toBe(1);
  });

  it('leaves a block without scripts untouched', async () => {
    const conn = new FakeConnection();
    const cmds = [plain()];
    const block = transactionBlock(cmds);
    let seen: readonly Command<unknown>[] | undefined;
    const original = conn.sendBatch.bind(conn);
    conn.sendBatch = (c) => {
      seen = c;
      return original(c);
    };
    await sendTransaction(conn, cmds, block);
    expect(seen).toBe(block);
  });

  it('refuses the block and the commands swapped, before writing', async () => {
    const conn = new FakeConnection();
    const cmds = [plain()];
    await expect(sendTransaction(conn, transactionBlock(cmds), cmds)).rejects.toThrow(/must end with EXEC/);
    expect(conn.writes).toEqual([]);
  });

  it('keeps what precedes MULTI in the block in place', async () => {
    const conn = new FakeConnection();
    const cmds = [call()];
    const block = [{ name: 'ASKING', args: [] }, ...transactionBlock(cmds)];
    const replies = await sendTransaction(conn, cmds, block);
    expect(conn.writes[0]).toEqual(['ASKING', 'MULTI', 'SCRIPT LOAD', 'EVALSHA', 'EXEC']);
    expect(replies).toEqual(['OK', 'OK', 'QUEUED', [ran('x')]]);
  });
});
