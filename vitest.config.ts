import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: integration files start real servers; more workers only add contention.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
