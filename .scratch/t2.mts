import { createClient } from '/work/wt-bulk/src/index.js';
const c = createClient({ port: 47391 });
await c.connect();
const tuples = Array.from({ length: 100000 }, (_, i) => ['set', `k:${i}`, `v${i}`] as const);
let t0 = performance.now();
await c.pipeline(tuples as never).exec();
console.log('pipeline', (performance.now() - t0).toFixed(0));
for (const window of [1000, 2000, 4000, 16000]) {
t0 = performance.now();
const times: number[] = [];
await c.bulk(tuples, { window, onReply: (r, i) => { if (i % 10000 === 0) times.push(Math.round(performance.now() - t0)); } });
console.log('bulk', window, (performance.now() - t0).toFixed(0), times.join(','));
}
await c.close();
