/**
 * Scenario 7, codec micro-benchmarks with tinybench: each decoder gets the same bytes, cut
 * in 64 KiB chunks as a socket would deliver them, and must report the expected number of
 * replies before it is timed; encoders build the same 100k SET commands. slotline's codec
 * comes from the built library (dist/esm/resp), the others from their installed packages.
 */
import { createRequire } from 'node:module';
import { Bench } from 'tinybench';
import { DIST_ESM } from '../adapters/slotline.js';
import { na, ok, type Cell, type Role, type Row, type ScenarioResult } from '../report.js';
import { collectGarbage, errorText } from '../stats.js';
import type { RunContext, Scenario } from './common.js';

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

function wanted(ctx: RunContext, candidate: Candidate<unknown>): boolean {
  return ctx.clients.some((c) => c.name === candidate.client);
}

async function timeTask(ctx: RunContext, name: string, fn: () => void): Promise<{ hz: number; p50: number; p99: number }> {
  collectGarbage();
  const bench = new Bench({
    time: ctx.quick ? 300 : 1500,
    iterations: ctx.quick ? 3 : 10,
    warmupTime: ctx.quick ? 50 : 250,
    warmupIterations: 2,
    throws: true,
  });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0]?.result;
  if (result === undefined || !('latency' in result)) throw new Error(`tinybench: ${result?.state ?? 'no result'}`);
  return { hz: result.throughput.p50, p50: result.latency.p50, p99: result.latency.p99 };
}

async function decodeTable(ctx: RunContext, c: DecodeCase): Promise<ScenarioResult> {
  const chunks = chunk(c.bytes);
  const rows: Row[] = [];
  for (const candidate of DECODERS.filter((d) => wanted(ctx, d))) {
    let cell: Cell;
    try {
      const decode = await candidate.load();
      const got = decode(chunks);
      if (got !== c.replies) throw new Error(`decoded ${got} replies, expected ${c.replies}${c.resp3 ? ' (RESP3 input)' : ''}`);
      const t = await timeTask(ctx, candidate.name, () => {
        decode(chunks);
      });
      cell = ok(t.hz * c.replies, (t.hz * c.bytes.length) / 1e6, t.p50, t.p99);
    } catch (error) {
      cell = na(`${c.resp3 ? 'on RESP3 input: ' : ''}${errorText(error)}`);
    }
    ctx.log(`  ${c.id} ${candidate.name}: ${cell.kind === 'ok' ? `${Math.round(cell.values[0] ?? 0)} replies/s` : cell.reason}`);
    rows.push({ client: candidate.name, role: candidate.role, cell });
  }
  return {
    id: c.id,
    title: c.title,
    columns: ['replies/s (median)', 'MB/s', 'p50 ms/run', 'p99 ms/run'],
    better: 'higher',
    rows,
    notes: [`${(c.bytes.length / 1e6).toFixed(2)} MB of input in ${chunks.length} chunks of 64 KiB; strings decoded as JS strings`],
    params: { bytes: c.bytes.length, replies: c.replies, chunks: chunks.length },
  };
}

async function encodeTable(ctx: RunContext): Promise<ScenarioResult> {
  const count = ctx.quick ? 10_000 : 100_000;
  const keys = Array.from({ length: count }, (_, i) => `bench:key:${i}`);
  const value = 'v'.repeat(32);
  const rows: Row[] = [];
  for (const candidate of ENCODERS.filter((e) => wanted(ctx, e))) {
    let cell: Cell;
    try {
      const encode = await candidate.load();
      const bytes = encode(keys, value);
      const t = await timeTask(ctx, candidate.name, () => {
        encode(keys, value);
      });
      cell = ok(t.hz * count, (t.hz * bytes) / 1e6, t.p50, t.p99);
    } catch (error) {
      cell = na(errorText(error));
    }
    ctx.log(`  7e ${candidate.name}: ${cell.kind === 'ok' ? `${Math.round(cell.values[0] ?? 0)} commands/s` : cell.reason}`);
    rows.push({ client: candidate.name, role: candidate.role, cell });
  }
  return {
    id: '7e',
    title: `encode ${count} SET commands (key ~15 bytes, value 32 bytes)`,
    columns: ['commands/s (median)', 'MB/s out', 'p50 ms/run', 'p99 ms/run'],
    better: 'higher',
    rows,
    notes: [
      'each encoder returns what it hands the socket: node-redis an array of parts per command, ioredis a string per command (and builds its Command object and promise), slotline CommandWriter the chunks of the whole batch, slotline encodeCommand one command at a time',
    ],
    params: { count },
  };
}

export const codec: Scenario = {
  id: 7,
  title: 'codec micro-benchmarks (tinybench)',
  async run(ctx) {
    const results: ScenarioResult[] = [];
    for (const c of makeCases(ctx.quick)) results.push(await decodeTable(ctx, c));
    results.push(await encodeTable(ctx));
    return results;
  },
};
