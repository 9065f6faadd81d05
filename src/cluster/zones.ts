/**
 * What the cluster client knows of each node's availability zone (Valkey 8's `availability-zone`
 * setting), for `readFrom: { az }`. Learned once per node connection (each successful handshake,
 * since a reconnect may reach a restarted node with another setting) by asking `INFO server`.
 *
 * Where a server reports the zone, measured on valkey-server 8.0.1 (test/integration/
 * compatibility.test.ts): `INFO server` (`availability_zone:<zone>`, empty when unset) and
 * `CONFIG GET availability-zone`; not the HELLO reply (Valkey 8.1 adds it there), not CLUSTER
 * SHARDS / SLOTS / NODES. INFO is used rather than CONFIG: managed services often rename or
 * refuse CONFIG, and ACLs give CONFIG to admins only. Redis 7.0 has neither: its nodes report
 * no zone, which routes them as "another zone".
 *
 * Owns a map and the probes in flight; sends nothing itself (the caller passes how to ask), so
 * it imports no connection.
 */
import { nodeKey, type NodeAddress } from './slot-map.js';

/** A node's zone as learned: a name, or undefined when it reports none (or could not be asked). */
export type ZoneListener = (addr: NodeAddress, zone: string | undefined) => void;

export class NodeZones {
  readonly #zones = new Map<string, string | undefined>();
  readonly #probes = new Map<string, Promise<void>>();
  readonly #onLearned: ZoneListener;

  constructor(onLearned: ZoneListener) {
    this.#onLearned = onLearned;
  }

  /** The node's zone; undefined when it reports none or has not been asked yet. */
  zoneOf(addr: NodeAddress): string | undefined {
    return this.#zones.get(nodeKey(addr));
  }

  /** Whether the node has answered (or failed to answer) at least once. */
  known(addr: NodeAddress): boolean {
    return this.#zones.has(nodeKey(addr));
  }

  /**
   * Asks the node (`ask` sends INFO server on its connection) and records the answer; a failure
   * records "no zone" and goes to `onError`. The listener hears every first answer and every change.
   */
  probe(addr: NodeAddress, ask: () => Promise<unknown>, onError: (error: unknown) => void): Promise<void> {
    const key = nodeKey(addr);
    const probe = ask().then(
      (reply) => this.#record(addr, zoneFromInfo(reply)),
      (error: unknown) => {
        this.#record(addr, undefined);
        onError(error);
      },
    );
    const tracked = probe.finally(() => {
      if (this.#probes.get(key) === tracked) this.#probes.delete(key);
    });
    this.#probes.set(key, tracked);
    return tracked;
  }

  /** The probe in flight for this node, if any. */
  pending(addr: NodeAddress): Promise<void> | undefined {
    return this.#probes.get(nodeKey(addr));
  }

  /** Forgets nodes that left the cluster: a node that comes back at the address is asked again. */
  retain(live: { has(key: string): boolean }): void {
    for (const key of this.#zones.keys()) if (!live.has(key)) this.#zones.delete(key);
  }

  #record(addr: NodeAddress, zone: string | undefined): void {
    const key = nodeKey(addr);
    const changed = !this.#zones.has(key) || this.#zones.get(key) !== zone;
    this.#zones.set(key, zone);
    if (changed) this.#onLearned(addr, zone);
  }
}

/** `availability_zone:<zone>` from an INFO reply; undefined when the line is absent or empty. */
export function zoneFromInfo(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined;
  const match = /^availability_zone:(.*)$/m.exec(String(reply));
  const zone = match?.[1]?.trim();
  return zone === undefined || zone === '' ? undefined : zone;
}
