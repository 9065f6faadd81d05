/**
 * One codec candidate of scenario 7 in a process of its own (codec.ts says why): times it on
 * every table it belongs to and prints the timings as one JSON line.
 * Usage: codec-child.ts <quick|full> <candidate name>.
 */
import { measureCandidate } from './scenarios/codec.js';
import { runChildMain } from './stats.js';

async function main(): Promise<void> {
  const [mode = 'full', name = ''] = process.argv.slice(2);
  const report = await measureCandidate(mode === 'quick', name);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

runChildMain(main);
