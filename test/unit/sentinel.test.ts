/**
 * The pure parts of createSentinel: option validation (what goes to the sentinels, what to the
 * data nodes, what is refused) and the readers of the sentinels' replies in both RESP shapes.
 */
import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { InvalidOptionError } from '../../src/errors.js';
import { createSentinel } from '../../src/index.js';
import { sentinelSettings, type SentinelOptions } from '../../src/sentinel/options.js';
import { readHealthyReplicas, readInstanceEvent, readMasterAddr, readMessage, readRole, readSubscribed, readSwitchMaster } from '../../src/sentinel/ask.js';

describe('sentinel options', () => {
  const base = { sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster' };

  it('splits credentials: sentinelPassword to the sentinels, password to the data nodes', () => {
    const s = sentinelSettings({ ...base, password: 'data', username: 'app', sentinelPassword: 'sent', sentinelUsername: 'watcher', db: 2 });
    expect(s.sentinel).toMatchObject({ username: 'watcher', password: 'sent', reconnect: false });
    expect(s.data).toEqual({ password: 'data', username: 'app', db: 2 });
    expect(s.role).toBe('primary');
    expect(s.sentinels).toEqual([{ host: '127.0.0.1', port: 26379 }]);
  });

  it.each<[string, unknown]>([
    ['sentinels', { name: 'm', sentinels: [] }],
    ['sentinels', { name: 'm', sentinels: [{ port: 0 }] }],
    ['sentinels', { name: 'm', sentinels: [{ host: 1, port: 26379 }] }],
    ['name', { sentinels: [{ port: 26379 }], name: '' }],
    ['role', { ...base, role: 'leader' }],
    ['host', { ...base, host: '10.0.0.1' }],
    ['port', { ...base, port: 6379 }],
  ])('refuses a bad %s', (option, input) => {
    let thrown: unknown;
    try {
      sentinelSettings(input as SentinelOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).option).toBe(option);
  });

  it('keeps both passwords out of the inspected client', () => {
    const client = createSentinel({ ...base, password: 'data-pw-1', sentinelPassword: 'sentinel-pw-2' });
    const shown = inspect(client, { depth: 10, showHidden: true });
    expect(shown).not.toContain('data-pw-1');
    expect(shown).not.toContain('sentinel-pw-2');
    client.disconnect();
  });
});

describe('sentinel replies', () => {
  it('reads GET-MASTER-ADDR-BY-NAME', () => {
    expect(readMasterAddr(['127.0.0.1', '6380'])).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(readMasterAddr(null)).toBeNull();
    expect(readMasterAddr(['127.0.0.1'])).toBeUndefined();
    expect(readMasterAddr(['127.0.0.1', 'x'])).toBeUndefined();
  });

  it('keeps only replicas that are up and linked, from RESP2 arrays and RESP3 maps', () => {
    const up = ['ip', '127.0.0.1', 'port', '7001', 'flags', 'slave', 'master-link-status', 'ok'];
    const down = ['ip', '127.0.0.1', 'port', '7002', 'flags', 'slave,s_down', 'master-link-status', 'ok'];
    const unlinked = { ip: '127.0.0.1', port: '7003', flags: 'slave', 'master-link-status': 'err' };
    const mapped = new Map([['ip', '127.0.0.1'], ['port', '7004'], ['flags', 'slave'], ['master-link-status', 'ok']]);
    expect(readHealthyReplicas([up, down, unlinked, mapped])).toEqual([
      { host: '127.0.0.1', port: 7001 },
      { host: '127.0.0.1', port: 7004 },
    ]);
    expect(readHealthyReplicas(null)).toEqual([]);
  });

  it('reads ROLE, messages, +switch-master and instance events for its own name only', () => {
    expect(readRole(['master', 10, []])).toBe('master');
    expect(readRole('x')).toBeUndefined();
    expect(readSubscribed(['subscribe', '+switch-master', 1])).toBe('+switch-master');
    expect(readMessage(['message', '+switch-master', 'm 1 2 3 4'])).toEqual({ channel: '+switch-master', payload: 'm 1 2 3 4' });
    expect(readMessage(['subscribe', '+switch-master', 1])).toBeUndefined();
    const payload = 'mymaster 127.0.0.1 6379 127.0.0.1 6380';
    expect(readSwitchMaster(payload, 'mymaster')).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(readSwitchMaster(payload, 'other')).toBeUndefined();
    const promoting = 'slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379';
    expect(readInstanceEvent(promoting, 'mymaster')).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(readInstanceEvent(promoting, 'other')).toBeUndefined();
    expect(readInstanceEvent(payload, 'mymaster')).toBeUndefined();
  });
});
