/**
 * Every diagnostics_channel name slotline publishes, in one table, and the redaction rule.
 * Messages are built only when someone subscribes, so an unobserved client pays one boolean check.
 *
 *   channel (TracingChannel)   context fields
 *   slotline:command           { command, args?, server }             one command
 *   slotline:batch             { kind: 'pipeline'|'multi', size, server }
 *   slotline:connect           { server, attempt }
 *
 * `args` is present only with the `traceArguments` option, and AUTH/HELLO arguments are always
 * redacted. Subscribers (e.g. OpenTelemetry instrumentations) use
 * `diagnostics_channel.tracingChannel('slotline:command').subscribe({...})`.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import type { RedisArg } from './resp/types.js';

/** The `node:diagnostics_channel` tracing channels slotline publishes on (`slotline:command`, `slotline:batch`, `slotline:connect`); arguments are redacted, and nothing is published unless someone subscribes. */
export const channels = {
  command: tracingChannel<unknown, CommandTraceContext>('slotline:command'),
  batch: tracingChannel<unknown, BatchTraceContext>('slotline:batch'),
  connect: tracingChannel<unknown, ConnectTraceContext>('slotline:connect'),
} as const;

export interface CommandTraceContext {
  command: string;
  args?: readonly RedisArg[];
  server: string;
}

export interface BatchTraceContext {
  kind: 'pipeline' | 'multi';
  size: number;
  server: string;
}

export interface ConnectTraceContext {
  server: string;
  attempt: number;
}

const SECRET_COMMANDS = new Set(['AUTH', 'HELLO', 'MIGRATE', 'ACL']);

/** Arguments as they may appear in traces and error messages. */
export function redactArgs(name: string, args: readonly RedisArg[]): readonly RedisArg[] {
  if (SECRET_COMMANDS.has(name.toUpperCase())) return args.map(() => '?');
  return args;
}

/** Whether anyone listens on a tracing channel (cheap; checked before building a context). */
export function isTraced(channel: (typeof channels)[keyof typeof channels]): boolean {
  return channel.hasSubscribers;
}
