import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Test files share one PostgreSQL server; each file creates its own schema.
    fileParallelism: true,
    pool: 'forks',
    // The last line of every run is `N passed, N failed[, N skipped][, N errors]`.
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
