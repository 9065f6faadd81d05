import { createClient } from '/work/wt-bulk/src/index.js';
const c = createClient({ port: 47391 });
await c.connect();
const id = String(await c.call('CLIENT', 'ID'));
function* src() { for (let i = 0; i < 1000; i++) yield ['set', `a:${i}`, 'x'] as const; yield ['client', 'kill', 'id', id, 'skipme', 'no'] as const; for (let i = 1001; i < 5000; i++) yield ['set', `a:${i}`, 'x'] as const; }
const kinds = new Map<string, number>();
try {
const r = await c.bulk(src(), { window: 1000, onReply: (r, i) => { const key = r instanceof Error ? r.constructor.name + (r as any).written : String(r); if (i >= 999 && i < 1003) console.log(i, r); kinds.set(key, (kinds.get(key) ?? 0) + 1); } });
console.log(r);
} catch (e) { console.log(String(e)); }
console.log(kinds);
await c.close();
