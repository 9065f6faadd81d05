import { createClient, BulkError } from '/work/wt-bulk/src/index.js';
const c = createClient({ port: 47391 });
await c.connect();
function* src(n: number) { for (let i = 0; i < n; i++) yield ['set', `k:${i}`, `v${i}`] as const; }
let last = -1; let bad = 0;
const t0 = performance.now();
const r = await c.bulk(src(100000), { onReply: (rep, i) => { if (i !== last + 1) bad++; last = i; } });
console.log(r, bad, last, (performance.now() - t0).toFixed(0), 'ms');
const r2 = await c.bulk([['get', 'k:5'], ['lpop', 'k:5'], 'oops' as never, ['select', 1], ['blpop', 'x', 0], ['get', 'k:6']], { onReply: (rep, i) => console.log(i, rep instanceof Error ? rep.constructor.name + ': ' + rep.message : rep) });
console.log(r2);
async function* asrc() { yield ['set', 'a', '1'] as const; await new Promise(r => setTimeout(r, 20)); yield ['get', 'a'] as const; throw new Error('boom'); }
try { await c.bulk(asrc(), { onReply: (rep, i) => console.log('a', i, rep) }); } catch (e) { console.log((e as BulkError).message, (e as BulkError).reason); }
const ac = new AbortController();
setTimeout(() => ac.abort(), 50);
try { await c.bulk(src(1e9), { signal: ac.signal }); } catch (e) { console.log((e as BulkError).message); }
try { await c.bulk(src(100), { onReply: async (rep, i) => { if (i === 50) throw new Error('consumer'); } }); } catch (e) { console.log((e as BulkError).message); }
console.log(await c.get('k:99999'));
await c.close();
