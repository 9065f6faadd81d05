import { startCluster } from '/work/wt-bulk/test/harness/servers.js';
import { execFileSync } from 'node:child_process';
const servers = await startCluster({ primaries: 3, replicasPerPrimary: 0 });
try {
  for (const args of [['300000', 'pipeline'], ['300000', 'bulk', '4000'], ['300000', 'bulk', '16000'], ['300000', 'pipeline']]) {
    console.log(execFileSync(process.execPath, ['--import', 'tsx', '/work/wt-bulk/.scratch/cl-child2.mts', String(servers.seeds[0]!.port), ...args], { encoding: 'utf8', timeout: 120000 }).trim());
  }
} finally { await servers.stop(); }
