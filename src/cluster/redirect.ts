/**
 * The cluster's one redirect engine: after the first attempt of any cluster path (a single
 * command, pipeline entries, a MULTI block, a script, a blocking command, a WATCH attempt), every
 * reply that is not final comes here, and one table decides what happens next. Attempts run in
 * rounds: all entries of a round are decided together, every MOVED of the round is applied with
 * ONE slot-map update, the round waits at most once, then the entries go out grouped per node.
 * Must not import sockets; a path supplies a `Lane` that sends entries to one node.
 *
 *   outcome of a reply               next                                        wait  refresh  stat
 *   MOVED slot host:port             learn, go to host:port                       (1)   soon     moved
 *   ASK slot host:port               ASKING + command at host:port, map unchanged  -     -        ask
 *   ASK, entry cannot carry ASKING   the slot's owner again, until the slot moved  yes   -        ask
 *   (a WATCH attempt: ASKING would be needed before every command of the callback)
 *   TRYAGAIN                         the slot's owner again                        yes   -        tryAgain
 *   TRYAGAIN from an ASK target      the same target with ASKING again (2)          yes   -        tryAgain
 *   LOADING                          the slot's owner again                        yes   -        tryAgain
 *   CLUSTERDOWN, MASTERDOWN          the owner after a refresh                     yes   yes      clusterDown / tryAgain
 *   READONLY (failover happened)     the owner after a refresh                     yes   yes      connectionRetries
 *   connection lost, not written     the owner after a refresh (safe anywhere)     yes   yes      connectionRetries
 *   connection lost after the write  again only if the command is read-only, else final
 *   no owner: shard failing over      the owner after a refresh                     yes   yes      clusterDown
 *   (listed, no online primary)
 *   no owner: slot uncovered          the owner after a refresh                     yes   yes      clusterDown
 *   (outage rows: connection lost, no owner — the call waits for the shard, see below)
 *   timeout, anything else           final: the caller gets the reply
 *   (1) only when sent back to a node this entry already visited: two nodes disagree
 *   (2) a multi-key command (MULTI block, script) whose keys are split between the two nodes of
 *       a migrating slot, or that creates a key there: the owner would only answer ASK again,
 *       so one wait costs one redirect, not two, and retryTimeout bounds it as documented
 *
 * Bounds per call: at most `maxRedirections` redirects (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, …),
 * and no wait that would end after `retryTimeout` ms from the first redirect; a shard that cannot
 * serve (its node unreachable, or no serving primary listed while it fails over) is waited for
 * up to `failoverTimeout` ms without spending redirects. Then the entry gets a ClusterError
 * naming the command, the slot, the nodes tried and the last reply (also as `cause`).
 */
import { ClusterError, ConnectionError, ReplyError, TimeoutError } from '../errors.js';
import type { Command } from '../commands/command.js';
import { isReadOnly } from '../commands/keys.js';
import type { Reply } from './merge.js';
import type { ResolvedClusterOptions } from './options.js';
import { backoffDelay } from '../connection/options.js';
import { nodeKey, type NodeAddress, type SlotMap } from './slot-map.js';
import type { ClusterStats } from './topology.js';

export type Outcome =
  | 'final'
  | 'moved'
  | 'ask'
  | 'ask-unsendable'
  | 'tryagain'
  | 'loading'
  | 'clusterdown'
  | 'masterdown'
  | 'readonly'
  | 'lost-unwritten'
  | 'lost-written-read'
  | 'lost-written'
  | 'no-owner'
  | 'uncovered'
  | 'timeout';

interface Rule {
  /** final: hand the reply over; redirect: the address in the reply; owner: the slot's owner now. */
  readonly next: 'final' | 'redirect' | 'owner';
  readonly wait: boolean;
  readonly refresh: boolean;
  readonly stat?: keyof ClusterStats;
  /**
   * The shard cannot serve now (node unreachable, no serving primary): the call waits for the
   * cluster to heal, bounded by failoverTimeout, without spending maxRedirections.
   */
  readonly outage?: true;
}

