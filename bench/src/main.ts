/**
 * The suite's entry point: reads the flags, pins the process, prints the header (machine,
 * Node, every client's version, pinning), runs the chosen scenarios one after another and
 * writes the raw figures to results/latest.json (and the tables to results/latest.md).
 *
 *   npm run bench                    all scenarios
 *   npm run bench -- --quick         few repeats, small counts (about a minute or two)
 *   npm run bench -- --only 3,5      just those scenarios
 *   npm run bench -- --clients slotline,ioredis
 *   npm run bench -- --write-docs    also put the tables into docs/benchmarks.md and draw the
 *                                    charts of docs/ (pictures.ts)
 * (flags after `--`; see parseOptions for what npm does to them on the way.)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLIENTS } from './adapters/index.js';
import { gatherFacts, pinSelf, renderFacts, Servers } from './env.js';
import { writePictures } from './pictures.js';
import { renderMarkdown, renderTable, type ScenarioResult } from './report.js';
import { SCENARIOS } from './scenarios/index.js';
import type { RunContext } from './scenarios/common.js';
import { errorText, now } from './stats.js';

interface Options {
  quick: boolean;
  /** Replace the latest-results section of docs/benchmarks.md with this run's tables; draw the charts. */
  writeDocs: boolean;
  only: number[] | undefined;
  clients: string[] | undefined;
}

function listOf(text: string | undefined): string[] | undefined {
  if (text === undefined || text === '' || text === 'true') return undefined;
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Flags come from argv. `npm run bench -- --quick` from the root reaches here only as far as
 * npm lets it: npm turns an unknown `--quick` into npm_config_quick=true (read below) and
 * drops `--only 3` (an npm option of its own), so every flag can also be given as
 * SLOTLINE_BENCH_QUICK=1, SLOTLINE_BENCH_WRITE_DOCS=1, SLOTLINE_BENCH_ONLY=3,5,
 * SLOTLINE_BENCH_CLIENTS=slotline,ioredis.
 */
function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const value = (name: string): string | undefined => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i === -1) return env[`SLOTLINE_BENCH_${name.toUpperCase()}`];
    const arg = argv[i] as string;
    return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[i + 1];
  };
  const flag = (name: string): boolean => {
    const envName = name.replace(/-/g, '_');
    return (
      argv.includes(`--${name}`) || env[`npm_config_${envName}`] === 'true' || env[`SLOTLINE_BENCH_${envName.toUpperCase()}`] === '1'
    );
  };
  const only = listOf(value('only'))?.map(Number);
  if (only?.some((n) => !Number.isInteger(n) || n < 1 || n > SCENARIOS.length)) {
    throw new Error(`--only takes scenario numbers 1..${SCENARIOS.length}, comma separated`);
  }
  return { quick: flag('quick'), writeDocs: flag('write-docs'), only, clients: listOf(value('clients')) };
}

const DOCS = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const START = '<!-- latest:start -->';
const END = '<!-- latest:end -->';

/** Puts `markdown` between the markers of docs/benchmarks.md; says what it did. */
function writeDocs(markdown: string): string {
  let doc: string;
  try {
    doc = readFileSync(DOCS, 'utf8');
  } catch (error) {
    return `docs not updated: ${errorText(error)}`;
  }
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start === -1 || end < start) return `docs not updated: ${DOCS} has no ${START} ... ${END} section`;
  writeFileSync(DOCS, `${doc.slice(0, start + START.length)}\n${markdown.trim()}\n${doc.slice(end)}`);
  return `docs updated: ${DOCS}`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const pinning = pinSelf();
  const facts = gatherFacts(pinning);
  const clients = options.clients === undefined ? CLIENTS : CLIENTS.filter((c) => options.clients?.some((n) => c.name.startsWith(n)));
  const scenarios = SCENARIOS.filter((s) => options.only === undefined || options.only.includes(s.id));
  const mode = options.quick ? 'quick' : 'full';
  console.log(`# slotline benchmarks (${mode}; scenarios ${scenarios.map((s) => s.id).join(',')})\n`);
  console.log(renderFacts(facts));
  console.log('');

  const servers = new Servers(pinning);
  const ctx: RunContext = {
    quick: options.quick,
    servers,
    clients,
    pinned: pinning.kind === 'pinned',
    log: (line) => process.stderr.write(`${line}\n`),
  };
  const results: ScenarioResult[] = [];
  // The whole run has a bound too; scenarios left when it runs out are reported as skipped.
  const runBoundMs = options.quick ? 6 * 60_000 : 20 * 60_000;
  const started = now();
  try {
    for (const scenario of scenarios) {
      if (now() - started > runBoundMs) {
        console.log(`scenario ${scenario.id} skipped: the run's ${runBoundMs / 60_000} min bound ran out\n`);
        continue;
      }
      ctx.log(`== ${scenario.id}. ${scenario.title}`);
      const t0 = now();
      let produced: ScenarioResult[];
      try {
        produced = await scenario.run(ctx);
      } catch (error) {
        produced = [
          {
            id: String(scenario.id),
            title: scenario.title,
            columns: ['value'],
            better: 'higher',
            rows: [],
            notes: [`scenario failed: ${errorText(error)}`],
            params: {},
          },
        ];
      }
      const elapsedMs = now() - t0;
      for (const result of produced) {
        result.elapsedMs = elapsedMs;
        results.push(result);
        console.log(renderTable(result));
        console.log('');
      }
      ctx.log(`   (${(elapsedMs / 1000).toFixed(1)} s)`);
    }
  } finally {
    await servers.stop();
  }
  console.log(`total ${((now() - started) / 1000).toFixed(0)} s`);

  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const record = { mode, startedAt: new Date(Date.now() - (now() - started)).toISOString(), facts, options, results };
  writeFileSync(`${dir}latest.json`, JSON.stringify(record, null, 2) + '\n');
  const markdown = [
    `Measured ${record.startedAt.slice(0, 10)} (${mode} run).`,
    '',
    '```',
    renderFacts(facts),
    '```',
    '',
    ...results.map(renderMarkdown).flatMap((t) => [t, '']),
  ].join('\n');
  writeFileSync(`${dir}latest.md`, markdown);
  console.log(`raw figures: ${dir}latest.json; tables as Markdown: ${dir}latest.md`);
  if (options.writeDocs) {
    console.log(writeDocs(markdown));
    for (const line of writePictures(record)) console.log(line);
  }
}

main().then(
  // Some clients keep native threads or timers alive after close; the run is over.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
