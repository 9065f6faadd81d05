/**
 * Every diagnostics_channel name slotline publishes, in one table, what their contexts carry, and
 * the one redaction rule for arguments. Contexts are built only when someone subscribes, so an
 * unobserved client pays one boolean check. Imports nothing but resp types.
 *
 *   channel (TracingChannel)   context fields
 *   slotline:command           CommandTraceContext: command, args, statement, database,
 *                              serverAddress, serverPort, server; batchMode and batchSize for a
 *                              command sent inside a pipeline or a MULTI block
 *   slotline:batch             BatchTraceContext: batchMode, batchSize, database, serverAddress,
 *                              serverPort, server; kind and size (the older names); timing
 *                              (BatchTiming: planned, first/last byte written, first/last reply)
 *   slotline:connect           ConnectTraceContext: serverAddress, serverPort, server, attempt
 *
 * The field names are the ones node-redis (>= 5.12, `node-redis:*`) and ioredis (>= 5.11,
 * `ioredis:*`) publish, which is what APM subscribers (Sentry, Datadog) read and map onto the
 * OpenTelemetry attributes `db.operation.name`, `db.query.text`, `db.namespace`,
 * `server.address`, `server.port`. `args` excludes the command name, as ioredis does.
 * `statement` is exactly what `@opentelemetry/redis-common`'s `defaultDbStatementSerializer`
 * would write for the command, so a subscriber can set `db.query.text` from it unchanged.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import type { RedisArg } from './resp/types.js';

/** The `node:diagnostics_channel` tracing channels slotline publishes on (`slotline:command`, `slotline:batch`, `slotline:connect`); arguments are redacted, and nothing is published unless someone subscribes. */
export const channels = {
  command: tracingChannel<unknown, CommandTraceContext>('slotline:command'),
  batch: tracingChannel<unknown, BatchTraceContext>('slotline:batch'),
  connect: tracingChannel<unknown, ConnectTraceContext>('slotline:connect'),
} as const;

/** Where a traced operation goes: the OpenTelemetry `server.*` and `db.namespace` fields. */
export interface TracePeer {
  /** Host name or IP address, or the socket path for a Unix socket. */
  readonly serverAddress: string;
  /** TCP port; undefined for a Unix socket. */
  readonly serverPort: number | undefined;
  /** The logical database the connection selected (always 0 in a cluster). */
  readonly database: number;
  /** 'host:port' (or the socket path), as in slotline's error messages. */
  readonly server: string;
}

/** The context of a `slotline:command` event: one command, alone or inside a batch. */
export interface CommandTraceContext extends TracePeer {
  /** Upper case, e.g. 'GET'; for 'CLIENT SETNAME' the subcommand is args[0]. */
  readonly command: string;
  /** The arguments after the name as text; each one the redaction rule hides is '?'. */
  readonly args: readonly string[];
  /** `@opentelemetry/redis-common` format: 'SET k [1 other arguments]'. */
  readonly statement: string;
  /** Set when the command was sent inside a batch. */
  readonly batchMode?: 'MULTI' | 'PIPELINE';
  /** The number of user commands in that batch. */
  readonly batchSize?: number;
}

/** The context of a `slotline:batch` event: a pipeline or MULTI block sent to one server. */
export interface BatchTraceContext extends TracePeer {
  readonly batchMode: 'MULTI' | 'PIPELINE';
  /** Commands as the user added them (without the MULTI/EXEC frame). */
  readonly batchSize: number;
  /** Older names for batchMode and the count of commands written (a MULTI block counts its frame). */
  readonly kind: 'pipeline' | 'multi';
  readonly size: number;
  /** Where the batch's time went, filled in as it happens; complete when the operation ends. */
  readonly timing: BatchTiming;
}

/**
 * The moments of one batch on one connection (a cluster lane: one node's share of a batch), as
 * `performance.now()` readings in ms. A stage not reached (the connection was lost first) stays
 * undefined. Read them at `asyncEnd`/`error`: e.g. `lastReply - firstByteWritten` is the wire's
 * share, `firstByteWritten - planned` the client's own before the write.
 */
export interface BatchTiming {
  /** The batch was handed to the connection; for a cluster lane, the moment the cluster split the batch by node. */
  readonly planned: number;
  /** Its first command went into a socket write. */
  readonly firstByteWritten?: number;
  /** Node handed its last byte to the operating system (the write's callback). */
  readonly lastByteWritten?: number;
  /** The reply of its first command was decoded. */
  readonly firstReply?: number;
  /** The reply of its last command was decoded. */
  readonly lastReply?: number;
}

