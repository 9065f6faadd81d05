/**
 * SCAN over a whole cluster: every primary of the snapshot taken at the start, one after the
 * other, each with its own cursor walk (commands/scan-iterators.ts). In a stable cluster each key
 * comes once; keys that move while the scan runs may come twice or not at all, as with SCAN on a
 * single server.
 */
import type { Connection } from '../connection/connection.js';
import type { ScanIteratorOptions } from '../commands/scan-iterators.js';
import { asItems, scanPage, walkCursor } from '../commands/scan-iterators.js';
import type { RedisArg } from '../resp/types.js';
import type { NodeInfo } from './slot-map.js';

/** The cluster's scanIterator options: the standalone client's. */
export type ClusterScanOptions = ScanIteratorOptions;

/** `words`: SCAN's words after the cursor, keyPrefix already on MATCH. */
export async function* scanPrimaries(
  primaries: readonly NodeInfo[],
  connect: (node: NodeInfo) => Connection,
  words: readonly RedisArg[],
): AsyncGenerator<string, void, undefined> {
  for (const node of primaries) {
    const conn = connect(node);
    yield* walkCursor((cursor) => conn.send(scanPage('SCAN', undefined, cursor, words)), asItems);
  }
}
