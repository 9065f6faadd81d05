/**
 * What differs between the servers slotline supports, measured on the server of this pass
 * (`npm test` runs once on Redis 7 and once on Valkey 8). docs/compatibility.md lists these;
 * a server that answers otherwise fails here, so the table cannot go stale unnoticed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../src/index.js';
import { standaloneTarget } from '../harness/context.js';
import { defaultFlavour } from '../harness/servers.js';

const flavour = defaultFlavour();

describe(`server facts (${flavour})`, () => {
  let client: Client;
  beforeAll(async () => {
    client = await createClient(standaloneTarget()).connect();
  });
  afterAll(async () => {
    await client?.close();
  });

  it('HELLO names the server and its major version', async () => {
    const hello = (await client.call('HELLO', '3')) as Record<string, unknown>;
    expect(hello['server']).toBe(flavour);
    expect(String(hello['version'])).toMatch(flavour === 'redis' ? /^7\./ : /^8\./);
    expect(client.protocol).toBe(3);
  });

  it('availability-zone is a setting on Valkey 8 only', async () => {
    const reply = await client.call('CONFIG', 'GET', 'availability-zone');
    const names = reply instanceof Map ? [...reply.keys()] : Array.isArray(reply) ? reply.filter((_, i) => i % 2 === 0) : Object.keys(reply as object);
    expect(names.includes('availability-zone')).toBe(flavour === 'valkey');
  });

  it('a RESP3 double, big number and verbatim string arrive the same way', async () => {
    expect(await client.call('DEBUG', 'PROTOCOL', 'double')).toBeCloseTo(3.141, 3);
    expect(await client.call('DEBUG', 'PROTOCOL', 'bignum')).toBe(1234567999999999999999999999999999999n);
    expect(String(await client.call('DEBUG', 'PROTOCOL', 'verbatim'))).toMatch(/verbatim/);
  });
});
