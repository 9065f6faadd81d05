#!/usr/bin/env node
// The layer check `npm test` runs: every module of src/ imports only from its own layer or the
// layers below it (the map is docs/architecture.md), and no chain of imports (type-only ones
// included) leads back to where it started. Prints each offence and exits 1; silent when clean.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
// The folder to check: src/ unless given (the unit test checks a tree of its own).
const SRC = process.argv[2] !== undefined ? resolve(process.argv[2]) : join(ROOT, 'src');

/** Bottom first. A file belongs to the first entry whose prefix it starts with. */
const LAYERS = [
  ['errors', ['errors.ts']],
  ['resp', ['resp/']],
  ['diagnostics', ['diagnostics.ts']],
  ['commands', ['commands/', 'scripts/']],
  ['cache', ['cache/']],
  ['connection', ['connection/']],
  ['batch', ['batch/']],
  ['clients', ['client/', 'cluster/', 'sentinel/', 'pubsub/']],
  ['surface', ['index.ts']],
];

function layerOf(file) {
  const rel = relative(SRC, file);
  const at = LAYERS.findIndex(([, prefixes]) => prefixes.some((p) => rel === p || rel.startsWith(p)));
  return at;
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

const files = walk(SRC);
const graph = new Map();
const problems = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const targets = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    targets.push(target);
  }
  graph.set(file, targets);
  const from = layerOf(file);
  if (from < 0) problems.push(`${relative(ROOT, file)}: in no layer (add its folder to scripts/check-layers.mjs and docs/architecture.md)`);
  for (const target of targets) {
    const to = layerOf(target);
    if (to > from) {
      problems.push(`${relative(ROOT, file)} (${LAYERS[from][0]}) imports ${relative(ROOT, target)} (${LAYERS[to][0]}): upward`);
    }
  }
}

// Cycles: depth-first search, reporting each cycle once by its smallest member.
const state = new Map();
const stack = [];
const seen = new Set();
function visit(file) {
  state.set(file, 'open');
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    if (state.get(next) === 'open') {
      const cycle = stack.slice(stack.indexOf(next)).map((f) => relative(SRC, f));
      const key = [...cycle].sort().join(',');
      if (!seen.has(key)) {
        seen.add(key);
        problems.push(`import cycle: ${[...cycle, cycle[0]].join(' → ')}`);
      }
    } else if (!state.has(next)) {
      visit(next);
    }
  }
  stack.pop();
  state.set(file, 'done');
}
for (const file of files) if (!state.has(file)) visit(file);

// The map must name every folder and top-level file of src/ (checked for the real tree only).
if (process.argv[2] === undefined) {
  const map = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
  for (const name of readdirSync(SRC)) {
    const entry = statSync(join(SRC, name)).isDirectory() ? `src/${name}/` : `src/${name}`;
    if (!map.includes(`\`${entry}`)) problems.push(`docs/architecture.md does not describe ${entry}`);
  }
}

if (problems.length > 0) {
  console.error(`check-layers: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