const FINAL: Rule = { next: 'final', wait: false, refresh: false };
const reroute = (stat: keyof ClusterStats): Rule => ({ next: 'owner', wait: true, refresh: true, stat });
const outage = (stat: keyof ClusterStats): Rule => ({ ...reroute(stat), outage: true });

export const REDIRECTS: Readonly<Record<Outcome, Rule>> = {
  final: FINAL,
  moved: { next: 'redirect', wait: false, refresh: false, stat: 'moved' },
  ask: { next: 'redirect', wait: false, refresh: false, stat: 'ask' },
  'ask-unsendable': { next: 'owner', wait: true, refresh: false, stat: 'ask' },
  tryagain: { next: 'owner', wait: true, refresh: false, stat: 'tryAgain' },
  loading: { next: 'owner', wait: true, refresh: false, stat: 'tryAgain' },
  clusterdown: reroute('clusterDown'),
  masterdown: reroute('tryAgain'),
  readonly: reroute('connectionRetries'),
  'lost-unwritten': outage('connectionRetries'),
  'lost-written-read': outage('connectionRetries'),
  'lost-written': FINAL,
  'no-owner': outage('clusterDown'),
  uncovered: reroute('clusterDown'),
  timeout: FINAL,
};

/** One thing sent to one node at a time: a command, a pipeline entry, a MULTI block, a WATCH attempt. */
export interface Entry {
  /** Named in errors; its read-only flag decides whether a lost write may be sent again. */
  readonly cmd: Command<unknown>;
  /** The slot it was routed by; -1 for a keyless entry bound to its node (a fan-out part). */
  readonly slot: number;
  /** false: ASK cannot be honoured (a WATCH conversation spans round trips); wait instead. */
  readonly askable?: boolean;
}

/** Sends entries to one node, each after its own ASKING when `asking`; one reply per entry, never rejects. */
export type Lane<E extends Entry> = (node: NodeAddress, entries: readonly E[], asking: boolean) => Promise<Reply[]>;

/** An entry whose first reply was not final, and the node that gave it. */
export interface Bounce<E extends Entry> {
  readonly entry: E;
  readonly reply: Reply;
  readonly from: NodeAddress;
}

/** What the engine needs of the topology (Topology has it all). */
export interface RedirectHost {
  readonly options: Pick<ResolvedClusterOptions, 'maxRedirections' | 'retryDelay' | 'retryTimeout' | 'failoverTimeout' | 'mapAddress'>;
  readonly stats: ClusterStats;
  readonly slotMap: SlotMap;
  readonly closed: boolean;
  /** Applies every MOVED of one round at once. */
  learn(moves: ReadonlyArray<{ readonly slot: number } & NodeAddress>): void;
  refresh(): Promise<void>;
}

export function outcomeOf(reply: unknown, entry: Entry): Outcome {
  // Nearly every reply of a batch is a value: one test instead of five.
  if (!(reply instanceof Error)) return 'final';
  if (reply instanceof ReplyError) {
    switch (reply.kind) {
      case 'moved':
        return reply.redirect === undefined ? 'final' : 'moved';
      case 'ask':
        if (reply.redirect === undefined) return 'final';
        return entry.askable === false ? 'ask-unsendable' : 'ask';
      case 'tryagain':
      case 'loading':
      case 'clusterdown':
      case 'masterdown':
      case 'readonly':
        return reply.kind;
      default:
        return 'final';
    }
  }
  if (reply instanceof ConnectionError) {
    // Refused credentials are final: no topology change makes a wrong password right. Back-pressure
    // and a full queue are the caller's own limits. A node connection closed unwritten is not
    // (a refresh dropped the node): the engine stops anyway once the client itself is closed.
    if (reply.reason === 'handshake' && reply.cause instanceof ReplyError && reply.cause.kind === 'auth') return 'final';
    if (reply.reason === 'backpressure' || reply.reason === 'offline-queue-full') return 'final';
    if (!reply.written) return 'lost-unwritten';
    return isReadOnly(entry.cmd.name, entry.cmd.args) ? 'lost-written-read' : 'lost-written';
  }
  if (reply instanceof TimeoutError) return 'timeout';
  if (reply instanceof ClusterError && reply.reason === 'failing-over') return 'no-owner';
  if (reply instanceof ClusterError && reply.reason === 'no-owner') return 'uncovered';
  return 'final';
}

