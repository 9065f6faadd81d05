import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as errors from '../../src/errors.js';
import {
  ReplyError,
  ArgumentTypeError,
  ClusterError,
  CommandRefusedError,
  ConnectionError,
  CrossSlotError,
  ExecAbortError,
  MultiRefusedError,
  AbortError,
  InvalidOptionError,
  LibraryHeaderError,
  SentinelError,
  BulkError,
  PubSubOverflowError,
  PipelineError,
  ProtocolError,
  SlotlineError,
  TimeoutError,
  UsageError,
  WatchConflictError,
} from '../../src/errors.js';
import { backoffDelay, resolveOptions } from '../../src/connection/options.js';
import { parseUrl } from '../../src/connection/url.js';
import { resolveClusterOptions } from '../../src/cluster/options.js';
import { createClient, defineLibrary, defineScript } from '../../src/index.js';

describe('ReplyError classification', () => {
  it.each([
    ['MOVED 3999 127.0.0.1:6381', 'moved', { slot: 3999, host: '127.0.0.1', port: 6381 }],
    ['ASK 3999 [::1]:6381', 'ask', { slot: 3999, host: '::1', port: 6381 }],
    ['TRYAGAIN Multiple keys request during rehashing of slot', 'tryagain', undefined],
    ['CLUSTERDOWN The cluster is down', 'clusterdown', undefined],
    ['NOSCRIPT No matching script. Please use EVAL.', 'noscript', undefined],
    ['ERR Function not found', 'nofunction', undefined],
    ["ERR unknown command 'HELLO', with args beginning with: ", 'unknown-command', undefined],
    ['WRONGPASS invalid username-password pair or user is disabled.', 'auth', undefined],
    ['WRONGTYPE Operation against a key holding the wrong kind of value', 'other', undefined],
  ])('%s → %s', (message, kind, redirect) => {
    const e = new ReplyError(message);
    expect(e.kind).toBe(kind);
    expect(e.redirect).toEqual(redirect);
    expect(e.code).toBe(message.split(' ')[0]);
    expect(e).toBeInstanceOf(SlotlineError);
  });

  it('names command and index for bad arguments, and cross-slot keys', () => {
    const a = new ArgumentTypeError('SET', 1, undefined);
    // A SlotlineError like every refusal of the library, no longer a TypeError (issue 10 §4).
    expect(a).toBeInstanceOf(SlotlineError);
    expect(a).not.toBeInstanceOf(TypeError);
    expect(a.problem).toBe('type');
    expect(a.message).toBe('SET: argument #1 is undefined; expected string, Buffer or number');
    const c = new CrossSlotError('MULTI', ['a', 'b'], [15495, 3300]);
    expect(c.message).toContain("'a' (slot 15495)");
    expect(c.message).toContain("'b' (slot 3300)");
  });
});

describe('options', () => {
  it('parses redis:// and rediss:// URLs', () => {
    expect(parseUrl('redis://user:p%40ss@example.local:6380/3')).toEqual({
      host: 'example.local',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 3,
    });
    expect(parseUrl('rediss://127.0.0.1').tls).toBe(true);
    expect(() => parseUrl('http://x')).toThrow(/scheme/);
    expect(() => parseUrl('http://x')).toThrow(InvalidOptionError);
    expect(() => parseUrl('redis://:secret@host/notanumber')).toThrow(/database/);
  });

  it('never puts a password in an error message', () => {
    expect(() => parseUrl('redis://:secret@[bad')).toThrow(/\*\*\*/);
    try {
      parseUrl('redis://:secret@[bad');
    } catch (e) {
      expect(String(e)).not.toContain('secret');
    }
  });

  it('validates numbers and fills defaults', () => {
    const o = resolveOptions({});
    expect(o.port).toBe(6379);
    expect(o.maxBatch).toBe(1000);
    expect(() => resolveOptions({ port: -1 })).toThrow(/port/);
    expect(() => resolveOptions({ port: -1 })).toThrow(expect.objectContaining({ code: 'SLOTLINE_OPTION', option: 'port' }));
    expect(() => resolveClusterOptions({ nodes: [] })).toThrow(InvalidOptionError);
    expect(() => resolveClusterOptions({ nodes: ['redis://:secret@[bad'] })).toThrow(InvalidOptionError);
    expect(() => resolveClusterOptions({ nodes: ['redis://:secret@[bad'] })).not.toThrow(/secret/);
  });

  it('backs off exponentially with bounded jitter', () => {
    const r = { initialDelay: 50, maxDelay: 2000, maxAttempts: 10, jitter: 0.2 };
    expect(backoffDelay(r, 0, () => 0.5)).toBe(50);
    expect(backoffDelay(r, 3, () => 0.5)).toBe(400);
    expect(backoffDelay(r, 10, () => 0.5)).toBe(2000);
    expect(backoffDelay(r, 3, () => 0)).toBe(320);
    expect(backoffDelay(r, 3, () => 1)).toBe(480);
  });
});

