/**
 * createSentinel: the standalone Client, dialling wherever the sentinels say the primary (or a
 * replica) is. Everything a Client does is unchanged; the SentinelSource only answers "where"
 * before each open and says when to leave a server. Owns the source's life, nothing else.
 */
import { Client } from '../client/client.js';
import { SentinelSource } from './source.js';
import { sentinelSettings, type SentinelOptions } from './options.js';

/**
 * A Client whose server is the primary (or a replica) the sentinels name (`createSentinel`): the same
 * API, following `+switch-master` and failovers to the new primary.
 */
export class SentinelClient extends Client {
  readonly #source: SentinelSource;
  /** As given, for duplicate(); private: it holds both passwords. */
  readonly #given: SentinelOptions;

  constructor(options: SentinelOptions) {
    const settings = sentinelSettings(options);
    let self: SentinelClient | undefined;
    // The source reports subscription trouble through this client's 'error' event.
    const source = new SentinelSource(settings, (error) => self?._emitError(error));
    super(settings.data, source);
    self = this;
    this.#source = source;
    this.#given = { ...options };
  }

  /** A new Sentinel client with the same options and `overrides` on top. */
  override duplicate(overrides: Partial<SentinelOptions> = {}): SentinelClient {
    return new SentinelClient({ ...this.#given, ...overrides });
  }

  override async close(): Promise<void> {
    this.#source.close();
    await super.close();
  }

  override disconnect(): void {
    this.#source.close();
    super.disconnect();
  }
}

/**
 * A client for the server a group of sentinels monitors under `name`: same API as createClient.
 * `await createSentinel({ sentinels: [{ host, port }], name: 'mymaster' }).connect()`.
 */
export function createSentinel(options: SentinelOptions): SentinelClient {
  return new SentinelClient(options);
}
