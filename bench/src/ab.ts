/**
 * A/B runs for hot-path work: two or more contestants (slotline builds from different
 * folders, or other clients) take turns on the same workload against one server, round after
 * round, so machine noise hits them alike and the ratio of medians is what counts.
 *
 *   node --expose-gc --import tsx src/ab.ts <workload> [rounds] name=spec ...
 *     workload  serial | inflight | inflight10 | inflight1000 | pipeline | big | all (comma-separated),
 *               or cluster | cluster-concurrent (3 primaries: batches of 1,000 SETs on random keys)
 *     spec      dist:<folder with a build's index.js> | slotline | ioredis | ioredis-auto
 *               | node-redis | valkey-glide | raw
 *   e.g. (cp -r ../dist /tmp/base first)  ... src/ab.ts pipeline 9 base=dist:/tmp/base/esm new=slotline
 * With --expose-gc a full GC runs before every timed round, then one untimed run.
 *
 * Starts its own server (pinned like the suite) unless SLOTLINE_AB_PORT names one on
 * 127.0.0.1. Every loop is bounded by count, and the whole run by AB_BOUND_MS.
 */
import { CLIENTS } from './adapters/index.js';
import { openSlotline } from './adapters/slotline.js';
import type { Adapter, Cmd, Target } from './adapters/types.js';
import { pinSelf, Servers } from './env.js';
import { collectGarbage, median, now } from './stats.js';
import { randomSetBatches } from './scenarios/common.js';

const AB_BOUND_MS = 10 * 60_000;
const VALUE = 'v'.repeat(32);
const KEYS = Array.from({ length: 1000 }, (_, i) => `bench:k:${i}`);
const BIG = 'x'.repeat(100 * 1024);
const PIPELINE: Cmd[] = KEYS.map((key) => ({ kind: 'set', key, value: VALUE }));
const BIG_BATCH: Cmd[] = [
  ...Array.from({ length: 100 }, (_, i): Cmd => ({ kind: 'set', key: `bench:big:${i}`, value: BIG })),
  ...Array.from({ length: 100 }, (_, i): Cmd => ({ kind: 'get', key: `bench:big:${i}` })),
];

interface Workload {
  unit: string;
  /** Runs against a 3-primary cluster instead of the standalone server. */
  cluster?: true;
  /** One round; returns the work done in `unit`. */
  run(a: Adapter): Promise<number>;
}

const WORKLOADS: Record<string, Workload> = {
  serial: {
    unit: 'ops/s',
    async run(a) {
      for (let i = 0; i < 5000; i++) await a.set(KEYS[i % KEYS.length] as string, VALUE);
      return 5000;
    },
  },
  inflight: inFlight(100, 50_000),
  inflight10: inFlight(10, 20_000),
  inflight1000: inFlight(1000, 100_000),
  pipeline: {
    unit: 'SET/s',
    async run(a) {
      for (let i = 0; i < 50; i++) await a.batch(PIPELINE);
      return 50 * PIPELINE.length;
    },
  },
  cluster: clusterBatches(false),
  'cluster-concurrent': clusterBatches(true),
  big: {
    unit: 'MB/s',
    async run(a) {
      for (let i = 0; i < 5; i++) await a.batch(BIG_BATCH);
      return (5 * 2 * 100 * BIG.length) / 1e6;
    },
  },
};

const CLUSTER_BATCHES = randomSetBatches(10, 1000, 7, VALUE);

/** Scenario 5's work: fifty 1,000-SET batches (ten distinct) over every primary, as batches or all at once. */
function clusterBatches(concurrent: boolean): Workload {
  return {
    unit: 'SET/s',
    cluster: true,
    async run(a) {
      // Fifty batches a round, as the pipeline workload: with ten (20 ms), the full GC before each
      // round left every contestant's code cold again and the CPU figure read 5x too high.
      for (let i = 0; i < 50; i++) {
        const cmds = CLUSTER_BATCHES[i % CLUSTER_BATCHES.length]!;
        if (concurrent) await Promise.all(cmds.map((c) => (c.kind === 'set' ? a.set(c.key, c.value) : a.get(c.key))));
        else await a.batch(cmds);
      }
      return 50 * 1000;
    },
  };
}

