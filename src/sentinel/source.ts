/**
 * Where a Sentinel-managed client dials: the endpoint source its connections consult. It asks
 * the sentinels in turn for the primary (or a healthy replica), checks ROLE on the new socket,
 * and keeps one subscription to `+switch-master` on some sentinel, moving to the next when that
 * one goes away; a switch (or a change seen after resubscribing) tells every connection on the
 * old server to drop its socket, and their reconnect asks again. Must not import the client.
 *
 * The subscription uses RESP3, where `message` arrives as a push: a RESP2 SUBSCRIBE would put
 * unsolicited replies on a connection that matches replies to commands in order.
 */
import { Connection } from '../connection/connection.js';
import { resolveOptions } from '../connection/options.js';
import type { Endpoint, EndpointCheck, EndpointSource, OpeningExec } from '../connection/endpoint.js';
import { command } from '../commands/command.js';
import { ReplyError, SentinelError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import { addressOf, askSentinel, isSubscribed, readHealthyReplicas, readMasterAddr, readRole, readSwitchMaster } from './ask.js';
import type { SentinelSettings } from './options.js';

/** A refused server is asked about again this many times, this far apart (a failover's few hundred ms). */
const REFUSALS = { attempts: 10, delay: 200 };
/** Backoff between subscription attempts while no sentinel takes one. */
const RESUBSCRIBE_MIN_MS = 100;
const RESUBSCRIBE_MAX_MS = 2000;

export class SentinelSource implements EndpointSource {
  readonly label: string;
  readonly refusals = REFUSALS;
  readonly #s: SentinelSettings;
  /** Sentinels in the order to ask them: the last one that answered first. */
  #order: Endpoint[];
  readonly #listeners = new Set<(stillRight: EndpointCheck) => void>();
  readonly #onError: (error: Error) => void;
  #sub: Connection | undefined;
  #subTimer: NodeJS.Timeout | undefined;
  #subFailures = 0;
  #subNext = 0;
  #closed = false;
  /** The primary as last learned, 'host:port'. */
  #primary: string | undefined;

  constructor(settings: SentinelSettings, onError: (error: Error) => void) {
    this.#s = settings;
    this.#order = [...settings.sentinels];
    this.#onError = onError;
    this.label = `${settings.role} '${settings.name}' via Sentinel`;
  }

  async resolve(): Promise<Endpoint> {
    this.#subscribe();
    const primary = await this.#askPrimary();
    if (this.#s.role === 'primary') return primary;
    const replicas = await this.#ask(['REPLICAS', this.#s.name], (reply) => readHealthyReplicas(reply)).catch(() => []);
    // No healthy replica: reads go to the primary rather than nowhere.
    return replicas.length === 0 ? primary : replicas[Math.floor(Math.random() * replicas.length)]!;
  }

  async verify(exec: OpeningExec, address: string): Promise<string | undefined> {
    const role = readRole(await exec('ROLE', []));
    const wanted = this.#s.role === 'primary' || address === this.#primary ? 'master' : 'slave';
    return role === wanted ? undefined : `ROLE is '${role ?? '?'}', expected '${wanted}' for '${this.#s.name}' (the sentinels' answer is stale)`;
  }

  watch(listener: (stillRight: EndpointCheck) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#subTimer);
    this.#sub?.disconnect();
    this.#sub = undefined;
    this.#listeners.clear();
  }

  async #askPrimary(): Promise<Endpoint> {
    const at = await this.#ask(['GET-MASTER-ADDR-BY-NAME', this.#s.name], readMasterAddr);
    this.#primary = addressOf(at);
    return at;
  }

  /**
   * Asks each sentinel in turn until one gives an answer `read` accepts. Sentinels that do not
   * know the name or cannot be reached are skipped; when none answers, one SentinelError says
   * which were asked and why.
   */
  async #ask<T>(args: readonly string[], read: (reply: RespValue) => T | null | undefined): Promise<T> {
    const asked: string[] = [];
    const problems: string[] = [];
    let unknown = 0;
    for (const at of [...this.#order]) {
      if (this.#closed) break;
      asked.push(addressOf(at));
      let reply: RespValue;
      try {
        reply = await askSentinel(this.#s.sentinel, at, args);
      } catch (error) {
        // An unknown name on SENTINEL REPLICAS is an error reply rather than null.
        if (error instanceof ReplyError && /no such master/i.test(error.message)) unknown++;
        problems.push(`${addressOf(at)}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      const value = read(reply);
      if (value === null) {
        unknown++;
        continue;
      }
      if (value === undefined) {
        problems.push(`${addressOf(at)}: unexpected reply to SENTINEL ${args[0]}`);
        continue;
      }
      this.#order = [at, ...this.#order.filter((s) => s !== at)];
      return value;
    }
    if (unknown > 0) throw new SentinelError(this.#s.name, asked, 'unknown-name', `no sentinel knows a primary named '${this.#s.name}'`);
    const reachable = problems.length < asked.length || problems.some((p) => p.includes('unexpected reply'));
    throw new SentinelError(this.#s.name, asked, reachable ? 'bad-reply' : 'unreachable', `no sentinel answered: ${problems.join('; ')}`);
  }

  // ── the +switch-master subscription ───────────────────────────────────────────────────

  /** Starts a subscription on the next sentinel unless one is running or waiting to start. */
  #subscribe(): void {
    if (this.#closed || this.#sub !== undefined || this.#subTimer !== undefined) return;
    const at = this.#s.sentinels[this.#subNext++ % this.#s.sentinels.length]!;
    const conn = new Connection(resolveOptions({ ...this.#s.sentinel, host: at.host, port: at.port, protocol: 3, commandTimeout: 0 }));
    this.#sub = conn;
    conn.on('push', (push) => this.#onPush(push));
    conn.on('end', () => {
      if (this.#sub !== conn) return;
      this.#sub = undefined;
      if (this.#closed) return;
      const delay = Math.min(RESUBSCRIBE_MAX_MS, RESUBSCRIBE_MIN_MS * 2 ** Math.min(this.#subFailures++, 5));
      this.#subTimer = setTimeout(() => {
        this.#subTimer = undefined;
        this.#subscribe();
      }, delay);
    });
    conn
      .connect()
      .then(() => {
        // Answered by a push, not a reply: this promise settles only when the connection ends,
        // and nothing else is ever sent on it, so no reply can be matched to the wrong command.
        conn.send(command('SUBSCRIBE', ['+switch-master'])).catch(() => undefined);
      })
      .catch((error: unknown) => this.#onError(error instanceof Error ? error : new Error(String(error))));
  }

  #onPush(push: RespValue[]): void {
    if (isSubscribed(push)) {
      this.#subFailures = 0;
      // A switch may have happened while no subscription was listening.
      this.#askPrimary().then((at) => this.#moved(at), () => undefined);
      return;
    }
    const to = readSwitchMaster(push, this.#s.name);
    if (to === undefined) return;
    this.#primary = addressOf(to);
    this.#moved(to);
  }

  /** Tells every connection the primary is at `to`: those on the wrong server drop their socket. */
  #moved(to: Endpoint): void {
    if (this.#closed) return;
    const primary = addressOf(to);
    // A replica client leaves only the replica that was just promoted.
    const stillRight: EndpointCheck = this.#s.role === 'primary' ? (address) => address === primary : (address) => address !== primary;
    for (const listener of [...this.#listeners]) listener(stillRight);
  }
}
