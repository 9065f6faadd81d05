/**
 * Where a connection dials, when that is not a fixed host and port: a source asked before every
 * open (a Sentinel's current primary), which may refuse the server it pointed to once the
 * handshake is done (ROLE says it is not the primary any more) and may tell the connection that
 * its server is no longer the right one (+switch-master). Types only: the connection layer
 * consults it, the module that implements it (sentinel/) lives above.
 */
import type { RedisArg, RespValue } from '../resp/types.js';

/** Sends one command on the socket being opened (the handshake's own channel). */
export type OpeningExec = (name: string, args: readonly RedisArg[]) => Promise<RespValue>;

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Is the server at `address` ('host:port') still the one to use? */
export type EndpointCheck = (address: string) => boolean;

export interface EndpointSource {
  /** Names the connection in messages until it has dialled (e.g. "primary 'mymaster' via Sentinel"). */
  readonly label: string;
  /** Asked before every open; rejects when no server can be found (the open fails with that error). */
  resolve(): Promise<Endpoint>;
  /**
   * Run on the new socket after the handshake: undefined accepts the server, a string says why
   * it is refused. The open then asks resolve() again, up to `refusals.attempts` times.
   */
  verify(exec: OpeningExec, address: string): Promise<string | undefined>;
  readonly refusals: { readonly attempts: number; readonly delay: number };
  /** Calls `listener` when the right server may have changed; returns the unsubscribe function. */
  watch(listener: (stillRight: EndpointCheck) => void): () => void;
}