describe('issue 10 §4: typed errors with a stable code', () => {
  const reply = new ReplyError('ERR x');
  const instances: Array<[SlotlineError, string]> = [
    [new ProtocolError('bad', 0), 'SLOTLINE_PROTOCOL'],
    [new ConnectionError('lost', 'closed'), 'SLOTLINE_CONNECTION'],
    [new TimeoutError('slow', 1), 'SLOTLINE_TIMEOUT'],
    [new PipelineError('failed', 0, 1, undefined), 'SLOTLINE_PIPELINE'],
    [new AbortError('GET', false), 'SLOTLINE_ABORTED'],
    [new WatchConflictError(1, ['k']), 'SLOTLINE_WATCH_CONFLICT'],
    [new CrossSlotError('MULTI', ['a', 'b'], [1, 2]), 'SLOTLINE_CROSSSLOT'],
    [new ClusterError('down'), 'SLOTLINE_CLUSTER'],
    [new ArgumentTypeError('SET', 1, undefined), 'SLOTLINE_ARGUMENT'],
    [new CommandRefusedError('SELECT', 'no'), 'SLOTLINE_COMMAND_REFUSED'],
    [new UsageError('no'), 'SLOTLINE_USAGE'],
    [new InvalidOptionError('port', 'no'), 'SLOTLINE_OPTION'],
    [new LibraryHeaderError('missing-name', 'no'), 'SLOTLINE_LIBRARY_HEADER'],
    [new SentinelError('mymaster', ['127.0.0.1:26379'], 'unknown-name', 'no'), 'SLOTLINE_SENTINEL'],
    [new BulkError('source', { sent: 1, ok: 1, errors: 0 }, new Error('boom')), 'SLOTLINE_BULK'],
    [new PubSubOverflowError(8), 'SLOTLINE_PUBSUB_OVERFLOW'],
    [new ReplyError('WRONGTYPE x'), 'WRONGTYPE'],
    [new ExecAbortError([{ index: 0, error: reply }]), 'EXECABORT'],
    [new MultiRefusedError(new ReplyError("NOPERM this user has no permissions to run the 'multi' command"), []), 'NOPERM'],
  ];

  it('every class in errors.ts has a code, and every class is covered here', () => {
    for (const [e, code] of instances) {
      expect(e).toBeInstanceOf(SlotlineError);
      expect(e.code, e.name).toBe(code);
      expect(e.name).toBe(e.constructor.name);
    }
    const classes = Object.values(errors).filter((v): v is typeof SlotlineError => typeof v === 'function' && v.prototype instanceof SlotlineError);
    expect(classes.map((c) => c.name).sort()).toEqual(instances.map(([e]) => e.constructor.name).sort());
  });

  it('no source file throws a bare TypeError or the base SlotlineError, or defines an error class outside errors.ts', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const text = readFileSync(p, 'utf8');
          // scripts/send.ts keeps two TypeErrors that assert its own internal callers' argument
          // order (no user input reaches them); it belongs to the connection layer's owners.
          const bare = /throw new TypeError\(|reject\(new TypeError\(|new SlotlineError\(/.exec(text);
          if (bare !== null && !p.endsWith('send.ts')) offenders.push(`${p}: ${bare[0]}`);
          if (/class \w+ extends \w*Error\b/.test(text) && !p.endsWith('errors.ts')) offenders.push(`${p}: error class outside errors.ts`);
        }
      }
    };
    walk(join(__dirname, '../../src'));
    expect(offenders).toEqual([]);
  });

  it('a call refused for its arguments rejects its promise; it never throws from an async method', async () => {
    const client = createClient({ port: 1, reconnect: false, connectTimeout: 100 });
    const script = defineScript({ lua: 'return 1', keys: 2 });
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = client.runScript(script, ['only-one']);
    }).not.toThrow();
    await expect(p).rejects.toThrow(ArgumentTypeError);
    await expect(p).rejects.toMatchObject({ code: 'SLOTLINE_ARGUMENT', command: 'runScript', problem: 'count' });
    await expect(client.watch([], () => undefined)).rejects.toThrow(ArgumentTypeError);
    // Builders never throw for a bad argument: exec() rejects, and nothing is sent.
    await expect(client.pipeline().get('a').runScript(script, []).exec()).rejects.toThrow(ArgumentTypeError);
    await expect(client.multi().runScript(script, []).exec()).rejects.toThrow(ArgumentTypeError);
    let pipeline: ReturnType<typeof client.pipeline> | undefined;
    expect(() => {
      pipeline = client.pipeline([42 as unknown as ['get', string]]);
    }).not.toThrow();
    await expect(pipeline!.exec()).rejects.toMatchObject({ code: 'SLOTLINE_ARGUMENT', problem: 'shape' });
    // Factories are not async: they throw, typed.
    expect(() => defineScript({ lua: '' })).toThrow(ArgumentTypeError);
    expect(() => defineLibrary('no header')).toThrow(LibraryHeaderError);
    client.disconnect();
  });
});
