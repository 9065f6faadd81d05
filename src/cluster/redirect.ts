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
 *   LOADING                          the slot's owner again                        yes   -        tryAgain
 *   CLUSTERDOWN, MASTERDOWN          the owner after a refresh                     yes   yes      clusterDown / tryAgain
 *   READONLY (failover happened)     the owner after a refresh                     yes   yes      connectionRetries
 *   connection lost, not written     the owner after a refresh (safe anywhere)     yes   yes      connectionRetries
 *   connection lost after the write  again only if the command is read-only, else final
 *   timeout, anything else           final: the caller gets the reply
 *   (1) only when sent back to a node this entry already visited: two nodes disagree
 *
 * Bounds per call: at most `maxRedirections` further attempts, and no wait that would end after
 * `retryTimeout` ms from the first redirect; then the entry gets a ClusterError naming the
 * command, the slot, the nodes tried and the last reply (also as `cause`).
 */
import { ClusterError, ConnectionError, ReplyError, TimeoutError } from '../errors.js';
import type { Command } from '../commands/command.js';
import { isReadOnly } from '../commands/keys.js';
import type { Reply } from './merge.js';
import type { ResolvedClusterOptions } from './options.js';
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
  | 'timeout';

interface Rule {
  /** final: hand the reply over; redirect: the address in the reply; owner: the slot's owner now. */
  readonly next: 'final' | 'redirect' | 'owner';
  readonly wait: boolean;
  readonly refresh: boolean;
  readonly stat?: keyof ClusterStats;
}

const FINAL: Rule = { next: 'final', wait: false, refresh: false };
const reroute = (stat: keyof ClusterStats): Rule => ({ next: 'owner', wait: true, refresh: true, stat });

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
  'lost-unwritten': reroute('connectionRetries'),
  'lost-written-read': reroute('connectionRetries'),
  'lost-written': FINAL,
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
  readonly options: Pick<ResolvedClusterOptions, 'maxRedirections' | 'retryDelay' | 'retryTimeout' | 'mapAddress'>;
  readonly stats: ClusterStats;
  readonly slotMap: SlotMap;
  readonly closed: boolean;
  /** Applies every MOVED of one round at once. */
  learn(moves: ReadonlyArray<{ readonly slot: number } & NodeAddress>): void;
  refresh(): Promise<void>;
}

export function outcomeOf(reply: unknown, entry: Entry): Outcome {
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
    // Refused credentials are final: no topology change makes a wrong password right. Back-pressure,
    // a full queue and a closed client are the caller's own limits.
    if (reply.reason === 'handshake' && reply.cause instanceof ReplyError && reply.cause.kind === 'auth') return 'final';
    if (reply.reason === 'backpressure' || reply.reason === 'offline-queue-full' || reply.reason === 'client-closed') return 'final';
    if (!reply.written) return 'lost-unwritten';
    return isReadOnly(entry.cmd.name, entry.cmd.args) ? 'lost-written-read' : 'lost-written';
  }
  if (reply instanceof TimeoutError) return 'timeout';
  return 'final';
}

/** The engine's only backoff: 1, 2, 4 … × retryDelay, at most MAX_WAIT ms. */
export function backoff(base: number, attempt: number): number {
  return Math.min(MAX_WAIT, base * 2 ** Math.min(Math.max(attempt - 1, 0), 10));
}

/** Polling a migrating slot or a failing node more often gains nothing; less often delays service. */
const MAX_WAIT = 100;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Track<E extends Entry> {
  readonly index: number;
  readonly entry: E;
  reply: Reply;
  /** Where the last attempt went; the first is where the call started. */
  readonly visited: NodeAddress[];
  node: NodeAddress | undefined;
  asking: boolean;
}

/**
 * Follows every bounce until it gets a final reply or its budget runs out. Resolves with one
 * reply per bounce, in order; never rejects.
 */
export async function followRedirects<E extends Entry>(host: RedirectHost, bounces: readonly Bounce<E>[], lane: Lane<E>): Promise<Reply[]> {
  const { maxRedirections, retryDelay, retryTimeout } = host.options;
  const started = Date.now();
  const out = new Array<Reply>(bounces.length);
  let round: Track<E>[] = bounces.map((b, index) => ({ index, entry: b.entry, reply: b.reply, visited: [b.from], node: undefined, asking: false }));
  let waits = 0;
  for (let attempt = 1; round.length > 0; attempt++) {
    const moves: Array<{ slot: number } & NodeAddress> = [];
    let wait = false;
    let refresh = false;
    const next: Track<E>[] = [];
    for (const t of round) {
      const rule = REDIRECTS[outcomeOf(t.reply, t.entry)];
      if (rule.next === 'final' || host.closed) {
        out[t.index] = t.reply;
        continue;
      }
      if (attempt > maxRedirections) {
        out[t.index] = exhausted(t, `was redirected more than ${maxRedirections} times`);
        continue;
      }
      if (rule.stat !== undefined) host.stats[rule.stat]++;
      t.asking = false;
      t.node = undefined;
      if (rule.next === 'redirect') {
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
      const ms = backoff(retryDelay, ++waits);
      if (Date.now() + ms - started > retryTimeout) {
        for (const t of next) out[t.index] = exhausted(t, `was still redirected after ${Date.now() - started} ms (retryTimeout ${retryTimeout} ms)`);
        break;
      }
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
      out[t.index] = new ClusterError(`${t.entry.cmd.name}: slot ${t.entry.slot} has no known owner; the slot map is incomplete`, { cause: t.reply });
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

function exhausted<E extends Entry>(t: Track<E>, what: string): ClusterError {
  const slot = t.entry.slot >= 0 ? `slot ${t.entry.slot}` : 'a keyless command';
  const last = t.reply instanceof Error ? t.reply.message : String(t.reply);
  return new ClusterError(`${t.entry.cmd.name}: ${slot} ${what} (nodes: ${t.visited.map(nodeKey).join(' → ')}); last: ${last}`, { cause: t.reply });
}
