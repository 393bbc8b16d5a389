import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first, started before all others. Most of them
 * wait rather than compute (the monitor's 5 s intervals and its 50 s flap window, image
 * builds, a bot process restarted); fuzz computes. Started last, as vitest's own order does
 * on a clean clone (larger files first; durations are only known from a previous run), one
 * of them alone trailed the suite by minutes. Started first, their waiting overlaps the
 * files that compute. Keep the list short: a file that drops out of the slowest few only
 * loses its head start. compose.test.ts leads: on a fresh machine it builds the lab's images
 * (debootstrap, Redis, the project's image), which image.test.ts and containers.test.ts reuse.
 */
export const LONG_FILES = [
  'test/integration/compose.test.ts',
  'test/monitor/flap-restart.test.ts',
  'test/faults/fuzz.test.ts',
  'test/monitor/alerts.test.ts',
  'test/monitor/processes.test.ts',
  'test/locations/remediate.test.ts',
  'test/monitor/routing.test.ts',
  'test/packaging.test.ts',
  'test/faults/jobs.test.ts',
  'test/monitor/silence.test.ts',
  'test/locations/monitor.test.ts',
  'test/integration/container-events.test.ts',
  'test/monitor/shards.test.ts',
  'test/monitor/latency-alerts.test.ts',
  'test/faults/queue-sentinel.test.ts',
  'test/monitor/latency-netns.test.ts',
];

class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONG_FILES.indexOf(relative(f.project.config.root, f.moduleId));
      return i === -1 ? LONG_FILES.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores, but most of the slow files wait (monitor intervals, flap windows, image builds)
    // rather than compute: three files at once, the waiting ones started first (LONG_FILES).
    // VITEST_MAX_WORKERS=4 overrides it (four were not measured on a quiet machine yet).
    maxWorkers: 3,
    sequence: { sequencer: LongFirst },
    reporters: ['default'],
  },
});
