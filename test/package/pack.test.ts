/**
 * The published shape: `npm pack` produces a tarball that a fresh project can `import` and
 * `require`, with type declarations for both. Builds the library, packs it and installs the
 * tarball into a temporary folder (its dependencies come from the npm registry).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 180_000 });

describe('npm pack', () => {
  it('can be imported with both import and require from a fresh folder', () => {
    const work = mkdtempSync(join(tmpdir(), 'slotline-pack-'));
    try {
      const out = npm(['pack', '--pack-destination', work], root).trim().split('\n');
      const tarball = join(work, out[out.length - 1]!);
      expect(existsSync(tarball)).toBe(true);
      const app = join(work, 'app');
      execFileSync('mkdir', ['-p', app]);
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
      npm(['install', tarball], app);
      writeFileSync(
        join(app, 'esm.mjs'),
        "import { createClient, ReplyError, createCluster } from 'slotline';\n" +
          "const c = createClient({ port: 1 });\n" +
          "console.log(typeof createClient, typeof createCluster, new ReplyError('ERR x').code, typeof c.pipeline);\n",
      );
      writeFileSync(
        join(app, 'cjs.cjs'),
        "const { createClient, ReplyError, createCluster } = require('slotline');\n" +
          "const c = createClient({ port: 1 });\n" +
          "console.log(typeof createClient, typeof createCluster, new ReplyError('ERR x').code, typeof c.pipeline);\n",
      );
      const expected = 'function function ERR function';
      expect(execFileSync(process.execPath, ['esm.mjs'], { cwd: app, encoding: 'utf8' }).trim()).toBe(expected);
      expect(execFileSync(process.execPath, ['cjs.cjs'], { cwd: app, encoding: 'utf8' }).trim()).toBe(expected);
      const dist = join(app, 'node_modules', 'slotline', 'dist');
      expect(readdirSync(join(dist, 'esm'))).toContain('index.d.ts');
      expect(readdirSync(join(dist, 'cjs'))).toContain('index.d.ts');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 240_000);
});
