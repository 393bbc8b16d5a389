import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores, but most of the slow files wait (monitor intervals, flap windows, image builds)
    // rather than compute: three files at once keep the suite well inside CI's budget.
    maxWorkers: 3,
    reporters: ['default'],
  },
});
