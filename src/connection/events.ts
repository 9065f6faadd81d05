/**
 * What a connection emits, and how it emits it: the event maps and the restore hook's type,
 * emitting so that a user listener that throws never breaks the connection, and waiting for a
 * connection that is already opening. Split from connection.ts so the socket's life stays there.
 */
import type { EventEmitter } from 'node:events';
import type { RespValue } from '../resp/types.js';
import type { Command } from '../commands/command.js';

/**
 * The events every slotline client emits (connection, standalone client, cluster). 'error' is
 * informational (each command gets its own rejection) and is only emitted when someone listens,
 * so an unhandled 'error' never throws.
 */
export interface LifecycleEvents {
  /** Ready for commands: the handshake is done (a connection), the topology is read (a cluster). */
  ready: [];
  error: [Error];
  /** Closed for good: close(), disconnect(), a failed first connect, or reconnecting stopped. */
  end: [];
}

/** What a connection (and so the standalone client) emits. */
export interface ConnectionEvents extends LifecycleEvents {
  /** The socket is open; the handshake comes next. */
  connect: [];
  /** A reconnect attempt is scheduled `delay` ms from now (attempt 1 = the first after a loss). */
  reconnecting: [{ attempt: number; delay: number }];
  push: [RespValue[]];
}

/**
 * Re-applies per-connection state right after each handshake, before the connection is ready:
 * its commands go out ahead of every waiting one (Pub/Sub resubscription). `send` writes one
 * command on the fresh socket at once. A rejection fails the open like a failed handshake step.
 */
export type RestoreHook = (send: (cmd: Command<unknown>) => Promise<RespValue>, generation: number) => Promise<void>;

type Emitter = EventEmitter<ConnectionEvents>;

/** 'error' is informational (every command gets its own rejection): never throw for it. */
export function emitError(emitter: Emitter, error: Error): void {
  if (emitter.listenerCount('error') === 0) return;
  try {
    emitter.emit('error', error);
  } catch (thrown) {
    // The error listener itself failed: surface it the way Node does, outside the connection.
    process.nextTick(() => {
      throw thrown;
    });
  }
}

/** A user listener that throws must never break the connection: its error goes to 'error'. */
export function emitSafely<E extends 'connect' | 'ready' | 'reconnecting' | 'end' | 'push'>(emitter: Emitter, event: E, ...args: ConnectionEvents[E]): void {
  try {
    (emitter.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
  } catch (error) {
    emitError(emitter, error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * Waits for 'ready' from a connection already opening, at most `ms`: reconnecting goes on for
 * ever by default, so the caller stops waiting (`late()`) while the connection keeps trying.
 * 'end' rejects with `ended()`.
 */
export function untilReady(emitter: Emitter, ms: number, ended: () => Error, late: () => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      emitter.off('ready', onReady);
      emitter.off('end', onEnd);
    };
    const onReady = (): void => {
      done();
      resolve();
    };
    const onEnd = (): void => {
      done();
      reject(ended());
    };
    const timer = setTimeout(() => {
      done();
      reject(late());
    }, ms);
    emitter.once('ready', onReady);
    emitter.once('end', onEnd);
  });
}
