/**
 * Owns cleanup of everything the harness leaves on the machine: spawned server processes
 * and their temp folders. They are killed and removed when the process exits — also on
 * failure, SIGINT or SIGTERM — so a crashed run leaves no redis-server behind. Imports only
 * node built-ins.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooksInstalled = false;

/** Synchronous on purpose: 'exit' listeners cannot await. */
function reapAllSync(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  reapAllSync();
  // Our listener replaced the default "exit on signal"; restore it only when nobody else
  // (vitest, a script) handles the signal, so we never cut short someone else's shutdown.
  if (process.listenerCount(signal) === 0) process.exit(signal === 'SIGINT' ? 130 : 143);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', reapAllSync);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/** Kills the child when this process ends; forgets it once it exits by itself. */
export function trackChild(child: ChildProcess): void {
  installHooks();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Removes the folder when this process ends, unless releaseDir() did it earlier. */
export function trackDir(dir: string): void {
  installHooks();
  dirs.add(dir);
}

export async function releaseDir(dir: string): Promise<void> {
  dirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}
