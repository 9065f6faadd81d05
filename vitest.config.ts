import { defineConfig } from 'vitest/config';

// One standalone server and one 3+3 cluster are started once per run by the global setup;
// see the rule at the top of test/harness/global-setup.ts before using them.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    // Forks, not threads: tests spawn and signal server processes, and a worker that
    // crashes must take only itself down.
    pool: 'forks',
    // The CI machine has 2 cores shared by the test workers and the 7 servers.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