/** Polling a migrating slot or a failing node more often gains nothing; less often delays service. */
const MAX_WAIT = 100;

/** The wait before round `waits` (1-based): retryDelay × 1, 2, 4 …, at most MAX_WAIT, no jitter. */
function waitOf(retryDelay: number, waits: number): number {
  return backoffDelay({ initialDelay: retryDelay, maxDelay: MAX_WAIT, jitter: 0 }, waits - 1);
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Track<E extends Entry> {
  readonly index: number;
  readonly entry: E;
  reply: Reply;
  /** Where the last attempt went; the first is where the call started. */
  readonly visited: NodeAddress[];
  node: NodeAddress | undefined;
  asking: boolean;
  /** Attempts that spent the redirect budget. */
  redirects: number;
  /** The last decision was an outage row: failoverTimeout bounds the wait, not retryTimeout. */
  outage: boolean;
}

/**
 * Follows every bounce until it gets a final reply or its budget runs out. Resolves with one
 * reply per bounce, in order; never rejects.
 */
export async function followRedirects<E extends Entry>(host: RedirectHost, bounces: readonly Bounce<E>[], lane: Lane<E>): Promise<Reply[]> {
  const { maxRedirections, retryDelay, retryTimeout, failoverTimeout } = host.options;
  const started = Date.now();
  const out = new Array<Reply>(bounces.length);
  let round: Track<E>[] = bounces.map((b, index) => ({ index, entry: b.entry, reply: b.reply, visited: [b.from], node: undefined, asking: false, redirects: 0, outage: false }));
  let waits = 0;
  while (round.length > 0) {
    const moves: Array<{ slot: number } & NodeAddress> = [];
    let wait = false;
    let refresh = false;
    const next: Track<E>[] = [];
    for (const t of round) {
      const outcome = outcomeOf(t.reply, t.entry);
      const rule = REDIRECTS[outcome];
      if (rule.next === 'final' || host.closed) {
        out[t.index] = t.reply;
        continue;
      }
      t.outage = rule.outage === true;
      if (!t.outage && ++t.redirects > maxRedirections) {
        out[t.index] = exhausted(t, `was redirected more than ${maxRedirections} times`);
        continue;
      }
      if (rule.stat !== undefined) host.stats[rule.stat]++;
      const askedBefore = t.asking;
      t.asking = false;
      t.node = undefined;
      if (askedBefore && outcome === 'tryagain') {
        t.node = t.visited[t.visited.length - 1];
        t.asking = true;
        wait = true;
      } else if (rule.next === 'redirect') {
        const error = t.reply as ReplyError;
        const to = error.redirect!;
        // An empty or unknown host means the host of the node that answered (cluster spec).
        const raw = { host: to.host === '' || to.host === '?' ? t.visited[t.visited.length - 1]!.host : to.host, port: to.port };
        t.node = host.options.mapAddress(raw);
        if (error.kind === 'moved') {
          moves.push({ slot: to.slot, ...raw });
          if (t.visited.some((v) => nodeKey(v) === nodeKey(t.node!))) wait = true;
        } else {
          t.asking = true;
        }
      } else {
        wait ||= rule.wait;
        refresh ||= rule.refresh;
      }
      next.push(t);
    }
    if (moves.length > 0) host.learn(moves);
    if (next.length === 0) break;
    if (wait) {
      const ms = waitOf(retryDelay, ++waits);
      const ends = Date.now() + ms - started;
      const going = next.filter((t) => {
        const cap = t.outage ? failoverTimeout : retryTimeout;
        if (ends <= cap) return true;
        const what = t.outage ? `could not be served for ${Date.now() - started} ms (failoverTimeout ${cap} ms)` : `was still redirected after ${Date.now() - started} ms (retryTimeout ${cap} ms)`;
        out[t.index] = exhausted(t, what);
        return false;
      });
      if (going.length === 0) break;
      next.length = 0;
      next.push(...going);
      await delay(ms);
    }
    if (refresh) await host.refresh().catch(() => undefined);
    round = await send(host, next, lane, out);
  }
  return out;
}

/** Sends a round, grouped by node and ASKING; returns the entries that got a new reply. */
async function send<E extends Entry>(host: RedirectHost, tracks: Track<E>[], lane: Lane<E>, out: Reply[]): Promise<Track<E>[]> {
  const groups = new Map<string, { node: NodeAddress; asking: boolean; tracks: Track<E>[] }>();
  const sent: Track<E>[] = [];
  for (const t of tracks) {
    if (host.closed) {
      out[t.index] = t.reply;
      continue;
    }
    // A keyless entry stays with its node (a fan-out part answers for that node).
    const node = t.node ?? (t.entry.slot >= 0 ? host.slotMap.primaryOf(t.entry.slot) : t.visited[t.visited.length - 1]);
    if (node === undefined) {
      // Its shard lists no serving primary (failing over) or the map has a hole: the next round
      // waits and refreshes, within the same bounds as any redirect.
      t.reply = noOwner(t.entry.cmd.name, t.entry.slot, host.slotMap.isFailingOver(t.entry.slot), t.reply);
      sent.push(t);
      continue;
    }
    t.visited.push(node);
    const key = (t.asking ? 'ask ' : '') + nodeKey(node);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { node, asking: t.asking, tracks: [] }));
    group.tracks.push(t);
    sent.push(t);
  }
  await Promise.all(
    [...groups.values()].map(async (g) => {
      const replies = await lane(
        g.node,
        g.tracks.map((t) => t.entry),
        g.asking,
      );
      g.tracks.forEach((t, j) => (t.reply = replies[j]!));
    }),
  );
  return sent;
}