/** BatchTiming as the connection fills it in. */
export type Stamps = { -readonly [K in keyof BatchTiming]: BatchTiming[K] };

/** The context of a `slotline:connect` event: one connection attempt. */
export interface ConnectTraceContext extends Omit<TracePeer, 'database'> {
  /** 0 for the first open, n for the n-th reconnect attempt in a row. */
  readonly attempt: number;
}

/**
 * How many arguments after the name may be shown, first match wins; -1 = all. These are the
 * rules of `@opentelemetry/redis-common` (`serializationSubsets`, as of its 2026-08 source):
 * values are hidden, keys and structure shown. A name matching none shows no argument, which
 * covers AUTH, HELLO, MIGRATE and any module command.
 */
const SHOWN: ReadonlyArray<readonly [RegExp, number]> = [
  [/^ECHO/i, 0],
  [/^(GETSET|LPUSH|MSET|PFA|PSETEX|PUBLISH|RPUSH|SADD|SET|SPUBLISH|XADD|ZADD)/i, 1],
  [/^(HSET|HMSET|LSET|LINSERT)/i, 2],
  [/^(ACL|CONFIG)/i, 1],
  [/^(BIT|B[LRZ]|CLIENT|CLUSTER|COMMAND|DECR|DEL|EVAL|EX|FUNCTION|GEO|GET|HINCR|HMGET|HSCAN|INCR|L[TRLM]|MEMORY|P[EFISTU]|RPOP|S[CDIMORSU]|XACK|X[CDGILPRT]|Z[CDILMPRS])/i, -1],
];

/**
 * Commands whose arguments can carry a credential (AUTH/HELLO passwords, MIGRATE ... AUTH,
 * ACL SETUSER >password, CONFIG SET requirepass): `traceArguments` never lifts the rule above
 * for them.
 */
const SECRET_COMMANDS: ReadonlySet<string> = new Set(['AUTH', 'HELLO', 'MIGRATE', 'ACL', 'CONFIG']);

/** The rule's answer per command name, so a traced command tests no pattern; bounded, as call() takes any name. */
const shownByName = new Map<string, number>();

/** How many of `name`'s arguments may be shown (-1 = all); `all` is the traceArguments option. */
export function shownArgs(name: string, all: boolean): number {
  if (all && !SECRET_COMMANDS.has(name.toUpperCase())) return -1;
  let n = shownByName.get(name);
  if (n === undefined) {
    n = SHOWN.find(([pattern]) => pattern.test(name))?.[1] ?? 0;
    if (shownByName.size < 1000) shownByName.set(name, n);
  }
  return n;
}

const text = (a: RedisArg): string => (typeof a === 'string' ? a : String(a));

/** The arguments as they may appear in a trace: the hidden ones are '?'. */
export function redactArgs(name: string, args: readonly RedisArg[], all = false): string[] {
  const n = shownArgs(name, all);
  return args.map((a, i) => (n === -1 || i < n ? text(a) : '?'));
}

/** `defaultDbStatementSerializer`'s output for the same command, under the same rule. */
export function statementOf(name: string, args: readonly RedisArg[], all = false): string {
  if (args.length === 0) return name;
  const n = shownArgs(name, all);
  const shown = n === -1 ? args.map(text) : args.slice(0, n).map(text);
  if (args.length > shown.length) shown.push(`[${args.length - n} other arguments]`);
  return `${name} ${shown.join(' ')}`;
}

/** The peer fields from a connection's address ('host:port', '[v6]:port' or a socket path). */
export function peerOf(address: string, path: string | undefined, database: number): TracePeer {
  if (path !== undefined) return { serverAddress: path, serverPort: undefined, database, server: address };
  const colon = address.lastIndexOf(':');
  const port = colon < 0 ? NaN : Number(address.slice(colon + 1));
  if (!Number.isInteger(port)) return { serverAddress: address, serverPort: undefined, database, server: address };
  return { serverAddress: address.slice(0, colon).replace(/^\[|\]$/g, ''), serverPort: port, database, server: address };
}

/** The context of one command (`batch` set when it travels inside a pipeline or MULTI block). */
export function commandContext(
  name: string,
  args: readonly RedisArg[],
  peer: TracePeer,
  all: boolean,
  batch?: { mode: 'MULTI' | 'PIPELINE'; size: number },
): CommandTraceContext {
  const ctx = { command: name, args: redactArgs(name, args, all), statement: statementOf(name, args, all), ...peer };
  return batch === undefined ? ctx : { ...ctx, batchMode: batch.mode, batchSize: batch.size };
}
