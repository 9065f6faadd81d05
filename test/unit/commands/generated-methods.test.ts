/**
 * Issue 14 item 4: every command the servers report has a typed method, hand-written or
 * generated (scripts/gen-methods.ts), except those refused on a shared connection.
 */
import { describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { Cluster } from '../../../src/cluster/cluster.js';
import { Pipeline } from '../../../src/batch/builders.js';
import { COMMANDS } from '../../../src/commands/table.generated.js';
import { GENERATED_COMMANDS } from '../../../src/commands/methods.generated.js';
import { commandRefusal } from '../../../src/commands/connection-state.js';
import { command } from '../../../src/commands/command.js';

const camel = (id: string): string =>
  id
    .split(/[|\-_ ]+/)
    .map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1)))
    .join('');

/** Commands that are refused on a shared connection, or whose job an option does. */
function refused(id: string): boolean {
  const [name, sub] = id.toUpperCase().split('|') as [string, string | undefined];
  if (name === 'HELLO') return true;
  return commandRefusal(command(name, sub === undefined ? [] : [sub]), 'cluster') !== undefined;
}

describe('issue 14 item 4: every command typed', () => {
  const ids = COMMANDS.map((row) => row[0]);
  const containers = new Set(ids.filter((id) => id.includes('|')).map((id) => id.split('|')[0]!));
  const wanted = ids.filter((id) => !containers.has(id) && !id.endsWith('|help') && !refused(id));

  it('the command table is the real server list (hundreds of commands, with subcommands)', () => {
    expect(wanted.length).toBeGreaterThan(300);
    expect(wanted).toContain('object|encoding');
  });

  it.each([
    ['Client', Client.prototype],
    ['Cluster', Cluster.prototype],
    ['Pipeline', Pipeline.prototype],
  ] as const)('%s has a method for every command the server reports', (_name, proto) => {
    const missing = wanted.filter((id) => typeof (proto as unknown as Record<string, unknown>)[camel(id)] !== 'function');
    expect(missing).toEqual([]);
  });

  it('no command refused on a shared connection got a generated method', () => {
    expect(GENERATED_COMMANDS.filter(refused)).toEqual([]);
    for (const name of ['select', 'subscribe', 'monitor', 'hello', 'multi', 'clientReply']) {
      expect(GENERATED_COMMANDS).not.toContain(name);
    }
  });
});
