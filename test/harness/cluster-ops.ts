/**
 * Out-of-band operations on a cluster the harness started, for tests that change it under a
 * client: slot migration step by step (the commands redis-cli --cluster reshard sends), and
 * reading what a node observed (INFO commandstats, CLIENT LIST, ROLE). Everything goes
 * through redis-cli or the probe, never through the client under test; must not import from
 * src/ or vitest. On a cluster started with a password, pass it (NodeRef.password, or the last
 * argument): every command then authenticates, and MIGRATE authenticates to the target.
 *
 *   migration of slot S from A to B, as the server expects it:
 *     B: CLUSTER SETSLOT S IMPORTING <A-id>     B accepts ASKING + commands for S
 *     A: CLUSTER SETSLOT S MIGRATING <B-id>     A answers ASK for keys of S it no longer has
 *     A: MIGRATE host B-port "" 0 t KEYS k…     keys move one batch at a time
 *     B, A, others: CLUSTER SETSLOT S NODE <B-id>   S belongs to B; A answers MOVED from now on
 */
import { parseClusterNodes, type NodeEntry } from './cluster-health.js';
import { probeOne } from './probe.js';
import { redisCliWith } from './servers.js';

export interface NodeRef {
  readonly port: number;
  readonly id: string;
  /** The node's --requirepass, when it has one. */
  readonly password?: string;
}

function cli(node: { readonly port: number; readonly password?: string | undefined }, ...args: string[]): Promise<string> {
  return redisCliWith({ password: node.password }, node.port, ...args);
}

function expectOk(reply: string, what: string): void {
  if (reply !== 'OK' && reply !== 'NOKEY') throw new Error(`${what} replied ${reply}`);
}

/** Marks `slot` importing on `target` and migrating on `source` (target first, as redis-cli does). */
export async function beginSlotMigration(source: NodeRef, target: NodeRef, slot: number): Promise<void> {
  expectOk(await cli(target, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', source.id), 'SETSLOT IMPORTING');
  expectOk(await cli(source, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', target.id), 'SETSLOT MIGRATING');
}

/** Moves `keys` (all in the migrating slot) from source to target with one MIGRATE … KEYS. */
export async function migrateKeys(source: NodeRef, target: NodeRef, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const auth = target.password === undefined ? [] : ['AUTH', target.password];
  const reply = await cli(source, 'MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', ...auth, 'KEYS', ...keys);
  expectOk(reply, 'MIGRATE');
}

/**
 * Assigns `slot` to `target` on every primary (replicas refuse SETSLOT and learn it from their
 * primary): the target first, then the source, then the rest.
 */
export async function finishSlotMigration(primaries: readonly NodeRef[], source: NodeRef, target: NodeRef, slot: number): Promise<void> {
  const order = [target, source, ...primaries.filter((n) => n.port !== target.port && n.port !== source.port)];
  for (const node of order) {
    expectOk(await cli(node, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', target.id), `SETSLOT NODE on ${node.port}`);
  }
}

/** `calls` of one command in INFO commandstats (0 when the command never ran). */
export async function commandCalls(port: number, command: string, password?: string): Promise<number> {
  const info = await cli({ port, password }, 'INFO', 'commandstats');
  const match = new RegExp(`^cmdstat_${command.toLowerCase()}:calls=(\\d+)`, 'm').exec(info);
  return match === null ? 0 : Number(match[1]);
}

/** One CLIENT LIST line as a record: { id, addr, name, flags, cmd, … }. */
export type ClientInfo = Readonly<Record<string, string>>;

export async function clientList(port: number, password?: string): Promise<ClientInfo[]> {
  const text = await cli({ port, password }, 'CLIENT', 'LIST');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const record: Record<string, string> = {};
      for (const field of line.trim().split(' ')) {
        const eq = field.indexOf('=');
        if (eq > 0) record[field.slice(0, eq)] = field.slice(eq + 1);
      }
      return record;
    });
}

/** 'master' or 'slave' as ROLE says now, or undefined when the node does not answer. */
export async function roleOf(port: number, password?: string): Promise<string | undefined> {
  const role = await probeOne(port, ['ROLE'], { timeoutMs: 1000, password }).catch(() => undefined);
  return Array.isArray(role) && typeof role[0] === 'string' ? role[0] : undefined;
}

/** Polls `check` every `everyMs` until it returns true; throws naming `what` after `timeoutMs`. */
export async function pollUntil(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The topology as one node sees it now (CLUSTER NODES), with the lookups tests need. */
export interface LayoutView {
  readonly entries: readonly NodeEntry[];
  readonly primaries: readonly NodeEntry[];
  /** Port of the primary that owns `slot`. */
  ownerPort(slot: number): number;
  /** The replicas following the primary on `primaryPort`. */
  replicasOf(primaryPort: number): NodeEntry[];
  /** The node on `port`. */
  entry(port: number): NodeEntry;
}

export async function layoutOf(port: number, password?: string): Promise<LayoutView> {
  const entries = parseClusterNodes(await cli({ port, password }, 'CLUSTER', 'NODES'));
  const primaries = entries.filter((e) => e.role === 'primary' && e.slots.length > 0);
  const owners = new Int32Array(16384).fill(-1);
  for (const p of primaries) for (const r of p.slots) owners.fill(p.port, r.start, r.end + 1);
  const entry = (p: number): NodeEntry => {
    const found = entries.find((e) => e.port === p);
    if (found === undefined) throw new Error(`layout: no node on port ${p}`);
    return found;
  };
  return {
    entries,
    primaries,
    ownerPort(slot) {
      const owner = owners[slot] ?? -1;
      if (owner < 0) throw new Error(`layout: slot ${slot} has no owner`);
      return owner;
    },
    replicasOf(primaryPort) {
      const id = entry(primaryPort).id;
      return entries.filter((e) => e.primaryId === id);
    },
    entry,
  };
}
