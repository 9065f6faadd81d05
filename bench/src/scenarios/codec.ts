/**
 * Scenario 7, codec micro-benchmarks with tinybench: each decoder gets the same bytes, cut
 * in 64 KiB chunks as a socket would deliver them, and must report the expected number of
 * replies before it is timed; encoders build the same 100k SET commands. slotline's codec
 * comes from the built library (dist/esm/resp), the others from their installed packages.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { DIST_ESM } from '../adapters/slotline.js';
import { na, ok, type Cell, type Role, type ScenarioResult } from '../report.js';
import { collectGarbage, errorText, median } from '../stats.js';
import type { Scenario } from './common.js';

const require = createRequire(import.meta.url);
const CHUNK = 64 * 1024;

/** One decoder under test: feeds every chunk to a fresh instance, returns the reply count. */
type DecodeAll = (chunks: readonly Buffer[]) => number;
type EncodeAll = (keys: readonly string[], value: string) => number;

interface Candidate<F> {
  name: string;
  /** The ClientSpec name it belongs to, so --clients filters it too. */
  client: string;
  role: Role;
  /** Loads the implementation; throws (becoming n/a) when it is not there. */
  load(): Promise<F>;
}

interface DecodeCase {
  id: string;
  title: string;
  bytes: Buffer;
  replies: number;
  resp3: boolean;
}

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

function makeCases(quick: boolean): DecodeCase[] {
  const scale = quick ? 10 : 1;
  const n1 = 100_000 / scale;
  const n2 = 10_000 / scale;
  const n4 = 100 / (quick ? 5 : 1);
  const big = 'b'.repeat(100 * 1024);
  const item = (i: number): string => bulk(`value-${String(i % 1e9).padStart(9, '0')}`);
  const map = Array.from({ length: 5 }, (_, j) => bulk(`field${j}`) + bulk(`value-${j}-xyz`)).join('');
  return [
    { id: '7a', title: `decode ${n1} bulk-string replies`, bytes: Buffer.from(Array.from({ length: n1 }, (_, i) => item(i)).join('')), replies: n1, resp3: false },
    { id: '7b', title: `decode ${n2} arrays of 10 bulk strings`, bytes: Buffer.from(Array.from({ length: n2 }, (_, i) => `*10\r\n${Array.from({ length: 10 }, (_, j) => item(i * 10 + j)).join('')}`).join('')), replies: n2, resp3: false },
    { id: '7c', title: `decode ${n2} RESP3 maps of 5 string pairs`, bytes: Buffer.from(`%5\r\n${map}`.repeat(n2)), replies: n2, resp3: true },
    { id: '7d', title: `decode ${n4} bulk strings of 100 KiB`, bytes: Buffer.from(bulk(big).repeat(n4)), replies: n4, resp3: false },
  ];
}

function chunk(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) chunks.push(bytes.subarray(i, Math.min(bytes.length, i + CHUNK)));
  return chunks;
}

interface SlotlineDecoderModule {
  Decoder: new (options: { onReply(v: unknown): void; onError(e: Error): void; onPush(v: unknown[]): void }) => { write(b: Buffer): void };
}
interface SlotlineEncoderModule {
  encodeCommand?: (name: string, args: readonly string[]) => { length: number } | readonly { length: number }[];
  /** What a connection uses for a pipeline: add() each command, take() the chunks to write. */
  CommandWriter?: new () => { add(name: string, args: readonly string[]): void; take(): readonly { length: number }[] };
}
interface RedisParser {
  execute(b: Buffer): void;
}
type RedisParserCtor = new (options: {
  returnReply(v: unknown): void;
  returnError(e: Error): void;
  returnFatalError(e: Error): void;
}) => RedisParser;
type NodeRedisDecoderCtor = new (options: {
  onReply(v: unknown): void;
  onErrorReply(e: Error): void;
  onPush(v: unknown[]): void;
  getTypeMapping(): Record<string, never>;
}) => { write(b: Buffer): void };

const DECODERS: readonly Candidate<DecodeAll>[] = [
  {
    name: 'slotline Decoder',
    client: 'slotline',
    role: 'subject',
    async load() {
      const { Decoder } = (await import(`${DIST_ESM}resp/decoder.js`)) as SlotlineDecoderModule;
      return (chunks) => {
        let n = 0;
        const d = new Decoder({ onReply: () => n++, onError: () => n++, onPush: () => {} });
        for (const c of chunks) d.write(c);
        return n;
      };
    },
  },
  {
    name: 'ioredis (redis-parser)',
    client: 'ioredis',
    role: 'other',
    async load() {
      const Parser = require('redis-parser') as RedisParserCtor;
      return (chunks) => {
        let n = 0;
        let fatal: Error | undefined;
        const p = new Parser({ returnReply: () => n++, returnError: () => n++, returnFatalError: (e) => (fatal = e) });
        for (const c of chunks) p.execute(c);
        if (fatal !== undefined) throw fatal;
        return n;
      };
    },
  },
  {
    name: 'node-redis (@redis/client Decoder)',
    client: 'node-redis',
    role: 'other',
    async load() {
      const { Decoder } = require('@redis/client/dist/lib/RESP/decoder.js') as { Decoder: NodeRedisDecoderCtor };
      return (chunks) => {
        let n = 0;
        const d = new Decoder({ onReply: () => n++, onErrorReply: () => n++, onPush: () => {}, getTypeMapping: () => ({}) });
        for (const c of chunks) d.write(c);
        return n;
      };
    },
  },
];

