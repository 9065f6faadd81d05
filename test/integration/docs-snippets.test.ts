/**
 * Every code block of the migration guides, and the README's tour, runs here, so the docs cannot
 * show code that does not work. The convention (stated at the top of each guide): every fenced block is ```ts, a module
 * of its own that imports from 'slotline' as a user would, and may use four variables defined
 * for it — `url` (a standalone server), `clusterNodes` (a cluster's nodes), `sentinels` and
 * `sentinelName` (a sentinel group) — and closes every client it opens. Claims about replies are
 * written as `assert` calls in the blocks, so they are checked too.
 *
 * The README is for newcomers and shows real addresses instead: its ```ts blocks run with
 * `redis://localhost:6379` and `redis://localhost:7000` replaced by the test's server and cluster
 * (its other blocks are shell commands and a folder listing, not code to run).
 *
 * Each file's blocks are written to .tmp/docs-snippets/, typechecked once with tsc, then run
 * one after the other in ONE tsx process (an import each), which must then exit by itself: a
 * block that leaves a client open makes the guide's run time out.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, startStandalone, defaultFlavour, type ClusterHandle, type StandaloneServer } from '../harness/servers.js';
import { startSentinelGroup, type SentinelGroup } from '../harness/sentinel.js';
import { REPO_ROOT, runTsx, type TsxRun } from '../harness/tsx.js';

const GUIDES = ['docs/migrating-from-ioredis.md', 'docs/migrating-from-node-redis.md'] as const;
const README = 'README.md';
const FILES = [...GUIDES, README] as const;

interface Snippet {
  guide: string;
  /** 1-based line of the opening fence, for the test name and the failure message. */
  line: number;
  lang: string;
  code: string;
  file: string;
}

/** The fenced blocks of a markdown file, in order. */
function fencedBlocks(markdown: string): Array<{ line: number; lang: string; code: string }> {
  const lines = markdown.split('\n');
  const blocks: Array<{ line: number; lang: string; code: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j]!)) body.push(lines[j++]!);
    if (j === lines.length) throw new Error(`unclosed code block at line ${i + 1}`);
    blocks.push({ line: i + 1, lang: open[2]!, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

const PRELUDE = [
  "const url: string = process.env['SNIPPET_URL']!;",
  "const clusterNodes: Array<{ host: string; port: number }> = JSON.parse(process.env['SNIPPET_CLUSTER']!);",
  "const sentinels: Array<{ host: string; port: number }> = JSON.parse(process.env['SNIPPET_SENTINELS']!);",
  "const sentinelName: string = process.env['SNIPPET_SENTINEL_NAME']!;",
  'export {};',
  '',
].join('\n');

const OUT = join(REPO_ROOT, '.tmp', 'docs-snippets');

function collect(): Snippet[] {
  const snippets: Snippet[] = [];
  for (const guide of FILES) {
    const name = guide.replace(/^docs\//, '').replace(/\.md$/, '');
    for (const block of fencedBlocks(readFileSync(join(REPO_ROOT, guide), 'utf8'))) {
      if (guide === README && block.lang !== 'ts') continue;
      const file = join(OUT, `${name}-L${String(block.line).padStart(4, '0')}.ts`);
      const code = guide === README ? readmeAddresses(block.code) : block.code;
      snippets.push({ guide, line: block.line, lang: block.lang, code, file });
    }
  }
  return snippets;
}

/** The README's literal addresses, pointed at the test's servers (the prelude's variables). */
function readmeAddresses(code: string): string {
  return code
    .replaceAll("'redis://localhost:6379'", 'url')
    .replaceAll("'redis://localhost:7000'", '`redis://${clusterNodes[0]!.host}:${clusterNodes[0]!.port}`');
}

const RUNNER = `
const results = [];
for (const file of process.argv.slice(2)) {
  const started = Date.now();
  try {
    await import(file);
    results.push({ file, ok: true, ms: Date.now() - started });
  } catch (error) {
    results.push({ file, ok: false, ms: Date.now() - started, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}
console.log('@@results ' + JSON.stringify(results));
`;

const snippets = collect();

describe(`docs snippets (${defaultFlavour()})`, () => {
  let standalone: StandaloneServer;
  let cluster: ClusterHandle;
  let sentinel: SentinelGroup;
  const runs = new Map<string, TsxRun>();
  const results = new Map<string, { ok: boolean; ms: number; error?: string }>();

  beforeAll(async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    for (const s of snippets) writeFileSync(s.file, PRELUDE + s.code + '\n');
    writeFileSync(join(OUT, 'run.ts'), RUNNER);
    [standalone, cluster, sentinel] = await Promise.all([startStandalone(), startCluster(), startSentinelGroup()]);
    const env = {
      SNIPPET_URL: `redis://${standalone.host}:${standalone.port}`,
      SNIPPET_CLUSTER: JSON.stringify(cluster.seeds.map((n) => ({ host: n.host, port: n.port }))),
      SNIPPET_SENTINELS: JSON.stringify(sentinel.endpoints),
      SNIPPET_SENTINEL_NAME: sentinel.name,
    };
    for (const guide of FILES) {
      const files = snippets.filter((s) => s.guide === guide).map((s) => s.file);
      const run = await runTsx(join(OUT, 'run.ts'), files, { env, timeoutMs: 120_000 });
      runs.set(guide, run);
      const line = run.stdout.split('\n').find((l) => l.startsWith('@@results '));
      if (line !== undefined) {
        for (const r of JSON.parse(line.slice('@@results '.length)) as Array<{ file: string; ok: boolean; ms: number; error?: string }>) results.set(r.file, r);
      }
    }
  }, 300_000);

  afterAll(async () => {
    await Promise.all([standalone?.stop(), cluster?.stop(), sentinel?.stop()]);
  });

  it('each guide has runnable blocks, and every fenced block is ts (nothing shown that is not run)', () => {
    for (const guide of GUIDES) expect(snippets.filter((s) => s.guide === guide).length, guide).toBeGreaterThan(5);
    expect(snippets.filter((s) => s.guide === README).length, 'the README tour').toBeGreaterThan(0);
    expect(snippets.filter((s) => s.lang !== 'ts').map((s) => `${s.guide}:${s.line} (${s.lang || 'no language'})`)).toEqual([]);
  });

  it('every block typechecks against the public API', async () => {
    const tsconfig = join(OUT, 'tsconfig.json');
    writeFileSync(tsconfig, JSON.stringify({ extends: '../../examples/tsconfig.json', include: ['*.ts'], exclude: ['run.ts'] }));
    const out = await new Promise<string>((resolve) => {
      execFile(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { cwd: REPO_ROOT, timeout: 120_000 }, (_e, stdout, stderr) => resolve(stdout + stderr));
    });
    expect(out.trim()).toBe('');
  }, 150_000);

  for (const guide of FILES) {
    it(`${guide}: the blocks run and then the process exits by itself (no client left open)`, () => {
      const run = runs.get(guide)!;
      expect(run.timedOut, run.stderr).toBe(false);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    });
    for (const s of snippets.filter((x) => x.guide === guide)) {
      it(`${guide}:${s.line} runs`, () => {
        const r = results.get(s.file);
        expect(r, `no result for the block at ${guide}:${s.line}`).toBeDefined();
        expect(r!.error ?? '', `${guide}:${s.line}`).toBe('');
        expect(r!.ok).toBe(true);
      });
    }
  }
});
