/**
 * Where a Sentinel-managed client dials: the endpoint source its connections consult. It asks
 * the sentinels in turn for the primary (or a healthy replica), checks ROLE on the new socket,
 * and follows the sentinels' events (events.ts); when the right server changes, it tells every
 * connection, and those on the wrong server drop their socket and reconnect through resolve().
 * Must not import the client.
 *
 *   event (for our name)                     primary is now          connections on others
 *   +failover-state-send-slaveof-noone X     X, for ANNOUNCED_MS     drop (reconnect to X)
 *   +switch-master ... X                     X, for ANNOUNCED_MS     drop
 *   -failover-abort-slave-timeout            ask the sentinels       drop
 *   subscribed to +switch-master again       ask the sentinels       drop
 *
 * Leaving at the first step matters: a Sentinel failover does not stop the old primary, so
 * every write it acknowledges once X is promoted is lost; +switch-master comes ~1 s later.
 * An announced primary is taken without asking for a while because the sentinels that did not
 * lead the failover keep naming the old primary (which still says 'master') for up to ~2 s.
 */
import type { Endpoint, EndpointCheck, EndpointSource, OpeningExec } from '../connection/endpoint.js';
import { ReplyError, SentinelError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import { addressOf, askSentinel, readHealthyReplicas, readInstanceEvent, readMasterAddr, readMessage, readRole, readSubscribed, readSwitchMaster } from './ask.js';
import { SentinelEvents } from './events.js';
import type { SentinelSettings } from './options.js';

/**
 * A refused server is asked about again this many times, this far apart: 2 s in all, for a
 * promotion (REPLICAOF NO ONE takes a few ms) or a sentinel's stale answer to catch up.
 */
const REFUSALS = { attempts: 40, delay: 50 };
/** How long the replica being promoted is taken as the primary without a +switch-master. */
const ANNOUNCED_MS = 5000;
const SWITCH = '+switch-master';
const PROMOTING = '+failover-state-send-slaveof-noone';
const ABORTED = '-failover-abort-slave-timeout';

export class SentinelSource implements EndpointSource {
  readonly label: string;
  readonly refusals = REFUSALS;
  readonly #s: SentinelSettings;
  /** Sentinels in the order to ask them: the last one that answered first. */
  #order: Endpoint[];
  readonly #listeners = new Set<(stillRight: EndpointCheck) => void>();
  readonly #events: SentinelEvents;
  #closed = false;
  /** The primary as last learned, 'host:port', and the sentinel that said so. */
  #primary: string | undefined;
  #saidBy: Endpoint | undefined;
  /** The primary an event announced (being promoted, or switched to), taken as such until `until`. */
  #announced: { readonly to: Endpoint; readonly until: number } | undefined;

  constructor(settings: SentinelSettings, onError: (error: Error) => void) {
    this.#s = settings;
    this.#order = [...settings.sentinels];
    this.label = `${settings.role} '${settings.name}' via Sentinel`;
    this.#events = new SentinelEvents(settings.sentinel, [SWITCH, PROMOTING, ABORTED], {
      push: (push, from) => this.#onPush(push, from),
      error: onError,
    });
  }

  async resolve(): Promise<Endpoint> {
    this.#events.start(this.#s.sentinels);
    const announced = this.#announcedPrimary();
    if (announced !== undefined && this.#s.role === 'primary') return announced;
    const primary = await this.#askPrimary();
    if (this.#s.role === 'primary') return primary;
    const replicas = await this.#ask(['REPLICAS', this.#s.name], (reply) => readHealthyReplicas(reply)).catch(() => []);
    // No healthy replica: reads go to the primary rather than nowhere.
    return replicas.length === 0 ? primary : replicas[Math.floor(Math.random() * replicas.length)]!;
  }

  async verify(exec: OpeningExec, address: string): Promise<string | undefined> {
    const role = readRole(await exec('ROLE', []));
    const wanted = this.#s.role === 'primary' || address === this.#primary ? 'master' : 'slave';
    if (role === wanted) return undefined;
    // That sentinel has not heard of the failover yet (they learn from each other every ~2 s): ask the others first.
    const stale = this.#saidBy;
    if (stale !== undefined) this.#order = [...this.#order.filter((s) => s !== stale), stale];
    return `ROLE is '${role ?? '?'}', expected '${wanted}' for '${this.#s.name}' (the sentinels' answer is stale)`;
  }

  watch(listener: (stillRight: EndpointCheck) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    this.#events.close();
    this.#listeners.clear();
  }

  async #askPrimary(): Promise<Endpoint> {
    const at = await this.#ask(['GET-MASTER-ADDR-BY-NAME', this.#s.name], readMasterAddr);
    this.#primary = addressOf(at);
    this.#saidBy = this.#order[0];
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

  #onPush(push: RespValue[], from: Endpoint): void {
    if (readSubscribed(push) === SWITCH) {
      this.#events.confirmed(from);
      // A switch may have happened while this subscription was not listening.
      this.#recheck();
      return;
    }
    const message = readMessage(push);
    if (message === undefined) return;
    switch (message.channel) {
      case PROMOTING: {
        const to = readInstanceEvent(message.payload, this.#s.name);
        if (to === undefined) return;
        this.#announced = { to, until: Date.now() + ANNOUNCED_MS };
        this.#moved(to);
        return;
      }
      case SWITCH: {
        const to = readSwitchMaster(message.payload, this.#s.name);
        if (to === undefined) return;
        this.#announced = { to, until: Date.now() + ANNOUNCED_MS };
        this.#primary = addressOf(to);
        this.#moved(to);
        return;
      }
      case ABORTED:
        if (readInstanceEvent(message.payload, this.#s.name) === undefined) return;
        this.#announced = undefined;
        this.#recheck();
        return;
    }
  }

  #announcedPrimary(): Endpoint | undefined {
    const a = this.#announced;
    return a !== undefined && Date.now() < a.until ? a.to : undefined;
  }

  #recheck(): void {
    if (this.#announcedPrimary() !== undefined) return;
    this.#askPrimary().then((at) => this.#moved(at), () => undefined);
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
