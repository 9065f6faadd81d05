/**
 * SCAN over a whole cluster: every primary of the snapshot taken at the start, one after the
 * other, each with its own cursor. In a stable cluster each key comes once; keys that move
 * while the scan runs may come twice or not at all, as with SCAN on a single server.
 */
import type { Connection } from '../connection/connection.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { NodeInfo } from './slot-map.js';

/** Options of `cluster.scanIterator()`. */
export interface ClusterScanOptions {
  /** Glob-style pattern (SCAN MATCH). */
  match?: string;
  /** Hint for keys per round trip (SCAN COUNT). Default 100. */
  count?: number;
  /** Only keys of this type (SCAN TYPE), e.g. 'hash'. */
  type?: string;
}

export async function* scanPrimaries(
  primaries: readonly NodeInfo[],
  connect: (node: NodeInfo) => Connection,
  options: ClusterScanOptions = {},
): AsyncGenerator<string, void, undefined> {
  const tail: RedisArg[] = [];
  if (options.match !== undefined) tail.push('MATCH', options.match);
  tail.push('COUNT', options.count ?? 100);
  if (options.type !== undefined) tail.push('TYPE', options.type);
  for (const node of primaries) {
    const conn = connect(node);
    let cursor = '0';
    do {
      const reply = (await conn.send<RespValue>({ name: 'SCAN', args: [cursor, ...tail] })) as [string, string[]];
      cursor = String(reply[0]);
      for (const key of reply[1]) yield key;
    } while (cursor !== '0');
  }
}
