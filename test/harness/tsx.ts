/**
 * Runs a TypeScript program the way a user runs the examples: a separate `tsx` process with
 * examples/tsconfig.json, whose `paths` make `import … from 'slotline'` resolve to src/. Bounded:
 * a program still running after `timeoutMs` is killed and reported as such.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../../examples/tsconfig.json', import.meta.url));

export interface TsxRun {
  /** The exit code; null when the process was killed (timed out) or died by a signal. */
  code: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runTsx(file: string, args: readonly string[] = [], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<TsxRun> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSX, '--tsconfig', TSCONFIG, file, ...args],
      { cwd: REPO_ROOT, timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, ...options.env }, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const ms = Date.now() - started;
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, timedOut: error !== null && error.killed === true && ms >= timeoutMs, stdout, stderr, ms });
      },
    );
  });
}
