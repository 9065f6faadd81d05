/**
 * The delay proxies of scenario 6 in a process of their own, so that the CPU work of a
 * JavaScript client under test (encoding, planning, decoding on the bench process's event
 * loop) cannot hold up the proxies' timers and forwarding. GLIDE does its work on Rust
 * threads and would otherwise be the only client that leaves the proxies' loop free.
 *
 * Usage (forked with an IPC channel; see startProxyChild in scenarios/cluster.ts):
 *   proxy-child.ts <delayMs> <lifetimeMs> <host:port> [<host:port> ...]
 * Starts one proxy per target and sends { ports: number[] } (in the order of the targets)
 * to the parent, or { error: string }. Exits when the parent disconnects (it exited or
 * closed the channel), on SIGTERM or SIGINT, or when lifetimeMs runs out, whichever is first.
 */
import { startProxy, type Proxy } from '../../test/harness/proxy.js';

const proxies: Proxy[] = [];
let exiting = false;

function exit(code: number): void {
  if (exiting) return;
  exiting = true;
  // Close what is open, but never wait on it for long.
  const bound = setTimeout(() => process.exit(code), 1000);
  bound.unref();
  void Promise.allSettled(proxies.map((p) => p.close())).then(() => process.exit(code));
}

function send(message: unknown): void {
  if (process.send === undefined) {
    process.stdout.write(`${JSON.stringify(message)}\n`);
  } else {
    process.send(message);
  }
}

async function main(): Promise<void> {
  const [delayText = '', lifetimeText = '', ...targets] = process.argv.slice(2);
  const delayMs = Number(delayText);
  const lifetimeMs = Number(lifetimeText);
  if (!(delayMs >= 0) || !(lifetimeMs > 0) || targets.length === 0) {
    throw new Error('usage: proxy-child.ts <delayMs> <lifetimeMs> <host:port> [<host:port> ...]');
  }
  // The hard bound: whatever the parent does, this process does not outlive it.
  setTimeout(() => exit(2), lifetimeMs);
  process.on('disconnect', () => exit(0));
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
  for (const target of targets) {
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon);
    const port = Number(target.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(port)) throw new Error(`bad target ${target}`);
    proxies.push(await startProxy({ target: { host, port }, delayMs }));
  }
  send({ ports: proxies.map((p) => p.port) });
}

main().catch((error: unknown) => {
  try {
    send({ error: error instanceof Error ? error.message : String(error) });
  } catch {
    // the channel may be gone already
  }
  process.stderr.write(`proxy-child: ${error instanceof Error ? error.message : String(error)}\n`);
  exit(1);
});
