/**
 * The redirect engine without a server: its table (outcomeOf + REDIRECTS), one slot-map update
 * per round however many MOVED it holds, and the bounds. The host is a real SlotMap with a
 * counter on learn(); the lane answers from a table of what each node says.
 */
import { describe, expect, it } from 'vitest';
import { ClusterError, ConnectionError, ReplyError, TimeoutError } from '../../../src/errors.js';
import type { Command } from '../../../src/commands/command.js';
import { followRedirects, outcomeOf, REDIRECTS, type Bounce, type Entry, type Lane, type RedirectHost } from '../../../src/cluster/redirect.js';
import { nodeKey, SlotMap, type NodeAddress, type NodeInfo } from '../../../src/cluster/slot-map.js';
import type { ClusterStats } from '../../../src/cluster/topology.js';
import type { Reply } from '../../../src/cluster/merge.js';

const node = (port: number): NodeInfo => ({ id: `n${port}`, host: '127.0.0.1', port, role: 'primary' });
const A = node(7000);
const B = node(7001);

function host(overrides: Partial<RedirectHost['options']> = {}): RedirectHost & { learned: number } {
  let map = SlotMap.fromRanges([
    { start: 0, end: 8191, shard: { primary: A, replicas: [] } },
    { start: 8192, end: 16383, shard: { primary: B, replicas: [] } },
  ]);
  const stats: ClusterStats = { moved: 0, ask: 0, tryAgain: 0, clusterDown: 0, refreshes: 0, connectionRetries: 0 };
  const h = {
    learned: 0,
    options: { maxRedirections: 16, retryDelay: 50, retryTimeout: 2000, failoverTimeout: 5000, mapAddress: (a: NodeAddress) => a, ...overrides },
    stats,
    get slotMap() {
      return map;
    },
    closed: false,
    learn(moves: ReadonlyArray<{ slot: number } & NodeAddress>) {
      h.learned++;
      map = map.withSlotsMoved(moves);
    },
    refresh: () => Promise.resolve(),
  };
  return h;
}

const get = (slot: number): Entry => ({ cmd: { name: 'GET', args: [`k${slot}`] }, slot });
const lane = (answer: (node: NodeAddress, cmd: Command<unknown>, asking: boolean) => Reply): Lane<Entry> => async (n, entries, asking) =>
  entries.map((e) => answer(n, e.cmd, asking));

