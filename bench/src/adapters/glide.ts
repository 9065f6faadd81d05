/**
 * Valkey GLIDE 2 (Rust core in a native module shipped inside the npm package) behind the
 * common interface. Batches are non-atomic `Batch` / `ClusterBatch` run with
 * `exec(batch, false)`, which leaves per-command errors as values. Its default request
 * timeout (250 ms) would fail the big batches, so every client gets one minute. Imported
 * lazily: a native module that does not load here becomes an n/a cell, not a crash.
 */
import type { Batch, ClusterBatch } from '@valkey/valkey-glide';
import { checkReplies, type Adapter, type ClientSpec, type Cmd, type Target } from './types.js';

const REQUEST_TIMEOUT_MS = 60_000;

function fill<B extends Batch | ClusterBatch>(batch: B, cmds: readonly Cmd[]): B {
  for (const c of cmds) {
    if (c.kind === 'set') batch.set(c.key, c.value);
    else batch.get(c.key);
  }
  return batch;
}

export const glide: ClientSpec = {
  name: 'valkey-glide',
  role: 'other',
  pkg: '@valkey/valkey-glide',
  clusterCapable: true,
  async open(target: Target): Promise<Adapter> {
    const { Batch, ClusterBatch, GlideClient, GlideClusterClient } = await import('@valkey/valkey-glide');
    if (target.kind === 'standalone') {
      const client = await GlideClient.createClient({
        addresses: [{ host: target.host, port: target.port }],
        requestTimeout: REQUEST_TIMEOUT_MS,
      });
      return {
        set: (key, value) => client.set(key, value),
        get: (key) => client.get(key),
        ping: () => client.ping(),
        async batch(cmds) {
          checkReplies(await client.exec(fill(new Batch(false), cmds), false), cmds.length);
        },
        async close() {
          client.close();
        },
      };
    }
    const natMap = target.natMap;
    const client = await GlideClusterClient.createClient({
      addresses: target.seeds.map((s) => ({ host: s.host, port: s.port })),
      requestTimeout: REQUEST_TIMEOUT_MS,
      ...(natMap === undefined
        ? {}
        : {
            addressResolver: (host: string, port: number): [string, number] => {
              const mapped = natMap[`${host}:${port}`];
              return mapped === undefined ? [host, port] : [mapped.host, mapped.port];
            },
          }),
    });
    return {
      set: (key, value) => client.set(key, value),
      get: (key) => client.get(key),
      ping: () => client.ping(),
      async batch(cmds) {
        checkReplies(await client.exec(fill(new ClusterBatch(false), cmds), false), cmds.length);
      },
      async close() {
        client.close();
      },
    };
  },
};
