/**
 * Scenario 9, Pub/Sub on one server: one publisher, one subscriber, 64-byte payloads, each
 * client library on both ends. Two measurements per client:
 *   - throughput: N messages published with 100 PUBLISHes in flight; messages/s from the first
 *     publish to the last delivery (every message must arrive, else the cell is n/a);
 *   - delivery latency: PUBLISHes one at a time, each payload carrying its send time; p50 and
 *     p99 of send → listener call, in µs.
 * A warm-up message must arrive first, so a subscription still being set up is never timed.
 */
import { randomUUID } from 'node:crypto';
import { PUBSUB } from '../adapters/pubsub.js';
import { na, ok, type Cell, type Row } from '../report.js';
import { Deadline, errorText, now, Samples, collectGarbage } from '../stats.js';
import { logCell, type Scenario } from './common.js';

const PAYLOAD_BYTES = 64;
const IN_FLIGHT = 100;

/** `seq:time` padded to exactly 64 bytes. */
function payload(seq: number, at: number): string {
  const head = `${seq}:${at.toFixed(3)}:`;
  return head + 'x'.repeat(PAYLOAD_BYTES - head.length);
}

function parse(p: string): { seq: number; at: number } {
  const [seq, at] = p.split(':');
  return { seq: Number(seq), at: Number(at) };
}

export const pubsub: Scenario = {
  id: 11,
  title: 'Pub/Sub: one publisher, one subscriber, 64-byte payloads',
  async run(ctx) {
    const p = ctx.quick ? { messages: 20_000, latency: 2000 } : { messages: 100_000, latency: 10_000 };
    const server = await ctx.servers.standalone();
    const rows: Row[] = [];
    for (const spec of ctx.clients) {
      const open = PUBSUB[spec.name];
      if (open === undefined) continue; // variants and the raw baseline have no Pub/Sub
      collectGarbage();
      const deadline = new Deadline(ctx.quick ? 30_000 : 90_000);
      let pair: Awaited<ReturnType<typeof open>> | undefined;
      let cell: Cell;
      try {
        let received = 0;
        let onDelivered: (() => void) | undefined;
        let latencies: Samples | undefined;
        const channel = `bench:pubsub:${randomUUID()}`;
        pair = await deadline.race(
          open(server, channel, (message) => {
            received++;
            if (latencies !== undefined) latencies.push(now() - parse(message).at);
            onDelivered?.();
          }),
        );
        const opened = pair;
        // Warm-up: the subscription is live once a message comes back.
        for (let i = 0; received === 0; i++) {
          deadline.check();
          await opened.publish(payload(-1, now()));
          await new Promise((r) => setTimeout(r, 10));
        }
        await new Promise((r) => setTimeout(r, 50));
        received = 0;
        // Throughput.
        const all = new Promise<void>((resolve) => (onDelivered = () => received >= p.messages && resolve()));
        const t0 = now();
        let next = 0;
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            for (let i = next++; i < p.messages; i = next++) {
              await opened.publish(payload(i, now()));
              if ((i & 1023) === 0) deadline.check();
            }
          }),
        );
        await deadline.race(all);
        const rate = p.messages / ((now() - t0) / 1000);
        onDelivered = undefined;
        // Latency, one at a time.
        latencies = new Samples(p.latency);
        for (let i = 0; i < p.latency; i++) {
          await opened.publish(payload(i, now()));
          if ((i & 255) === 0) deadline.check();
        }
        await deadline.race(
          new Promise<void>((resolve) => {
            const poll = (): void => (latencies!.length >= p.latency ? resolve() : void setTimeout(poll, 5));
            poll();
          }),
        );
        cell = ok(rate, latencies.percentile(50) * 1000, latencies.percentile(99) * 1000);
      } catch (error) {
        cell = na(errorText(error));
      } finally {
        await pair?.close().catch((error: unknown) => ctx.log(`  ${spec.name}: close failed: ${errorText(error)}`));
      }
      logCell(ctx, spec.name, cell, 'msgs/s');
      rows.push({ client: spec.name, role: spec.role, cell });
    }
    return [
      {
        id: '11',
        title: this.title,
        columns: ['msgs/s', 'p50 µs', 'p99 µs'],
        better: 'higher',
        rows,
        notes: [
          `${p.messages} messages with ${IN_FLIGHT} PUBLISHes in flight for msgs/s (first publish to last delivery); ` +
            `${p.latency} PUBLISHes one at a time for the delivery latency (send to listener call)`,
          'each client library on both ends: its own publisher and subscriber connections',
        ],
        params: { messages: p.messages, latencyMessages: p.latency, payloadBytes: PAYLOAD_BYTES, inFlight: IN_FLIGHT },
      },
    ];
  },
};