/** `total` GET/SETs from `loops` concurrent loops, each awaiting its reply. */
function inFlight(loops: number, total: number): Workload {
  return {
    unit: 'ops/s',
    async run(a) {
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < total; i = next++) {
          const key = KEYS[i % KEYS.length] as string;
          await ((i & 1) === 0 ? a.set(key, VALUE) : a.get(key));
        }
      };
      await Promise.all(Array.from({ length: loops }, worker));
      return total;
    },
  };
}

async function open(spec: string, target: Target): Promise<Adapter> {
  if (spec.startsWith('dist:')) return openSlotline(target, spec.slice('dist:'.length));
  const client = CLIENTS.find((c) => c.name === spec || c.name.startsWith(`${spec} `) || (spec === 'ioredis-auto' && c.name === 'ioredis (autopipelining)'));
  if (client === undefined) throw new Error(`unknown contestant ${spec}`);
  return client.open(target);
}

async function main(): Promise<void> {
  const [workloadName = 'all', roundsText = '7', ...specs] = process.argv.slice(2);
  const rounds = Number(roundsText);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) throw new Error('rounds: 1..100');
  if (specs.length === 0) throw new Error('name contestants: name=spec ...');
  const names = specs.map((s) => s.slice(0, s.indexOf('=')) || s);
  const workloads = workloadName === 'all' ? ['serial', 'inflight', 'pipeline', 'big'] : workloadName.split(',');
  const pinning = pinSelf();
  const servers = new Servers(pinning);
  const fixedPort = Number(process.env['SLOTLINE_AB_PORT'] ?? 0);
  const started = now();
  try {
    // Contestants are opened once per kind of target, when a workload first needs it.
    const opened = new Map<'standalone' | 'cluster', Adapter[]>();
    const adaptersFor = async (cluster: boolean): Promise<Adapter[]> => {
      const kind = cluster ? 'cluster' : 'standalone';
      let list = opened.get(kind);
      if (list === undefined) {
        const target: Target = cluster
          ? { kind: 'cluster', seeds: (await servers.cluster()).seeds }
          : { kind: 'standalone', host: '127.0.0.1', port: fixedPort > 0 ? fixedPort : (await servers.standalone()).port };
        list = [];
        for (const s of specs) list.push(await open(s.slice(s.indexOf('=') + 1), target));
        opened.set(kind, list);
      }
      return list;
    };
    console.log(`pinning: ${pinning.kind}; ${rounds} rounds, contestants interleaved`);
    for (const name of workloads) {
      const w = WORKLOADS[name];
      if (w === undefined) throw new Error(`unknown workload ${name}`);
      const adapters = await adaptersFor(w.cluster === true);
      const rates: number[][] = adapters.map(() => []);
      // This process's CPU time per unit of work (user + system, all threads): far less noisy
      // than wall time on a shared machine, and what a busy application would feel.
      const cpu: number[][] = adapters.map(() => []);
      for (const a of adapters) await w.run(a); // warm-up
      for (let r = 0; r < rounds && now() - started < AB_BOUND_MS; r++) {
        for (let j = 0; j < adapters.length; j++) {
          collectGarbage(); // one contestant's garbage is not the next one's pause
          // gc() is a memory-reducing collection: it shrinks the young generation, and the
          // first rounds after it scavenge far more often (a 1,000-SET pipeline loop read 2x
          // the CPU per SET with a gc() every 50 pipelines). One untimed run lets it grow back.
          await w.run(adapters[j] as Adapter);
          const c0 = process.cpuUsage();
          const t0 = now();
          const work = await w.run(adapters[j] as Adapter);
          (rates[j] as number[]).push(work / ((now() - t0) / 1000));
          const c1 = process.cpuUsage(c0);
          (cpu[j] as number[]).push((c1.user + c1.system) / work);
        }
      }
      const base = median(rates[0] as number[]);
      for (let j = 0; j < adapters.length; j++) {
        const m = median(rates[j] as number[]);
        const best = Math.max(...(rates[j] as number[]));
        console.log(
          `${name.padEnd(12)} ${(names[j] as string).padEnd(14)} median ${Math.round(m).toString().padStart(9)} ${w.unit.padEnd(6)} best ${Math.round(best).toString().padStart(9)}  ratio ${(m / base).toFixed(2)}  cpu ${median(cpu[j] as number[]).toFixed(2).padStart(7)} µs/${w.unit.split('/')[0]}`,
        );
      }
    }
    await Promise.all([...opened.values()].flat().map((a) => a.close()));
  } finally {
    await servers.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
