/**
 * ioredis 5 behind the common interface, with and without enableAutoPipelining. Batches are
 * `pipeline(tuples).exec()`; ioredis Cluster refuses a pipeline whose keys live on more than
 * one node, and that refusal is what the cluster tables record.
 */
import { Cluster, Redis } from 'ioredis';
import { checkReplies, type Adapter, type ClientSpec, type Cmd, type Target } from './types.js';

type Tuple = [string, ...string[]];

function tuples(cmds: readonly Cmd[]): Tuple[] {
  return cmds.map((c) => (c.kind === 'set' ? ['set', c.key, c.value] : ['get', c.key]));
}

function adapt(client: Redis | Cluster): Adapter {
  return {
    set: (key, value) => client.set(key, value),
    get: (key) => client.get(key),
    ping: () => client.ping(),
    async batch(cmds) {
      const results = await client.pipeline(tuples(cmds)).exec();
      if (results === null) throw new Error('pipeline.exec() returned null');
      checkReplies(
        results.map(([error, value]) => error ?? value),
        cmds.length,
      );
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

function spec(autoPipelining: boolean): ClientSpec {
  return {
    name: autoPipelining ? 'ioredis (autopipelining)' : 'ioredis',
    role: 'other',
    pkg: 'ioredis',
    clusterCapable: true,
    async open(target: Target): Promise<Adapter> {
      if (target.kind === 'standalone') {
        const client = new Redis({
          host: target.host,
          port: target.port,
          lazyConnect: true,
          enableAutoPipelining: autoPipelining,
          maxRetriesPerRequest: 1,
        });
        await client.connect();
        return adapt(client);
      }
      const natMap = target.natMap === undefined ? undefined : { ...target.natMap };
      const cluster = new Cluster(
        target.seeds.map((s) => ({ host: s.host, port: s.port })),
        { lazyConnect: true, enableAutoPipelining: autoPipelining, ...(natMap === undefined ? {} : { natMap }) },
      );
      await cluster.connect();
      return adapt(cluster);
    },
  };
}

export const ioredis = spec(false);
export const ioredisAuto = spec(true);