describe('the redirect table', () => {
  it('classifies every kind of reply once', () => {
    const e = get(1);
    expect(outcomeOf(new ReplyError('MOVED 1 127.0.0.1:7001'), e)).toBe('moved');
    expect(outcomeOf(new ReplyError('ASK 1 127.0.0.1:7001'), e)).toBe('ask');
    expect(outcomeOf(new ReplyError('ASK 1 127.0.0.1:7001'), { ...e, askable: false })).toBe('ask-unsendable');
    expect(outcomeOf(new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot'), e)).toBe('tryagain');
    expect(outcomeOf(new ReplyError('CLUSTERDOWN The cluster is down'), e)).toBe('clusterdown');
    expect(outcomeOf(new ReplyError('LOADING Redis is loading the dataset in memory'), e)).toBe('loading');
    expect(outcomeOf(new ReplyError("READONLY You can't write against a read only replica."), e)).toBe('readonly');
    expect(outcomeOf(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'), e)).toBe('final');
    expect(outcomeOf(new ConnectionError('gone', 'closed', { written: false }), e)).toBe('lost-unwritten');
    expect(outcomeOf(new ConnectionError('gone', 'closed', { written: true }), e)).toBe('lost-written-read');
    expect(outcomeOf(new ConnectionError('gone', 'closed', { written: true }), { cmd: { name: 'INCR', args: ['k'] }, slot: 1 })).toBe('lost-written');
    expect(outcomeOf(new TimeoutError('slow', 10), e)).toBe('timeout');
    expect(REDIRECTS['lost-written'].next).toBe('final');
    expect(REDIRECTS.timeout.next).toBe('final');
    expect(REDIRECTS.moved.next).toBe('redirect');
  });
});

describe('followRedirects', () => {
  it('applies a burst of 10,000 MOVED with one slot-map update (issue 11 item 14)', async () => {
    const h = host();
    const bounces: Bounce<Entry>[] = [];
    for (let i = 0; i < 10_000; i++) {
      const slot = i % 8192;
      bounces.push({ entry: get(slot), reply: new ReplyError(`MOVED ${slot} 127.0.0.1:7001`), from: A });
    }
    const sentTo = new Map<string, number>();
    const replies = await followRedirects(h, bounces, lane((n) => {
      sentTo.set(nodeKey(n), (sentTo.get(nodeKey(n)) ?? 0) + 1);
      return 'v';
    }));
    expect(h.learned).toBe(1);
    expect(h.stats.moved).toBe(10_000);
    expect(replies.every((r) => r === 'v')).toBe(true);
    expect(Object.fromEntries(sentTo)).toEqual({ '127.0.0.1:7001': 10_000 });
    expect(h.slotMap.primaryOf(0)?.port).toBe(7001);
    expect(h.slotMap.primaryOf(8191)?.port).toBe(7001);
  });

  it('sends ASK with ASKING to the importing node and learns nothing', async () => {
    const h = host();
    const seen: string[] = [];
    const [reply] = await followRedirects(h, [{ entry: get(5), reply: new ReplyError('ASK 5 127.0.0.1:7001'), from: A }], lane((n, _c, asking) => {
      seen.push(`${n.port}${asking ? ' asking' : ''}`);
      return 'v';
    }));
    expect(reply).toBe('v');
    expect(seen).toEqual(['7001 asking']);
    expect(h.learned).toBe(0);
    expect(h.slotMap.primaryOf(5)?.port).toBe(7000);
  });

  it('an empty host in a redirect means the host of the node that sent it', async () => {
    const h = host();
    const seen: string[] = [];
    await followRedirects(h, [{ entry: get(5), reply: new ReplyError('MOVED 5 :7001'), from: A }], lane((n) => {
      seen.push(nodeKey(n));
      return 'v';
    }));
    expect(seen).toEqual(['127.0.0.1:7001']);
    expect(h.slotMap.primaryOf(5)?.host).toBe('127.0.0.1');
  });

  it('never re-sends a write lost after it was written; re-sends a read', async () => {
    const h = host();
    const lost = new ConnectionError('gone', 'closed', { written: true });
    let sends = 0;
    const replies = await followRedirects(
      h,
      [
        { entry: { cmd: { name: 'INCR', args: ['k'] }, slot: 5 }, reply: lost, from: A },
        { entry: get(6), reply: lost, from: A },
      ],
      lane(() => {
        sends++;
        return 'v';
      }),
    );
    expect(replies).toEqual([lost, 'v']);
    expect(sends).toBe(1);
  });

  it('a node answering MOVED to itself fails within the bounds, naming slot, nodes and last reply', async () => {
    const h = host();
    const started = performance.now();
    const [reply] = await followRedirects(h, [{ entry: get(5), reply: new ReplyError('MOVED 5 127.0.0.1:7000'), from: A }], lane(() => new ReplyError('MOVED 5 127.0.0.1:7000')));
    const ms = performance.now() - started;
    expect(reply).toBeInstanceOf(ClusterError);
    expect(String(reply)).toMatch(/GET: slot 5 was redirected more than 16 times \(nodes: 127\.0\.0\.1:7000 → 127\.0\.0\.1:7000/);
    expect(String(reply)).toMatch(/last: MOVED 5/);
    expect((reply as ClusterError).cause).toBeInstanceOf(ReplyError);
    expect(ms).toBeLessThan(2000);
  });

  it('TRYAGAIN from an ASK target: waits and goes back to that target with ASKING, not through the owner (one redirect per wait)', async () => {
    const h = host();
    const sent: string[] = [];
    let tries = 0;
    // A migrating to B: A answers ASK, B (asked) answers TRYAGAIN three times, then serves.
    const answer = lane((n, _cmd, asking) => {
      sent.push(`${asking ? 'ASKING ' : ''}${n.port}`);
      if (n.port === A.port) return new ReplyError(`ASK 5 127.0.0.1:${B.port}`);
      if (!asking) return new ReplyError(`MOVED 5 127.0.0.1:${A.port}`);
      return ++tries <= 3 ? new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot') : 'ok';
    });
    const [reply] = await followRedirects(h, [{ entry: get(5), reply: new ReplyError(`ASK 5 127.0.0.1:${B.port}`), from: A }], answer);
    expect(reply).toBe('ok');
    expect(sent).toEqual(['ASKING 7001', 'ASKING 7001', 'ASKING 7001', 'ASKING 7001']);
    expect(h.stats).toMatchObject({ ask: 1, tryAgain: 3, moved: 0 });
  });

  it('TRYAGAIN stops waiting at retryTimeout', async () => {
    const h = host({ retryTimeout: 300, maxRedirections: 1000 });
    const started = performance.now();
    const [reply] = await followRedirects(h, [{ entry: get(5), reply: new ReplyError('TRYAGAIN x'), from: A }], lane(() => new ReplyError('TRYAGAIN x')));
    const ms = performance.now() - started;
    expect(String(reply)).toMatch(/GET: slot 5 was still redirected after \d+ ms \(retryTimeout 300 ms\)/);
    expect(ms).toBeLessThan(800);
    expect(h.stats.tryAgain).toBeGreaterThan(2);
  });
});
