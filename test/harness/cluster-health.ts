/**
 * Pure checks of a cluster's health from what each node says about it (CLUSTER INFO,
 * CLUSTER NODES, ROLE): parse CLUSTER NODES and decide whether every running node agrees on
 * one topology that serves all slots. No I/O here, so the rules stay readable in one place.
 *
 * Healthy means, for the nodes whose process is running:
 *   - each reports cluster_state:ok;
 *   - each lists every running node once, none flagged fail, fail?, handshake or noaddr,
 *     and its links to them are connected;
 *   - all views are identical (role, primary, slot ranges per node);
 *   - the running primaries own all 16384 slots exactly once;
 *   - every running replica follows a running primary with its replication link up;
 *   - when a layout is expected (all nodes running): that many primaries, each with that
 *     many replicas.
 */
import type { ProbeReply } from './probe.js';

export const SLOT_COUNT = 16384;

export interface SlotRange {
  start: number;
  end: number;
}

export interface NodeEntry {
  id: string;
  port: number;
  role: 'primary' | 'replica';
  primaryId: string | null;
  flags: readonly string[];
  myself: boolean;
  connected: boolean;
  slots: readonly SlotRange[];
}

/** What one node said about the cluster in one round trip. */
export interface NodeView {
  port: number;
  stateOk: boolean;
  entries: readonly NodeEntry[];
  role: ProbeReply;
}

export interface Layout {
  primaries: number;
  replicasPerPrimary: number;
}

const BAD_FLAGS = new Set(['fail', 'fail?', 'handshake', 'noaddr']);

/** CLUSTER NODES: `<id> <ip:port@bus[,host]> <flags> <primary|-> <ping> <pong> <epoch> <link> <slot>...` */
export function parseClusterNodes(text: string): NodeEntry[] {
  const entries: NodeEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const [id, address, flagText, primary, , , , link, ...slotFields] = fields as [string, string, string, string, ...string[]];
    const hostPort = address.split('@')[0] ?? '';
    const port = Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
    const flags = flagText.split(',');
    const slots: SlotRange[] = [];
    for (const field of slotFields) {
      // "[slot->-id]" / "[slot-<-id]" are migrations in progress, not ownership.
      if (field.startsWith('[')) continue;
      const [start, end = start] = field.split('-');
      slots.push({ start: Number(start), end: Number(end) });
    }
    entries.push({
      id,
      port,
      role: flags.includes('slave') ? 'replica' : 'primary',
      primaryId: primary === '-' ? null : primary,
      flags,
      myself: flags.includes('myself'),
      connected: link === 'connected',
      slots,
    });
  }
  return entries;
}

/** cluster_state from CLUSTER INFO text. */
export function clusterStateOk(info: string): boolean {
  return /^cluster_state:ok\r?$/m.test(info);
}

function describeView(view: NodeView, running: ReadonlySet<number>): string {
  const byId = new Map(view.entries.map((e) => [e.id, e.port]));
  return view.entries
    .filter((e) => running.has(e.port))
    .map((e) => {
      const primaryPort = e.primaryId === null ? '-' : String(byId.get(e.primaryId) ?? '?');
      const slots = e.slots.map((r) => `${r.start}-${r.end}`).join(',');
      return `${e.port} ${e.role} ${primaryPort} ${slots}`;
    })
    .sort()
    .join('; ');
}

/** Undefined when healthy, else the first problem found (for the timeout message). */
export function healthProblem(views: readonly NodeView[], layout?: Layout): string | undefined {
  if (views.length === 0) return 'no running node';
  const running = new Set(views.map((v) => v.port));
  for (const view of views) {
    if (!view.stateOk) return `node ${view.port}: cluster_state is not ok`;
    for (const port of running) {
      const listed = view.entries.filter((e) => e.port === port);
      if (listed.length !== 1) return `node ${view.port} lists node ${port} ${listed.length} times`;
      const entry = listed[0] as NodeEntry;
      const bad = entry.flags.find((f) => BAD_FLAGS.has(f));
      if (bad !== undefined) return `node ${view.port} flags node ${port} as ${bad}`;
      if (!entry.myself && !entry.connected) return `node ${view.port} has no link to node ${port}`;
    }
  }
  const first = views[0] as NodeView;
  const reference = describeView(first, running);
  for (const view of views) {
    const seen = describeView(view, running);
    if (seen !== reference) return `nodes ${first.port} and ${view.port} disagree: [${reference}] vs [${seen}]`;
  }

  const entries = first.entries.filter((e) => running.has(e.port));
  const byId = new Map(entries.map((e) => [e.id, e]));
  const owned = new Uint8Array(SLOT_COUNT);
  for (const entry of entries) {
    for (const { start, end } of entry.slots) {
      for (let slot = start; slot <= end && slot < SLOT_COUNT; slot++) {
        if (entry.role !== 'primary' || owned[slot] === 1) return `slot ${slot} is owned twice or by a replica`;
        owned[slot] = 1;
      }
    }
  }
  const missing = owned.indexOf(0);
  if (missing >= 0) return `slot ${missing} is not served by a running primary`;

  for (const entry of entries.filter((e) => e.role === 'replica')) {
    const primary = entry.primaryId === null ? undefined : byId.get(entry.primaryId);
    if (primary === undefined || primary.role !== 'primary') return `replica ${entry.port} follows no running primary`;
    const role = views.find((v) => v.port === entry.port)?.role;
    // ROLE on a replica: ["slave", host, primaryPort, "connected" | "connecting" | "sync" | ..., offset]
    if (!Array.isArray(role) || role[0] !== 'slave' || Number(role[2]) !== primary.port || role[3] !== 'connected') {
      return `replica ${entry.port} has no replication link up to ${primary.port}`;
    }
  }

  if (layout !== undefined) {
    const primaries = entries.filter((e) => e.role === 'primary');
    if (primaries.length !== layout.primaries) return `${primaries.length} primaries, expected ${layout.primaries}`;
    for (const primary of primaries) {
      const count = entries.filter((e) => e.primaryId === primary.id).length;
      if (count !== layout.replicasPerPrimary) {
        return `primary ${primary.port} has ${count} replicas, expected ${layout.replicasPerPrimary}`;
      }
    }
  }
  return undefined;
}
