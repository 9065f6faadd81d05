/**
 * Redraws the charts of docs/ from the last run's results/latest.json and the scale data file,
 * measuring nothing (`npm --prefix bench run pictures`): for a chart change, or a run made
 * without --write-docs. Takes a second.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writePictures, type RunRecord } from './pictures.js';
import { errorText } from './stats.js';

const LATEST = fileURLToPath(new URL('../results/latest.json', import.meta.url));

function readRecord(path: string): RunRecord {
  const r: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof r !== 'object' || r === null) throw new Error(`${path} is not a JSON object`);
  const { mode, startedAt, facts, results } = r as Record<string, unknown>;
  if (typeof mode !== 'string' || typeof startedAt !== 'string' || typeof facts !== 'object' || facts === null || !Array.isArray(results)) {
    throw new Error(`${path} is not a run record (mode, startedAt, facts, results)`);
  }
  return r as RunRecord;
}

try {
  for (const line of writePictures(readRecord(LATEST))) console.log(line);
} catch (error) {
  console.error(`pictures: ${errorText(error)}`);
  process.exit(1);
}