function size(x: { length: number } | readonly { length: number }[]): number {
  if (Array.isArray(x)) return x.reduce((sum: number, part: { length: number }) => sum + part.length, 0);
  return (x as { length: number }).length;
}

const ENCODERS: readonly Candidate<EncodeAll>[] = [
  {
    name: 'slotline CommandWriter',
    client: 'slotline',
    role: 'subject',
    async load() {
      const { CommandWriter } = (await import(`${DIST_ESM}resp/encoder.js`)) as SlotlineEncoderModule;
      if (typeof CommandWriter !== 'function') throw new Error('resp/encoder.js has no CommandWriter export');
      return (keys, value) => {
        const writer = new CommandWriter();
        for (const k of keys) writer.add('SET', [k, value]);
        return size(writer.take());
      };
    },
  },
  {
    name: 'slotline encodeCommand',
    client: 'slotline',
    role: 'subject-variant',
    async load() {
      const { encodeCommand } = (await import(`${DIST_ESM}resp/encoder.js`)) as SlotlineEncoderModule;
      if (typeof encodeCommand !== 'function') throw new Error('resp/encoder.js has no encodeCommand export');
      return (keys, value) => {
        let bytes = 0;
        for (const k of keys) bytes += size(encodeCommand('SET', [k, value]));
        return bytes;
      };
    },
  },
  {
    name: 'ioredis (Command#toWritable)',
    client: 'ioredis',
    role: 'other',
    async load() {
      const { Command } = (await import('ioredis')) as unknown as {
        Command: new (name: string, args: string[]) => { toWritable(socket: object): { length: number } };
      };
      const socket = {};
      return (keys, value) => {
        let bytes = 0;
        for (const k of keys) bytes += size(new Command('set', [k, value]).toWritable(socket));
        return bytes;
      };
    },
  },
  {
    name: 'node-redis (@redis/client encodeCommand)',
    client: 'node-redis',
    role: 'other',
    async load() {
      const mod = require('@redis/client/dist/lib/RESP/encoder.js') as {
        default: (args: readonly string[]) => readonly { length: number }[];
      };
      const encode = mod.default;
      return (keys, value) => {
        let bytes = 0;
        for (const k of keys) bytes += size(encode(['SET', k, value]));
        return bytes;
      };
    },
  },
];

interface Timing {
  hz: number;
  p50: number;
  p99: number;
  /** Bytes an encoder hands the socket for the whole workload. */
  bytes?: number;
}

/** What one child reports: per table id, a timing or why there is none. */
export type ChildReport = Record<string, Timing | { error: string }>;

async function timeTask(quick: boolean, name: string, fn: () => void): Promise<Timing> {
  collectGarbage();
  const bench = new Bench({
    time: quick ? 150 : 500,
    iterations: quick ? 3 : 10,
    warmupTime: quick ? 30 : 100,
    warmupIterations: 2,
    throws: true,
  });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0]?.result;
  if (result === undefined || !('latency' in result)) throw new Error(`tinybench: ${result?.state ?? 'no result'}`);
  return { hz: result.throughput.p50, p50: result.latency.p50, p99: result.latency.p99 };
}

function encodeCount(quick: boolean): number {
  return quick ? 10_000 : 100_000;
}

/**
 * Runs in codec-child.ts: loads one candidate (and so one library) into a fresh process and
 * times it on every table it belongs to. Load or check failures become `{ error }`.
 */
export async function measureCandidate(quick: boolean, name: string): Promise<ChildReport> {
  const report: ChildReport = {};
  const decoder = DECODERS.find((d) => d.name === name);
  if (decoder !== undefined) {
    for (const c of makeCases(quick)) {
      try {
        const decode = await decoder.load();
        const chunks = chunk(c.bytes);
        const got = decode(chunks);
        if (got !== c.replies) throw new Error(`decoded ${got} replies, expected ${c.replies}`);
        report[c.id] = await timeTask(quick, name, () => {
          decode(chunks);
        });
      } catch (error) {
        report[c.id] = { error: `${c.resp3 ? 'on RESP3 input: ' : ''}${errorText(error)}` };
      }
    }
    return report;
  }
  const encoder = ENCODERS.find((e) => e.name === name);
  if (encoder === undefined) throw new Error(`no codec candidate named ${name}`);
  const keys = Array.from({ length: encodeCount(quick) }, (_, i) => `bench:key:${i}`);
  const value = 'v'.repeat(32);
  try {
    const encode = await encoder.load();
    const bytes = encode(keys, value);
    report['7e'] = { ...(await timeTask(quick, name, () => encode(keys, value))), bytes };
  } catch (error) {
    report['7e'] = { error: errorText(error) };
  }
  return report;
}

