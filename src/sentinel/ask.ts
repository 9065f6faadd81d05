/**
 * Asking one sentinel one question on a short-lived connection, and reading its answers:
 * GET-MASTER-ADDR-BY-NAME, REPLICAS, ROLE and the +switch-master message. The readers are pure
 * and accept both RESP2 (flat arrays) and RESP3 (maps) shapes. Must not import the client.
 */
import { Connection } from '../connection/connection.js';
import { resolveOptions, type ClientOptions } from '../connection/options.js';
import type { Endpoint } from '../connection/endpoint.js';
import { command } from '../commands/command.js';
import type { RedisArg, RespValue } from '../resp/types.js';

/** Sends `SENTINEL ...args` to the sentinel at `at` and closes the connection, whatever happens. */
export async function askSentinel(options: ClientOptions, at: Endpoint, args: readonly RedisArg[]): Promise<RespValue> {
  const conn = new Connection(resolveOptions({ ...options, host: at.host, port: at.port }));
  try {
    await conn.connect();
    return await conn.send(command('SENTINEL', args));
  } finally {
    conn.disconnect();
  }
}

export function addressOf(e: Endpoint): string {
  return `${e.host}:${e.port}`;
}

/** `[host, port]` from GET-MASTER-ADDR-BY-NAME; null when the name is unknown, undefined when malformed. */
export function readMasterAddr(reply: RespValue): Endpoint | null | undefined {
  if (reply === null) return null;
  if (!Array.isArray(reply) || reply.length !== 2) return undefined;
  return endpoint(text(reply[0]), text(reply[1]));
}

/** Replicas that are up and in sync with their primary, from SENTINEL REPLICAS. */
export function readHealthyReplicas(reply: RespValue): Endpoint[] {
  if (!Array.isArray(reply)) return [];
  const out: Endpoint[] = [];
  for (const entry of reply) {
    const f = fieldsOf(entry);
    const flags = (f['flags'] ?? '').split(',');
    if (flags.some((x) => x === 's_down' || x === 'o_down' || x === 'disconnected')) continue;
    if (f['master-link-status'] !== 'ok') continue;
    const port = Number(f['port']);
    if (f['ip'] !== undefined && Number.isInteger(port) && port > 0) out.push({ host: f['ip'], port });
  }
  return out;
}

/** The first element of a ROLE reply: 'master', 'slave' or 'sentinel'. */
export function readRole(reply: RespValue): string | undefined {
  return Array.isArray(reply) ? text(reply[0]) : undefined;
}

/** A message push, `['message', channel, payload]`. */
export function readMessage(push: readonly RespValue[]): { channel: string; payload: string } | undefined {
  if (text(push[0]) !== 'message') return undefined;
  const channel = text(push[1]);
  const payload = text(push[2]);
  return channel === undefined || payload === undefined ? undefined : { channel, payload };
}

/** +switch-master: `<name> <old-ip> <old-port> <new-ip> <new-port>`; the new primary when it is about `name`. */
export function readSwitchMaster(payload: string, name: string): Endpoint | undefined {
  const parts = payload.split(' ');
  if (parts.length !== 5 || parts[0] !== name) return undefined;
  return endpoint(parts[3], parts[4]);
}

/**
 * An instance event (e.g. +failover-state-send-slaveof-noone, -failover-abort-slave-timeout):
 * `<type> <ip:port> <ip> <port> @ <name> <master-ip> <master-port>`; the instance when it is about `name`.
 */
export function readInstanceEvent(payload: string, name: string): Endpoint | undefined {
  const parts = payload.split(' ');
  if (parts.length !== 8 || parts[4] !== '@' || parts[5] !== name) return undefined;
  return endpoint(parts[2], parts[3]);
}

/** The subscription's confirmation push, `['subscribe', channel, count]`: the channel. */
export function readSubscribed(push: readonly RespValue[]): string | undefined {
  return text(push[0]) === 'subscribe' ? text(push[1]) : undefined;
}

function endpoint(host: string | undefined, port: string | undefined): Endpoint | undefined {
  const n = Number(port);
  return host !== undefined && host !== '' && Number.isInteger(n) && n > 0 ? { host, port: n } : undefined;
}

function text(v: RespValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** One instance from SENTINEL REPLICAS: a flat [k, v, ...] array (RESP2) or a map (RESP3). */
function fieldsOf(entry: RespValue): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: RespValue | undefined, v: RespValue | undefined): void => {
    const key = text(k);
    const value = text(v);
    if (key !== undefined && value !== undefined) out[key] = value;
  };
  if (Array.isArray(entry)) for (let i = 0; i + 1 < entry.length; i += 2) put(entry[i], entry[i + 1]);
  else if (entry instanceof Map) for (const [k, v] of entry) put(k, v);
  else if (entry !== null && typeof entry === 'object' && !Buffer.isBuffer(entry)) {
    for (const [k, v] of Object.entries(entry as Record<string, RespValue>)) put(k, v);
  }
  return out;
}
