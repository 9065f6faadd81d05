/**
 * One codec candidate of scenario 7 in a process of its own (codec.ts says why): times it on
 * every table it belongs to and prints the timings as one JSON line.
 * Usage: codec-child.ts <quick|full> <candidate name>.
 */
import { measureCandidate } from './scenarios/codec.js';

async function main(): Promise<void> {
  const [mode = 'full', name = ''] = process.argv.slice(2);
  const report = await measureCandidate(mode === 'quick', name);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
