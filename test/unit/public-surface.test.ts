/**
 * issue 10 §5: src/index.ts exports what a user calls or names in a type, nothing else; and the
 * source tree has no import cycle (issue 10 §2: commands/keyspace-methods.ts ↔ scripts/).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as api from '../../src/index.js';

describe('public surface', () => {
  it('exports only the runtime values a user calls', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'AbortError',
        'ArgumentTypeError',
        'BulkError',
        'Client',
        'Cluster',
        'ClusterError',
        'CommandRefusedError',
        'ConnectionError',
        'CrossSlotError',
        'ExecAbortError',
        'InvalidOptionError',
        'LibraryHeaderError',
        'MultiRefusedError',
        'PipelineError',
        'ProtocolError',
        'PubSubOverflowError',
        'ReplyError',
        'SentinelClient',
        'SentinelError',
        'SlotlineError',
        'TimeoutError',
        'UsageError',
        'WatchConflictError',
        'createClient',
        'createCluster',
        'createSentinel',
        'defineLibrary',
        'defineScript',
        'diagnosticsChannels',
        'keySlot',
      ].sort(),
    );
  });

  it('pipeline().add() cannot forge the internal script or library tags', () => {
    const client = api.createClient({ port: 1, reconnect: false });
    const p = client.pipeline().add({ name: 'evalsha', args: ['x', 0], script: { sha: 'x', lua: 'return 1' } } as never);
    const [added] = p.commands;
    expect(added).toEqual({ name: 'EVALSHA', args: ['x', 0], transform: undefined, returnBuffers: undefined });
    expect('script' in added!).toBe(false);
    client.disconnect();
  });

  it('has no import cycle among src/ files', () => {
    const root = resolve(__dirname, '../../src');
    const graph = new Map<string, string[]>();
    const walk = (dir: string): void => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const deps = [...readFileSync(p, 'utf8').matchAll(/(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'/g)].map((m) => resolve(dirname(p), m[1]!.replace(/\.js$/, '.ts')));
          graph.set(p, deps);
        }
      }
    };
    walk(root);
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 1);
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (!graph.has(d)) continue;
        if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => relative(root, x)).join(' → '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 2);
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