export function noOwner(command: string, slot: number, failingOver: boolean, cause?: unknown): ClusterError {
  return failingOver
    ? new ClusterError(`${command}: slot ${slot} has no serving primary: its shard is failing over`, { cause, reason: 'failing-over' })
    : new ClusterError(`${command}: slot ${slot} is not served by any node (uncovered)`, { cause, reason: 'no-owner' });
}

/**
 * One wait of the engine's backoff, then a refresh; false (without waiting) when the wait would
 * end more than the bound after `started` — failoverTimeout while some shard is failing over,
 * else retryTimeout (an uncovered slot) — or the client is closed.
 */
export async function waitAndRefresh(host: RedirectHost, started: number, waits: number): Promise<boolean> {
  const ms = waitOf(host.options.retryDelay, waits);
  const cap = host.slotMap.failingOver ? host.options.failoverTimeout : host.options.retryTimeout;
  if (host.closed || Date.now() + ms - started > cap) return false;
  await delay(ms);
  await host.refresh().catch(() => undefined);
  return true;
}

/** The slot's owner, waiting and refreshing while none is known; undefined once the bound is reached. */
export async function awaitOwner(host: RedirectHost, slot: number): Promise<NodeAddress | undefined> {
  const started = Date.now();
  for (let waits = 1; host.slotMap.primaryOf(slot) === undefined; waits++) {
    if (!(await waitAndRefresh(host, started, waits))) return undefined;
  }
  return host.slotMap.primaryOf(slot);
}

function exhausted<E extends Entry>(t: Track<E>, what: string): ClusterError {
  const slot = t.entry.slot >= 0 ? `slot ${t.entry.slot}` : 'a keyless command';
  const last = t.reply instanceof Error ? t.reply.message : String(t.reply);
  return new ClusterError(`${t.entry.cmd.name}: ${slot} ${what} (nodes: ${t.visited.map(nodeKey).join(' → ')}); last: ${last}`, {
    cause: t.reply,
    reason: t.reply instanceof ClusterError && (t.reply.reason === 'no-owner' || t.reply.reason === 'failing-over') ? t.reply.reason : 'redirects',
  });
}
