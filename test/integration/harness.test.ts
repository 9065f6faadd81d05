import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { clusterSeeds, clusterTarget, standaloneTarget } from '../harness/context.js';
import { healthProblem, parseClusterNodes, type NodeView } from '../harness/cluster-health.js';
import { startProxy, type Proxy } from '../harness/proxy.js';
import {
  answersPing,
  probeOne,
  redisCli,
  startCluster,
  startStandalone,
  type StandaloneServer,
} from '../harness/servers.js';

/** A raw client socket that records what it receives. */
interface RawClient {
  socket: net.Socket;
  received(): string;
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  closed: Promise<void>;
}

async function connectRaw(port: number): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  let data = '';
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    data += chunk.toString('latin1');
    wake?.();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    closed,
    received: () => data,
    async waitFor(text, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!data.includes(text)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`did not receive ${JSON.stringify(text)}; got ${JSON.stringify(data)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
  };
}

async function withinBound(ms: number, what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('shared servers from the global setup', () => {
  it('the standalone server answers PING', async () => {
    const { host, port } = standaloneTarget();
    expect(host).toBe('127.0.0.1');
    expect(await probeOne(port, ['PING'])).toBe('PONG');
    expect(await redisCli(port, 'PING')).toBe('PONG');
  });

  it('the cluster has 3 primaries with 1 replica each and is ok on all 6 nodes', async () => {
    const seeds = clusterSeeds();
    expect(seeds).toHaveLength(6);
    const { primaries, replicas } = clusterTarget();
    expect(primaries).toHaveLength(3);
    expect(replicas).toHaveLength(3);
    const views = await Promise.all(
      seeds.map(async ({ port }) => ({
        info: await redisCli(port, 'CLUSTER', 'INFO'),
        nodes: parseClusterNodes(await redisCli(port, 'CLUSTER', 'NODES')),
      })),
    );
    for (const { info, nodes } of views) {
      expect(info).toMatch(/^cluster_state:ok\r?$/m);
      expect(info).toMatch(/^cluster_known_nodes:6\r?$/m);
      const masters = nodes.filter((n) => n.role === 'primary');
      expect(masters.map((m) => m.port).sort()).toEqual(primaries.map((p) => p.port).sort());
      for (const master of masters) {
        expect(nodes.filter((n) => n.primaryId === master.id)).toHaveLength(1);
      }
    }
  });
});

describe('startStandalone', () => {
  const servers: StandaloneServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('kill() ends the process, restart() brings it back on the same port', async () => {
    const server = await startStandalone();
    servers.push(server);
    const { port, pid } = server;
    expect(await redisCli(port, 'SET', 'k', 'v')).toBe('OK');
    await server.kill();
    expect(await answersPing(port)).toBe(false);
    await server.kill(); // idempotent once dead
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pid);
    expect(await redisCli(port, 'PING')).toBe('PONG');
    // No persistence: a restarted server starts empty.
    expect(await redisCli(port, 'EXISTS', 'k')).toBe('0');
    // DEBUG is enabled for tests that need it.
    expect(await redisCli(port, 'DEBUG', 'SLEEP', '0')).toBe('OK');
  });

  it('stop() is idempotent, removes the folder, and restart() works after it', async () => {
    const server = await startStandalone({ args: ['--maxmemory', '10mb'] });
    servers.push(server);
    expect(existsSync(server.dir)).toBe(true);
    await server.stop();
    await server.stop();
    expect(existsSync(server.dir)).toBe(false);
    expect(await answersPing(server.port)).toBe(false);
    await server.restart();
    expect(await redisCli(server.port, 'CONFIG', 'GET', 'maxmemory')).toBe('maxmemory\n10485760');
  });

  it('applies a password: PING without AUTH is refused, with AUTH it answers', async () => {
    const server = await startStandalone({ password: 'pw' });
    servers.push(server);
    expect(await answersPing(server.port)).toBe(false);
    expect(await answersPing(server.port, 'pw')).toBe(true);
    await server.restart();
    expect(await answersPing(server.port, 'pw')).toBe(true);
  });
});

describe('startCluster with nodes of its own', () => {
  it('fails over when a primary dies and takes it back as a replica after restart', async () => {
    const cluster = await startCluster({ primaries: 3, replicasPerPrimary: 1 });
    try {
      expect(cluster.nodes).toHaveLength(6);
      expect(await cluster.primaries()).toHaveLength(3);
      const owner = await cluster.slotOwner(0);
      await owner.kill();
      await cluster.waitForHealthy();
      const newOwner = await cluster.slotOwner(0);
      expect(newOwner.port).not.toBe(owner.port);
      await owner.restart();
      await cluster.waitForHealthy();
      expect((await cluster.replicas()).map((n) => n.port)).toContain(owner.port);
      expect((await cluster.primaries()).map((n) => n.port)).toContain(newOwner.port);
    } finally {
      await cluster.stop();
    }
    expect(await answersPing(cluster.seeds[0]!.port)).toBe(false);
  });
});

describe('cluster health rules', () => {
  const nodesText = (myself: number): string =>
    [
      `a 127.0.0.1:1000@11000 ${myself === 1000 ? 'myself,' : ''}master - 0 0 1 connected 0-8191`,
      `b 127.0.0.1:2000@12000 ${myself === 2000 ? 'myself,' : ''}master - 0 0 2 connected 8192-16383`,
    ].join('\n');
  const view = (port: number, text = nodesText(port)): NodeView => ({
    port,
    stateOk: true,
    entries: parseClusterNodes(text),
    role: ['master', 0, []],
  });

  it('accepts agreeing views and names a disagreement or a gap', () => {
    expect(healthProblem([view(1000), view(2000)], { primaries: 2, replicasPerPrimary: 0 })).toBeUndefined();
    const moved = nodesText(2000).replace('0-8191', '0-8190').replace('8192-16383', '8191-16383');
    expect(healthProblem([view(1000), view(2000, moved)])).toMatch(/disagree/);
    const gap = (port: number): NodeView => view(port, nodesText(port).replace('0-8191', '1-8191'));
    expect(healthProblem([gap(1000), gap(2000)])).toMatch(/slot 0 /);
    const failed = nodesText(1000).replace('b 127.0.0.1:2000@12000 master', 'b 127.0.0.1:2000@12000 master,fail?');
    expect(healthProblem([view(1000, failed), view(2000)])).toMatch(/fail\?/);
  });
});

describe('fault-injecting proxy', () => {
  const proxies: Proxy[] = [];
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
  });
  const open = async (delayMs?: number): Promise<Proxy> => {
    const proxy = await startProxy({ target: standaloneTarget(), delayMs });
    proxies.push(proxy);
    return proxy;
  };

  it('forwards both ways', async () => {
    const proxy = await open();
    expect(await probeOne(proxy.port, ['ECHO', 'through the proxy'])).toBe('through the proxy');
    expect(await redisCli(proxy.port, 'PING')).toBe('PONG');
  });

  it('delays each direction: a round trip through a 30 ms proxy takes at least 60 ms', async () => {
    const proxy = await open(30);
    const client = await connectRaw(proxy.port);
    const started = performance.now();
    client.socket.write('PING\r\n');
    await client.waitFor('+PONG\r\n');
    expect(performance.now() - started).toBeGreaterThanOrEqual(60);
    client.socket.destroy();
  });

  it('keeps order when the delay shrinks mid-stream', async () => {
    const proxy = await open(40);
    const client = await connectRaw(proxy.port);
    client.socket.write('ECHO first\r\n');
    // The first command must sit in the proxy, not in a socket buffer, before the change.
    await withinBound(2000, 'first command held by the proxy', () => proxy.buffered > 0);
    proxy.setDelay(0);
    client.socket.write('ECHO second\r\n');
    await client.waitFor('$6\r\nsecond\r\n');
    expect(client.received()).toBe('$5\r\nfirst\r\n$6\r\nsecond\r\n');
    client.socket.destroy();
  });

  it('pause() holds bytes and resume() releases them', async () => {
    const proxy = await open();
    const client = await connectRaw(proxy.port);
    await withinBound(2000, 'proxy connection', () => proxy.connections === 1);
    proxy.pause();
    client.socket.write('PING\r\n');
    await withinBound(2000, 'PING held by the proxy', () => proxy.buffered === 6);
    // Negative check: nothing may arrive while paused (bounded window, not a wait for a condition).
    await new Promise((r) => setTimeout(r, 100));
    expect(client.received()).toBe('');
    proxy.resume();
    await client.waitFor('+PONG\r\n');
    client.socket.destroy();
  });

  it('cutAll() closes client sockets', async () => {
    const proxy = await open();
    const a = await connectRaw(proxy.port);
    const b = await connectRaw(proxy.port);
    await withinBound(2000, 'two proxy connections', () => proxy.connections === 2);
    proxy.cutAll();
    await Promise.all([a.closed, b.closed]);
    expect(proxy.connections).toBe(0);
    expect(proxy.accepted).toBe(2);
    // The proxy still accepts new connections after a cut.
    expect(await probeOne(proxy.port, ['PING'])).toBe('PONG');
  });

  it('inject() delivers raw bytes to every client as if from the server', async () => {
    const proxy = await open();
    const client = await connectRaw(proxy.port);
    await withinBound(2000, 'proxy connection', () => proxy.connections === 1);
    expect(proxy.inject(Buffer.from('!bogus\r\n'))).toBe(1);
    await client.waitFor('!bogus\r\n');
    client.socket.write('PING\r\n');
    await client.waitFor('+PONG\r\n');
    expect(client.received()).toBe('!bogus\r\n+PONG\r\n');
    client.socket.destroy();
  });

  it('blackhole() silences one connection, per direction, without closing it; others and new ones work', async () => {
    const proxy = await open();
    const a = await connectRaw(proxy.port);
    const b = await connectRaw(proxy.port);
    await withinBound(2000, 'two proxy connections', () => proxy.connections === 2);
    const [first, second] = proxy.openConnections;
    proxy.blackhole({ connection: first!, direction: 'down' });
    a.socket.write('PING\r\n');
    b.socket.write('PING\r\n');
    await b.waitFor('+PONG\r\n');
    // Negative check: the reply never reaches a, and a is not closed (bounded window).
    let aClosed = false;
    void a.closed.then(() => (aClosed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(a.received()).toBe('');
    expect(aClosed).toBe(false);
    expect(proxy.connections).toBe(2);
    // The other direction of the second connection: its command never reaches the server.
    proxy.blackhole({ connection: second!, direction: 'up' });
    b.socket.write('ECHO lost\r\n');
    await new Promise((r) => setTimeout(r, 100));
    expect(b.received()).toBe('+PONG\r\n');
    // A connection accepted later is not blackholed.
    expect(await probeOne(proxy.port, ['PING'])).toBe('PONG');
    a.socket.destroy();
    b.socket.destroy();
  });

  it('cutAfter() forwards exactly that many bytes, then cuts the connection', async () => {
    const proxy = await open();
    const client = await connectRaw(proxy.port);
    await withinBound(2000, 'proxy connection', () => proxy.connections === 1);
    proxy.cutAfter(9, { direction: 'down' });
    client.socket.write('PING\r\nPING\r\n');
    await client.closed;
    expect(client.received()).toBe('+PONG\r\n+P');
    await withinBound(2000, 'the pair is gone', () => proxy.connections === 0);
  });

  it('cuts the client when the target refuses the connection', async () => {
    const server = await startStandalone();
    const proxy = await startProxy({ target: server });
    proxies.push(proxy);
    await server.stop();
    const client = await connectRaw(proxy.port);
    await client.closed;
    expect(proxy.connections).toBe(0);
  });
});
