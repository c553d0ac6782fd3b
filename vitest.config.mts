import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One embedded PostgreSQL server for the run; each file clones a migrated template database.
    globalSetup: ['test/global-setup.ts'],
    // Temporal's native core and worker threads do not mix: one process per test file.
    pool: 'forks',
    // Files that start Temporal servers compete for 2 cores; run them one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    // The product's JSON log (src/log.ts) at warn: request lines stay out of the test output.
    env: { LOG_LEVEL: 'warn' },
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
