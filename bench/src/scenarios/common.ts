/**
 * What every scenario shares: the run context, the per-client cell runner (open, measure,
 * close, all under one time bound, any failure becoming an n/a cell), and workload makers.
 */
import { execFile } from 'node:child_process';
import type { Adapter, ClientSpec, Cmd, Target } from '../adapters/types.js';
import type { Servers } from '../env.js';
import { na, type Cell, type Row, type ScenarioResult } from '../report.js';
import { collectGarbage, Deadline, errorText, median, now, Samples } from '../stats.js';

export interface RunContext {
  readonly quick: boolean;
  readonly servers: Servers;
  readonly clients: readonly ClientSpec[];
  /** Whether redis-benchmark and children should be started under `taskset -c 0`. */
  readonly pinned: boolean;
  /** Progress lines go to stderr, so stdout stays the tables. */
  log(line: string): void;
}

export interface Scenario {
  readonly id: number;
  readonly title: string;
  run(ctx: RunContext): Promise<ScenarioResult[]>;
}

const CLOSE_BOUND_MS = 5000;

/**
 * Opens `spec` on `target`, runs `measure`, closes it. Never throws: an error or the bound
 * running out becomes `n/a: <reason>`.
 */
export async function runCell(
  ctx: RunContext,
  spec: ClientSpec,
  target: Target,
  boundMs: number,
  measure: (adapter: Adapter, deadline: Deadline) => Promise<Cell>,
): Promise<Cell> {
  collectGarbage();
  const deadline = new Deadline(boundMs);
  let adapter: Adapter | undefined;
  try {
    adapter = await deadline.race(spec.open(target));
    return await deadline.race(measure(adapter, deadline));
  } catch (error) {
    return na(errorText(error));
  } finally {
    if (adapter !== undefined) {
      await new Deadline(CLOSE_BOUND_MS).race(adapter.close()).catch((error: unknown) => {
        ctx.log(`  ${spec.name}: close failed: ${errorText(error)}`);
      });
    }
  }
}

export function row(spec: ClientSpec, cell: Cell, label = spec.name): Row {
  return { client: label, role: label === spec.name ? spec.role : spec.role === 'subject' ? 'subject-variant' : spec.role, cell };
}

/**
 * Runs `once` (which pushes its latency samples into the store it is given) `repeats` times
 * after one warm-up call; returns the median rate and the pooled samples.
 */
export async function repeat(
  repeats: number,
  work: number,
  deadline: Deadline,
  once: (samples: Samples | undefined) => Promise<void>,
): Promise<{ rate: number; samples: Samples }> {
  await once(undefined);
  const samples = new Samples(4096);
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    deadline.check();
    const t0 = now();
    await once(samples);
    rates.push(work / ((now() - t0) / 1000));
  }
  return { rate: median(rates), samples };
}

/** A small deterministic PRNG, so every client gets the same "random" keys. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` batches of `size` SETs on random keys (spread over every slot). */
export function randomSetBatches(count: number, size: number, seed: number, value: string): Cmd[][] {
  const rand = prng(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: size }, (): Cmd => ({ kind: 'set', key: `bench:r:${Math.floor(rand() * 1e9)}`, value })),
  );
}

export function logCell(ctx: RunContext, label: string, cell: Cell, unit: string): void {
  ctx.log(`  ${label}: ${cell.kind === 'ok' ? `${Math.round(cell.values[0] ?? 0)} ${unit}` : `n/a (${cell.reason})`}`);
}

/**
 * Runs `script` (a child of the scenarios that prints one JSON line last) in a process of its
 * own, with this process's flags (tsx, --expose-gc), killed after `boundMs`. Never throws: a
 * failure, the bound or bad output becomes an n/a cell; a report becomes `toCell(report)`.
 */
export function runJsonChild<R>(ctx: RunContext, script: string, args: readonly string[], boundMs: number, toCell: (report: R) => Cell): Promise<Cell> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...process.execArgv, script, ...args],
      { timeout: boundMs, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').at(-1) ?? '';
        if (error !== null || line === '') {
          const why = error?.killed === true ? `killed after the ${boundMs / 1000} s bound` : stderr.trim().split('\n').at(-1);
          resolve(na(errorText(why || error)));
          return;
        }
        try {
          resolve(toCell(JSON.parse(line) as R));
        } catch (parseError) {
          resolve(na(`bad child output: ${errorText(parseError)}`));
        }
      },
    );
    ctx.log(`  ${args.slice(0, 1).join(' ')}: child started`);
  });
}