const CHILD = fileURLToPath(new URL('../codec-child.ts', import.meta.url));

function runChild(quick: boolean, name: string, boundMs: number): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const args = [...process.execArgv, CHILD, quick ? 'quick' : 'full', name];
    execFile(process.execPath, args, { timeout: boundMs, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(error.killed === true ? `killed after the ${boundMs / 1000} s bound` : (stderr.trim().split('\n').at(-1) ?? errorText(error))));
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ChildReport);
      } catch (parseError) {
        reject(new Error(`bad child output: ${errorText(parseError)}`));
      }
    });
  });
}

function cellOf(samples: readonly (Timing | { error: string } | undefined)[], toCell: (t: Timing) => Cell): Cell {
  const timings = samples.filter((t): t is Timing => t !== undefined && 'hz' in t);
  if (timings.length === 0) {
    const failed = samples.find((t): t is { error: string } => t !== undefined && 'error' in t);
    return na(failed?.error ?? 'not measured');
  }
  const m = (pick: (t: Timing) => number): number => median(timings.map(pick));
  return toCell({ hz: m((t) => t.hz), p50: m((t) => t.p50), p99: m((t) => t.p99), bytes: m((t) => t.bytes ?? 0) });
}

/**
 * Scenario 7. Codec timings depend on the heap they run in: a library loaded alongside, or
 * the old generation earlier scenarios leave behind, makes scavenges dearer and not equally
 * for everyone. So each candidate runs in a fresh process of its own, in rounds (the order
 * rotating), and a table shows the median of the rounds.
 */
export const codec: Scenario = {
  id: 7,
  title: 'codec micro-benchmarks (tinybench)',
  async run(ctx) {
    const quick = ctx.quick;
    const rounds = quick ? 3 : 5; // odd: the median is one round's figure, not the lower of two
    const boundMs = quick ? 60_000 : 120_000;
    const names = [...DECODERS, ...ENCODERS].filter((c) => ctx.clients.some((spec) => spec.name === c.client)).map((c) => c.name);
    const reports = new Map<string, ChildReport[]>(names.map((n) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + r) % names.length] as string;
        let report: ChildReport;
        try {
          report = await runChild(quick, name, boundMs);
        } catch (error) {
          report = Object.fromEntries(['7a', '7b', '7c', '7d', '7e'].map((id) => [id, { error: errorText(error) }]));
        }
        reports.get(name)?.push(report);
        ctx.log(`  round ${r + 1}: ${name} done`);
      }
    }
    const samples = (name: string, id: string): (Timing | { error: string } | undefined)[] => (reports.get(name) ?? []).map((rep) => rep[id]);
    const note = `each candidate in a fresh process of its own, ${rounds} rounds in rotating order; median of the rounds`;
    const results: ScenarioResult[] = makeCases(quick).map((c) => {
      const chunks = Math.ceil(c.bytes.length / CHUNK);
      return {
        id: c.id,
        title: c.title,
        columns: ['replies/s (median)', 'MB/s', 'p50 ms/run', 'p99 ms/run'],
        better: 'higher',
        rows: DECODERS.filter((d) => names.includes(d.name)).map((d) => ({
          client: d.name,
          role: d.role,
          cell: cellOf(samples(d.name, c.id), (t) => ok(t.hz * c.replies, (t.hz * c.bytes.length) / 1e6, t.p50, t.p99)),
        })),
        notes: [`${(c.bytes.length / 1e6).toFixed(2)} MB of input in ${chunks} chunks of 64 KiB; strings decoded as JS strings`, note],
        params: { bytes: c.bytes.length, replies: c.replies, chunks },
      };
    });
    const count = encodeCount(quick);
    results.push({
      id: '7e',
      title: `encode ${count} SET commands (key ~15 bytes, value 32 bytes)`,
      columns: ['commands/s (median)', 'MB/s out', 'p50 ms/run', 'p99 ms/run'],
      better: 'higher',
      rows: ENCODERS.filter((e) => names.includes(e.name)).map((e) => ({
        client: e.name,
        role: e.role,
        cell: cellOf(samples(e.name, '7e'), (t) => ok(t.hz * count, (t.hz * (t.bytes ?? 0)) / 1e6, t.p50, t.p99)),
      })),
      notes: [
        'each encoder returns what it hands the socket: node-redis an array of parts per command, ioredis a string per command (and builds its Command object and promise), slotline CommandWriter the chunks of the whole batch, slotline encodeCommand one command at a time',
        note,
      ],
      params: { count },
    });
    for (const r of results) for (const row of r.rows) ctx.log(`  ${r.id} ${row.client}: ${row.cell.kind === 'ok' ? Math.round(row.cell.values[0] ?? 0) : row.cell.reason}`);
    return results;
  },
};
