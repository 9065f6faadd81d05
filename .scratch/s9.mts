import { bulk } from '/work/wt-bulk/bench/src/scenarios/bulk.ts';
import { renderTable } from '/work/wt-bulk/bench/src/report.ts';
const ctx = { quick: true, pinned: false, clients: [{ name: 'slotline' }], servers: { standalone: async () => ({ host: '127.0.0.1', port: 47391 }) }, log: (l: string) => console.error(l) } as never;
for (const r of await bulk.run(ctx)) console.log(renderTable(r));
