/**
 * What tests use to look at the client from the outside, shared by the files that check what it
 * shows: every slotline diagnostics_channel message (traceAll), and every way a program or a log
 * could render a value (views). Imports the library's public surface only.
 */
import type { TracingChannelSubscribers } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { diagnosticsChannels } from '../../src/index.js';

export interface Traced {
  channel: 'command' | 'batch' | 'connect';
  phase: 'start' | 'asyncEnd' | 'error';
  context: Record<string, unknown>;
}

/** Subscribes to every slotline tracing channel; returns the record and an unsubscribe. */
export function traceAll(): { events: Traced[]; stop: () => void } {
  const events: Traced[] = [];
  const stops: Array<() => void> = [];
  for (const channel of ['command', 'batch', 'connect'] as const) {
    const tc = diagnosticsChannels[channel] as unknown as {
      subscribe(s: TracingChannelSubscribers<object>): void;
      unsubscribe(s: TracingChannelSubscribers<object>): void;
    };
    const record = (phase: Traced['phase']) => (message: object) =>
      events.push({ channel, phase, context: { ...(message as Record<string, unknown>) } });
    const subscribers: TracingChannelSubscribers<object> = {
      start: record('start'),
      end: () => {},
      asyncStart: () => {},
      asyncEnd: record('asyncEnd'),
      error: record('error'),
    };
    tc.subscribe(subscribers);
    stops.push(() => tc.unsubscribe(subscribers));
  }
  return { events, stop: () => stops.forEach((s) => s()) };
}

/** Every way a program or a log could show `value`: inspect (hidden fields, getters), String, JSON, message, stack, cause. */
export function views(value: unknown): string[] {
  const out = [inspect(value, { depth: Infinity, showHidden: true, getters: true }), inspect(value, { depth: 4 }), String(value)];
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch (error) {
    out.push(String(error));
  }
  if (value instanceof Error) out.push(value.message, value.stack ?? '', inspect(value.cause, { depth: Infinity, showHidden: true }));
  return out;
}
