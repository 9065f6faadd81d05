/**
 * Connection URLs: `redis://`, `rediss://`, `valkey://`, `valkeys://` and `unix://` into the
 * settings they name, and their redaction for messages. Apart from options.ts so that the URL
 * grammar and its refusals are found in one small place (the cluster's seed URLs use it too).
 */
import { InvalidOptionError } from '../errors.js';

/** What a URL can say; a subset of ClientOptions, merged under the explicit options. */
export interface UrlSettings {
  host?: string;
  port?: number;
  path?: string;
  db?: number;
  tls?: true;
  username?: string;
  password?: string;
  protocol?: 2 | 3;
  clientName?: string;
}

const URL_QUERY_KEYS: ReadonlySet<string> = new Set(['db', 'protocol', 'name', 'clientName']);

/**
 * Parses `redis://[[user]:password@]host[:port][/db]`, `rediss://` (TLS), their `valkey://` and
 * `valkeys://` twins, and `unix:///path`; the query may carry db, protocol and name. Anything
 * else in the query is refused: a setting the URL seems to make must not silently not happen.
 */
export function parseUrl(url: string): UrlSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionError('url', `Invalid Redis URL: ${redactUrl(url)}`);
  }
  const scheme = parsed.protocol;
  const out: UrlSettings = {};
  if (scheme === 'unix:') {
    if (!parsed.pathname || parsed.pathname === '/') throw new InvalidOptionError('url', `No socket path in ${redactUrl(url)}`);
    out.path = decodeURIComponent(parsed.pathname);
  } else if (scheme === 'redis:' || scheme === 'rediss:' || scheme === 'valkey:' || scheme === 'valkeys:') {
    if (parsed.hostname) out.host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (parsed.port) out.port = Number(parsed.port);
    const db = parsed.pathname.replace(/^\//, '');
    if (db) out.db = parseDb(db);
    if (scheme === 'rediss:' || scheme === 'valkeys:') out.tls = true;
  } else {
    throw new InvalidOptionError('url', `Invalid Redis URL scheme '${scheme}' (expected redis://, rediss://, valkey://, valkeys:// or unix://)`);
  }
  if (parsed.username) out.username = decodeURIComponent(parsed.username);
  if (parsed.password) out.password = decodeURIComponent(parsed.password);
  for (const key of parsed.searchParams.keys()) {
    if (!URL_QUERY_KEYS.has(key)) throw new InvalidOptionError('url', `Unknown parameter '${key}' in Redis URL ${redactUrl(url)} (known: db, protocol, name)`);
  }
  const db = parsed.searchParams.get('db');
  if (db !== null) out.db = parseDb(db);
  const protocol = parsed.searchParams.get('protocol');
  if (protocol !== null) {
    if (protocol !== '2' && protocol !== '3') throw new InvalidOptionError('url', `Invalid protocol '${protocol}' in Redis URL (2 or 3)`);
    out.protocol = Number(protocol) as 2 | 3;
  }
  const name = parsed.searchParams.get('clientName') ?? parsed.searchParams.get('name');
  if (name) out.clientName = name;
  return out;
}

function parseDb(text: string): number {
  const n = Number(text);
  if (text === '' || !Number.isInteger(n) || n < 0) throw new InvalidOptionError('url', `Invalid database '${text}' in Redis URL`);
  return n;
}

/** The URL with any credentials replaced by ***, for error messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

