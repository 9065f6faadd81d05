/**
 * Subscriptions on one server, over one connection: the standalone client's router. Under
 * RESP3 that is the client's shared connection (pushes never take a command's place, see
 * connection/wire.ts); under RESP2 a connection of its own, since a RESP2 connection in
 * subscriber mode refuses every other command. After every reconnect the whole registry is
 * subscribed again right after the handshake, before any waiting command is written and before
 * the connection says 'ready'; then `resubscribed` is reported with the list.
 */
import { ConnectionError, ReplyError } from '../errors.js';
import type { Connection } from '../connection/connection.js';
import type { RespValue } from '../resp/types.js';
import type { Command } from '../commands/command.js';
import { KINDS, readFrame, subscribeCommand, unsubscribeCommand, type SubscriptionKind } from './frames.js';
import type { PubSubHub, PubSubRouter, ResubscribedEvent } from './hub.js';

export interface LaneEvents {
  resubscribed(event: ResubscribedEvent): void;
  error(error: Error): void;
}

export interface LaneOptions {
  /** The kinds this lane holds (a cluster keeps shard channels elsewhere); default all. */
  readonly kinds?: readonly SubscriptionKind[];
  /** Report 'resubscribed' on the first handshake too (a lane that replaces a lost one). */
  readonly announceFirst?: boolean;
}

export class Lane implements PubSubRouter {
  readonly #conn: Connection;
  readonly #kinds: readonly SubscriptionKind[];
  readonly #announceFirst: boolean;
  readonly #asBuffers: boolean;
  readonly #events: LaneEvents;
  /** Asks the connection to open if nobody has yet (lazy clients). */
  readonly #start: () => void;
  #hub: PubSubHub | undefined;

  constructor(conn: Connection, asBuffers: boolean, events: LaneEvents, start: () => void, options: LaneOptions = {}) {
    this.#conn = conn;
    this.#kinds = options.kinds ?? KINDS;
    this.#announceFirst = options.announceFirst ?? false;
    this.#asBuffers = asBuffers;
    this.#events = events;
    this.#start = start;
    conn.on('push', (frame) => this.#onFrame(frame));
    conn.setRestore((send, generation) => this.#restore(send, generation));
  }

  /** The hub this lane delivers to (set once, right after both exist). */
  set hub(hub: PubSubHub | undefined) {
    this.#hub = hub;
  }

  get connection(): Connection {
    return this.#conn;
  }

  subscribe(kind: SubscriptionKind, names: readonly string[]): Promise<void> {
    this.#start();
    return this.#conn.send(subscribeCommand(kind, names)).then(() => undefined);
  }

  /** Nothing to do when the connection is gone: the server dropped everything with it. */
  async unsubscribe(kind: SubscriptionKind, names: readonly string[]): Promise<void> {
    if (this.#conn.status !== 'ready') return;
    try {
      await this.#conn.send(unsubscribeCommand(kind, names));
    } catch (error) {
      if (!(error instanceof ConnectionError)) throw error;
    }
  }

  async #restore(send: (cmd: Command<unknown>) => Promise<RespValue>, generation: number): Promise<void> {
    const hub = this.#hub;
    if (hub === undefined) return;
    const held: Record<SubscriptionKind, string[]> = { channel: [], pattern: [], shard: [] };
    await Promise.all(
      this.#kinds.map(async (kind) => {
        const names = hub.registry.names(kind);
        if (names.length === 0) return;
        try {
          await send(subscribeCommand(kind, names));
          held[kind] = names;
        } catch (error) {
          // The server refused (an ACL change, say): say so and go on; a lost socket fails the open.
          if (!(error instanceof ReplyError)) throw error;
          this.#events.error(error);
        }
      }),
    );
    if ((generation === 0 && !this.#announceFirst) || held.channel.length + held.pattern.length + held.shard.length === 0) return;
    this.#events.resubscribed({ server: this.#conn.address, channels: held.channel, patterns: held.pattern, shardChannels: held.shard });
  }

  #onFrame(raw: RespValue[]): void {
    const frame = readFrame(raw, this.#asBuffers);
    const hub = this.#hub;
    if (frame === undefined || hub === undefined) return; // not Pub/Sub: another handler's
    if (frame.type === 'message') hub.deliver(frame.kind, frame.key, frame.message);
    else if (frame.type === 'dropped' && hub.registry.has(frame.kind, frame.name)) {
      // The server let go of a name still wanted: ask again (a refusal is reported).
      this.#conn.send(subscribeCommand(frame.kind, [frame.name])).catch((error: unknown) => this.#events.error(error instanceof Error ? error : new Error(String(error))));
    }
  }
}
