/**
 * Free TCP ports on 127.0.0.1 for servers the harness starts. It asks the OS for a
 * port (listen on :0) instead of guessing; for cluster nodes it also checks the bus
 * port (port + 10000). Imports nothing but node:net.
 */
import net from 'node:net';

const HOST = '127.0.0.1';
const CLUSTER_BUS_OFFSET = 10_000;
const MAX_ATTEMPTS = 100;

/** Ports handed out for cluster nodes in this process, so two nodes never share one. */
const handedOut = new Set<number>();

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ host: HOST, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** A port that was free a moment ago (the OS picked it). */
export async function getFreePort(): Promise<number> {
  const port = await listenOnce(0);
  if (port === undefined) throw new Error('getFreePort: the OS gave no port on 127.0.0.1');
  return port;
}

/** Whether something can listen on 127.0.0.1:port right now. */
export async function isPortFree(port: number): Promise<boolean> {
  return (await listenOnce(port)) === port;
}

/**
 * A port P such that P and P + 10000 (the cluster bus) are both free and P was not
 * handed out before by this process. Bounded: gives up after MAX_ATTEMPTS tries.
 */
export async function getFreeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = await getFreePort();
    const bus = port + CLUSTER_BUS_OFFSET;
    if (bus > 65_535) continue;
    if (handedOut.has(port) || handedOut.has(bus)) continue;
    if (!(await isPortFree(bus))) continue;
    handedOut.add(port);
    handedOut.add(bus);
    return port;
  }
  throw new Error(`getFreeClusterPort: no port P with P and P+${CLUSTER_BUS_OFFSET} free after ${MAX_ATTEMPTS} tries`);
}
