import { createCluster } from '/work/wt-bulk/src/index.js';
import { startCluster } from '/work/wt-bulk/test/harness/servers.js';
const servers = await startCluster({ primaries: 3, replicasPerPrimary: 0 });
try {
  for (const count of [300_000, 1_200_000]) {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '/work/wt-bulk/.scratch/cl-child.mts', String(servers.seeds[0]!.port), String(count)], { encoding: 'utf8', timeout: 120000 });
    console.log(out.trim());
  }
} finally { await servers.stop(); }
