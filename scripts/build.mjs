// Builds dist/esm and dist/cjs from the same sources with tsc, so both `import` and `require`
// see the same ES2022 code (native #private fields) and their own type declarations.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';

const tsc = (args) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', ...args], { stdio: 'inherit' });
rmSync('dist', { recursive: true, force: true });
tsc(['-p', 'tsconfig.json', '--outDir', 'dist/esm']);
tsc(['-p', 'tsconfig.json', '--outDir', 'dist/cjs', '--module', 'CommonJS', '--moduleResolution', 'Node10']);
writeFileSync('dist/esm/package.json', JSON.stringify({ type: 'module' }) + '\n');
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
