/**
 * Where a topology refresh reads the cluster from, and how: the order nodes are asked in, the
 * CLUSTER SHARDS read (CLUSTER SLOTS before 7.0) bounded in time, and a failure said in a few
 * words. Kept apart from topology.ts, which owns the snapshot and the connections and only
 * decides when to refresh.
 */
import { ConnectionError, ReplyError, TimeoutError } from '../errors.js';
import { Connection } from '../connection/connection.js';
import { timeLimit } from '../connection/socket.js';
import type { RespValue } from '../resp/types.js';
import { nodeKey, SlotMap, type AddressMapper, type NodeAddress } from './slot-map.js';

/** What the candidates are drawn from: the snapshot, unconfirmed MOVED replies, open connections, seeds. */
export interface CandidateSources {
  readonly map: SlotMap;
  readonly moves: ReadonlyArray<{ readonly slot: number } & NodeAddress>;
  readonly conns: ReadonlyMap<string, Connection>;
  readonly seeds: readonly NodeAddress[];
}

/**
 * The owners MOVED named first (a promoted replica knows its own promotion), then a node with
 * a ready connection, then the other known nodes (the live cluster), then the seeds the user
 * gave. Lazy: the first candidate usually answers, and listing all of them cost ~0.7 ms per
 * refresh at 1,000 nodes (bench/src/scale).
 */
export function* refreshCandidates({ map, moves, conns, seeds }: CandidateSources): Generator<NodeAddress> {
  const seen = new Set<string>();
  const fresh = (a: NodeAddress): boolean => {
    const k = nodeKey(a);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  };
  for (const m of moves) {
    const owner = map.primaryOf(m.slot);
    if (owner !== undefined && fresh(owner)) yield owner;
  }
  // A node we already hold a ready connection to answers without a dial and a handshake
  // (~1 ms of CPU per refresh, and a connection less for the server).
  for (const [key, conn] of conns) {
    const node = conn.status === 'ready' ? map.node(key) : undefined;
    if (node !== undefined && fresh(node)) {
      yield node;
      break;
    }
  }
  for (const s of map.shards()) if (fresh(s.primary)) yield s.primary;
  for (const n of map.nodes()) if (fresh(n)) yield n;
  for (const s of seeds) if (fresh(s)) yield s;
}

/** How `readSlotMap` reaches a node and reads its answer. */
export interface ReadSettings {
  /** The node's ready shared connection, if any: asked without a dial. */
  readonly existing: Connection | undefined;
  /** A connection of its own, used once and closed, when there is no ready one. */
  readonly open: () => Connection;
  readonly timeout: number;
  readonly mapAddress: AddressMapper;
  readonly tls: boolean;
}

/** The slot map as `addr` describes it. */
export async function readSlotMap(addr: NodeAddress, settings: ReadSettings): Promise<SlotMap> {
  const { existing, timeout } = settings;
  const useExisting = existing !== undefined && existing.status === 'ready';
  const conn = useExisting ? existing : settings.open();
  try {
    if (!useExisting) await conn.connect();
    const fromMap = { seedHost: addr.host, mapAddress: settings.mapAddress, tls: settings.tls, answeredBy: addr };
    let reply: RespValue;
    try {
      reply = await withTimeout(conn.send({ name: 'CLUSTER', args: ['SHARDS'] }), timeout, addr);
    } catch (error) {
      // Servers before 7.0 only know CLUSTER SLOTS.
      if (!(error instanceof ReplyError) || !/unknown subcommand|unknown command/i.test(error.message)) throw error;
      return SlotMap.fromSlots(await withTimeout(conn.send({ name: 'CLUSTER', args: ['SLOTS'] }), timeout, addr), fromMap);
    }
    return SlotMap.fromShards(reply, fromMap);
  } finally {
    if (!useExisting) conn.disconnect();
  }
}

/** A node that accepts the socket but never answers must not hold every later refresh hostage. */
export function withTimeout<T>(promise: Promise<T>, ms: number, addr: NodeAddress, what = 'CLUSTER SHARDS'): Promise<T> {
  return timeLimit(promise, ms, () => {
    throw new TimeoutError(`${what} on ${nodeKey(addr)} timed out after ${ms} ms`, ms);
  });
}

/** The real cause in a few words: refused, auth, TLS, timeout, or the server's own message. */
export function describeFailure(error: unknown): string {
  if (error instanceof ConnectionError) {
    const cause = error.cause as NodeJS.ErrnoException | undefined;
    if (/timed out/.test(error.message)) return `timeout (${error.message})`;
    if (cause?.code === 'ECONNREFUSED') return 'refused';
    if (cause !== undefined && /SSL|TLS|CERT|certificate/i.test(`${cause.code ?? ''} ${cause.message}`)) return `tls: ${cause.message}`;
    if (error.reason === 'handshake') return /WRONGPASS|NOAUTH|NOPERM|AUTH/.test(error.message) ? `auth (${error.message})` : error.message;
    return `${error.reason}: ${error.message}`;
  }
  if (error instanceof TimeoutError) return `timeout (${error.message})`;
  if (error instanceof ReplyError) return error.kind === 'auth' ? `auth: ${error.message}` : error.message;
  return error instanceof Error ? error.message : String(error);
}
