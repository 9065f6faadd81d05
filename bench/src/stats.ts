/**
 * Numbers and clocks for the scenarios: sample buffers, median and percentiles, and the
 * time bound every measured loop obeys. Pure apart from reading the clock; imports nothing
 * from the clients.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The repository root, cut from error texts so tables show short relative paths. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const now = (): number => performance.now();

/** Sorted copy, then nearest-rank percentile (p in 0..100). NaN for no samples. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** A growable sample store without per-sample allocation. */
export class Samples {
  #data: Float64Array;
  #length = 0;
  constructor(capacity = 1024) {
    this.#data = new Float64Array(Math.max(16, capacity));
  }
  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }
  get values(): Float64Array {
    return this.#data.subarray(0, this.#length);
  }
  get length(): number {
    return this.#length;
  }
  percentile(p: number): number {
    return percentile(this.values, p);
  }
}

export class BenchTimeout extends Error {
  override readonly name = 'BenchTimeout';
}

/**
 * A cell's time bound. Loops poll `expired` (cheap) and stop; `race` makes a hung await
 * lose to the clock, so one stuck client cannot stall the whole suite.
 */
export class Deadline {
  readonly #at: number;
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
    this.#at = now() + ms;
  }
  get expired(): boolean {
    return now() > this.#at;
  }
  check(): void {
    if (this.expired) throw new BenchTimeout(`time bound of ${(this.ms / 1000).toFixed(0)} s exceeded`);
  }
  async race<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const left = Math.max(0, this.#at - now());
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BenchTimeout(`time bound of ${(this.ms / 1000).toFixed(0)} s exceeded`)), left);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name === 'Error' ? '' : error.name + ': '}${error.message}` : String(error);
  return text.split(`file://${ROOT}`).join('').split(ROOT).join('').replace(/\s+/g, ' ').trim().slice(0, 160);
}

/** Frees what the last client left behind, when the process runs with --expose-gc. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
}

/** The end of a child script: exit 0 once `main` is done, else its error on stderr and exit 1. */
export function runChildMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
