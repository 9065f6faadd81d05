/**
 * Writes the charts of docs/ (issue 15, "Pictures"): docs/bench-ratios.svg from a run of the
 * suite, and docs/scale.svg again from the scale run's data file. The suite's --write-docs
 * calls writePictures, and so does redraw.ts (`npm --prefix bench run pictures`) from
 * results/latest.json without measuring anything. The drawing is in charts.ts and scale/.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderFacts, type Facts } from './env.js';
import { renderRatiosChart } from './charts.js';
import type { ScenarioResult } from './report.js';
import { redrawScaleChart } from './scale/data.js';
import { errorText } from './stats.js';

/** What a run keeps of itself in results/latest.json (and what the charts need of it). */
export interface RunRecord {
  mode: string;
  startedAt: string;
  facts: Facts;
  results: ScenarioResult[];
}

const RATIOS_SVG = fileURLToPath(new URL('../../docs/bench-ratios.svg', import.meta.url));

/** The run's date and machine, as the tables of docs/benchmarks.md head them. */
export function runHeader(record: RunRecord): string {
  return `Measured ${record.startedAt.slice(0, 10)} (${record.mode} run).\n${renderFacts(record.facts)}`;
}

/** Writes every chart; one line per chart saying what was written or why not. */
export function writePictures(record: RunRecord): string[] {
  let ratios: string;
  try {
    writeFileSync(RATIOS_SVG, renderRatiosChart(record.results, runHeader(record)));
    ratios = `ratios chart written: ${RATIOS_SVG}`;
  } catch (error) {
    ratios = `ratios chart not written: ${errorText(error)}`;
  }
  return [ratios, redrawScaleChart()];
}
