/** The layer check that `npm test` runs (scripts/check-layers.mjs), on trees made here. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'check-layers.mjs');
const made: string[] = [];

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'slotline-layers-'));
  made.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(root: string): { code: number; output: string } {
  try {
    execFileSync(process.execPath, [SCRIPT, root], { encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, output: '' };
  } catch (error) {
    const e = error as { status: number; stderr: string };
    return { code: e.status, output: e.stderr };
  }
}

afterEach(() => {
  for (const root of made.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('scripts/check-layers.mjs', () => {
  it('passes downward imports', () => {
    const root = tree({
      'errors.ts': 'export class E extends Error {}\n',
      'resp/decoder.ts': "import { E } from '../errors.js';\nexport const d = E;\n",
      'connection/connection.ts': "import type { d } from '../resp/decoder.js';\nexport type C = typeof d;\n",
    });
    expect(check(root)).toEqual({ code: 0, output: '' });
  });

  it('fails an upward import, naming both files and layers', () => {
    const root = tree({
      'resp/decoder.ts': "import type { C } from '../connection/connection.js';\nexport type D = C;\n",
      'connection/connection.ts': 'export type C = number;\n',
    });
    const { code, output } = check(root);
    expect(code).toBe(1);
    expect(output).toContain('resp/decoder.ts (resp) imports');
    expect(output).toContain('connection/connection.ts (connection): upward');
  });

  it('fails a cycle within one layer, type-only imports included', () => {
    const root = tree({
      'cluster/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'cluster/b.ts': "export { x } from './c.js';\nexport type B = number;\n",
      'cluster/c.ts': "import type { A } from './a.js';\nexport const x = 1 as unknown as A;\n",
    });
    const { code, output } = check(root);
    expect(code).toBe(1);
    expect(output).toMatch(/import cycle: cluster\/a\.ts → cluster\/b\.ts → cluster\/c\.ts → cluster\/a\.ts/);
  });

  it('fails a file in no known layer', () => {
    const { code, output } = check(tree({ 'misc/thing.ts': 'export const t = 1;\n' }));
    expect(code).toBe(1);
    expect(output).toContain('misc/thing.ts: in no layer');
  });
});
