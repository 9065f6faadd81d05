/**
 * The connection handshake: HELLO 3 with AUTH and SETNAME, RESP2 fallback (AUTH, CLIENT SETNAME)
 * for servers without HELLO, then SELECT. Talks through an `exec` callback, so it owns the order
 * of the steps but never a socket.
 */
import { ConnectionError, ReplyError } from '../errors.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { ResolvedOptions } from './options.js';

export type HandshakeExec = (name: string, args: readonly RedisArg[]) => Promise<RespValue>;

export interface HandshakeResult {
  readonly protocol: 2 | 3;
  /** From the HELLO reply when there was one (e.g. '7.0.15'). */
  readonly serverVersion: string | undefined;
}

export interface HandshakeSettings {
  readonly protocol: 2 | 3;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly clientName?: string | undefined;
  readonly db?: number;
  /**
   * CLIENT TRACKING ON (default mode) for the client-side cache: the server then pushes an
   * invalidation for every key this connection read. Needs RESP3, where the pushes share the
   * connection; a server that only speaks RESP2 fails the handshake.
   */
  readonly tracking?: boolean;
  /** Sent last, e.g. READONLY on a cluster replica. */
  readonly extra?: ReadonlyArray<{ name: string; args: readonly RedisArg[] }>;
}

export function settingsOf(o: ResolvedOptions): HandshakeSettings {
  return { protocol: o.protocol, username: o.username, password: o.password, clientName: o.clientName, db: o.db };
}

export async function handshake(exec: HandshakeExec, s: HandshakeSettings): Promise<HandshakeResult> {
  let protocol: 2 | 3 = 2;
  let serverVersion: string | undefined;
  let helloDone = false;
  if (s.protocol === 3) {
    const args: RedisArg[] = [3];
    if (s.password !== undefined) args.push('AUTH', s.username ?? 'default', s.password);
    if (s.clientName !== undefined) args.push('SETNAME', s.clientName);
    try {
      const reply = await exec('HELLO', args);
      protocol = 3;
      helloDone = true;
      serverVersion = readVersion(reply);
    } catch (error) {
      // Old servers (no HELLO, or no RESP3) get the RESP2 sequence; anything else is fatal.
      if (!(error instanceof ReplyError) || (error.kind !== 'unknown-command' && error.kind !== 'noproto')) {
        throw handshakeError('HELLO', error);
      }
    }
  }
  if (!helloDone) {
    if (s.password !== undefined) {
      const args = s.username !== undefined ? [s.username, s.password] : [s.password];
      await exec('AUTH', args).catch((error: unknown) => {
        throw handshakeError('AUTH', error);
      });
    }
    if (s.clientName !== undefined) {
      await exec('CLIENT', ['SETNAME', s.clientName]).catch((error: unknown) => {
        throw handshakeError('CLIENT SETNAME', error);
      });
    }
  }
  if (s.db !== undefined && s.db !== 0) {
    await exec('SELECT', [s.db]).catch((error: unknown) => {
      throw handshakeError(`SELECT ${s.db}`, error);
    });
  }
  if (s.tracking === true) {
    if (protocol !== 3) {
      throw new ConnectionError('Handshake failed at CLIENT TRACKING: clientCache needs RESP3 (HELLO 3), and this server only speaks RESP2', 'handshake');
    }
    await exec('CLIENT', ['TRACKING', 'ON']).catch((error: unknown) => {
      throw handshakeError('CLIENT TRACKING ON', error);
    });
  }
  for (const cmd of s.extra ?? []) {
    await exec(cmd.name, cmd.args).catch((error: unknown) => {
      throw handshakeError(cmd.name, error);
    });
  }
  return { protocol, serverVersion };
}

function readVersion(reply: RespValue): string | undefined {
  if (reply !== null && typeof reply === 'object' && !Array.isArray(reply) && !(reply instanceof Map) && !Buffer.isBuffer(reply)) {
    const v = (reply as Record<string, RespValue>)['version'];
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}

function handshakeError(step: string, error: unknown): ConnectionError {
  const why =
    error instanceof ReplyError && error.kind === 'auth'
      ? `authentication failed (${error.code}): check username and password`
      : error instanceof Error
        ? error.message
        : String(error);
  return new ConnectionError(`Handshake failed at ${step}: ${why}`, 'handshake', { cause: error });
}
