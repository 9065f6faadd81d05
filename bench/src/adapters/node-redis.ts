/**
 * node-redis (`redis` 5) behind the common interface. It pipelines commands issued in the
 * same tick by itself; explicit batches are `multi()...execAsPipeline()`. Its cluster client
 * sends a multi to the node of the first key, so a cross-node batch comes back with errors.
 */
import { createClient, createCluster } from 'redis';
import { checkReplies, type Adapter, type ClientSpec, type Cmd, type Target } from './types.js';

/** The little both RedisClientType and RedisClusterType offer that the adapter uses. */
interface MultiLike {
  set(key: string, value: string): MultiLike;
  get(key: string): MultiLike;
  execAsPipeline(): Promise<unknown[]>;
}
interface NodeRedisLike {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  multi(): MultiLike;
  close?: () => Promise<void>;
  quit?: () => Promise<unknown>;
  destroy?: () => void;
}

function adapt(client: NodeRedisLike, ping: () => Promise<unknown>): Adapter {
  return {
    set: (key, value) => client.set(key, value),
    get: (key) => client.get(key),
    ping,
    async batch(cmds: readonly Cmd[]) {
      let multi = client.multi();
      for (const c of cmds) multi = c.kind === 'set' ? multi.set(c.key, c.value) : multi.get(c.key);
      checkReplies(await multi.execAsPipeline(), cmds.length);
    },
    async close() {
      if (client.close !== undefined) await client.close();
      else if (client.quit !== undefined) await client.quit();
      else client.destroy?.();
    },
  };
}

export const nodeRedis: ClientSpec = {
  name: 'node-redis',
  role: 'other',
  pkg: 'redis',
  clusterCapable: true,
  async open(target: Target): Promise<Adapter> {
    if (target.kind === 'standalone') {
      const client = createClient({ socket: { host: target.host, port: target.port, reconnectStrategy: false } });
      client.on('error', () => {});
      await client.connect();
      return adapt(client as unknown as NodeRedisLike, () => client.ping());
    }
    const natMap = target.natMap;
    const cluster = createCluster({
      rootNodes: target.seeds.map((s) => ({ socket: { host: s.host, port: s.port } })),
      ...(natMap === undefined ? {} : { nodeAddressMap: (address: string) => natMap[address] }),
    });
    cluster.on('error', () => {});
    await cluster.connect();
    // A cluster client has no keyless PING route of its own; any node's answer is a round trip.
    return adapt(cluster as unknown as NodeRedisLike, () => cluster.sendCommand(undefined, true, ['PING']));
  },
};
