// Two builds of the CLI in one run, round-robin with a bare `node -e 0`: what a change costs
// the healthy path, with the machine's load falling on every column alike.
//
//   node bench/compare-builds.mjs <other build's dist/cli/main.js> [--runs N]
//
// e.g. the build before a change: `git worktree add /tmp/base <commit>`, `npm run build` there.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { numberOpt, startRedis, stats, timed } from './lab.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const THIS_CLI = join(here, '..', 'dist', 'cli', 'main.js');
const OTHER_CLI = process.argv[2];
if (!OTHER_CLI || OTHER_CLI.startsWith('--')) {
  console.error('usage: node bench/compare-builds.mjs <other dist/cli/main.js> [--runs N]');
  process.exit(2);
}
const RUNS = numberOpt('--runs', 30, 3, 100);
const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };

const redis = await startRedis();
const load = loadavg()[0];
try {
  const target = `127.0.0.1:${redis.port}`;
  const columns = {
    'node -e 0': [process.execPath, ['-e', '0']],
    'other build: diagnose --json': [process.execPath, [OTHER_CLI, 'diagnose', target, '--json']],
    'this build: diagnose --json': [process.execPath, [THIS_CLI, 'diagnose', target, '--json']],
  };
  const times = Object.fromEntries(Object.keys(columns).map((k) => [k, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const [name, [cmd, args]] of Object.entries(columns)) {
      const r = await timed(cmd, args, { env });
      if (name !== 'node -e 0' && r.code !== 0) throw new Error(`${name} exited ${r.code}`);
      times[name].push(r.ms);
    }
  }
  const bare = stats(times['node -e 0']).median;
  console.log(`compare-builds — ${new Date().toISOString()} — node ${process.version}, ${RUNS} rounds, 1-minute load ${load.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`);
  console.log('| what | median ms | p90 ms | × bare median |');
  console.log('| --- | --- | --- | --- |');
  for (const [name, values] of Object.entries(times)) {
    const s = stats(values);
    console.log(`| ${name} | ${s.median.toFixed(1)} | ${s.p90.toFixed(1)} | ${(s.median / bare).toFixed(2)}× |`);
  }
} finally {
  await redis.stop();
}
