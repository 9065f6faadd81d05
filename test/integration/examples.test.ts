/**
 * Every program in examples/ is started here, as a user would start it (`tsx`, the address as
 * its argument), against servers of its own: it must exit 0 (each example checks its own result
 * and exits 1 when it is wrong) within a bound. One after the other, to keep the load small.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, startStandalone, defaultFlavour, type ClusterHandle, type StandaloneServer } from '../harness/servers.js';
import { runTsx } from '../harness/tsx.js';

/** Each example and the server it runs against. */
const EXAMPLES: ReadonlyArray<{ file: string; target: 'standalone' | 'cluster'; prints: RegExp; args?: string[] }> = [
  { file: 'rate-limiter.ts', target: 'standalone', prints: /5 allowed, 3 refused/ },
  { file: 'leaderboard.ts', target: 'standalone', prints: /1\. barbara \(140\)/ },
  { file: 'job-queue.ts', target: 'standalone', prints: /processed 20\/20 jobs/ },
  { file: 'transfer.ts', target: 'standalone', prints: /10 transfers committed, 10 refused/ },
  { file: 'cache-aside.ts', target: 'standalone', prints: /50 reads: 2 database reads/ },
  { file: 'bulk-loader.ts', target: 'cluster', prints: /loaded 20000\/20000 records/ },
  { file: 'transfer.ts', target: 'cluster', prints: /10 transfers committed/, args: ['--cluster'] },
];

describe(`examples/ (${defaultFlavour()})`, () => {
  let standalone: StandaloneServer;
  let cluster: ClusterHandle;
  beforeAll(async () => {
    [standalone, cluster] = await Promise.all([startStandalone(), startCluster()]);
  });
  afterAll(async () => {
    await Promise.all([standalone?.stop(), cluster?.stop()]);
  });

  it('every example in examples/ is run below', () => {
    const files = readdirSync(new URL('../../examples', import.meta.url)).filter((f) => f.endsWith('.ts'));
    expect(files.sort()).toEqual([...new Set(EXAMPLES.map((e) => e.file))].sort());
  });

  for (const example of EXAMPLES) {
    it(`${[example.file, ...(example.args ?? [])].join(' ')} on a ${example.target} exits 0`, async () => {
      const seed = example.target === 'standalone' ? standalone : cluster.seeds[0]!;
      const run = await runTsx(`examples/${example.file}`, [`redis://${seed.host}:${seed.port}`, ...(example.args ?? [])], { timeoutMs: 60_000 });
      expect(run.timedOut, `${example.file} timed out`).toBe(false);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(example.prints);
    }, 90_000);
  }
});
