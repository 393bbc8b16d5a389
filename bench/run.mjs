// redis-doctor benchmark (`npm run bench` builds first). See bench/README.md.
//
// Measures
//   - the engine's own durationMs for a healthy, a refused and a dropped target;
//   - the CLI's wall time (spawn to exit) against a bare `node -e 0`.
// and compares each with its target. Exit status 0 even when a target is
// missed: the table says so; a benchmark on a shared 2-core box is a report,
// not a gate.
//
//   node bench/run.mjs [--runs N] [--timeout MS]
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDropNamespace, freePort, numberOpt, startRedis, stats, timed } from './lab.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'dist', 'cli', 'main.js');
const ENGINE_RUNS = join(here, 'engine-runs.mjs');

const RUNS = numberOpt('--runs', 30, 3, 60);
const DROP_RUNS = Math.min(10, Math.max(2, Math.round(RUNS / 4)));
const TIMEOUT_MS = numberOpt('--timeout', 1000, 100, 5000);

/** Runs a child with a bare environment, bounded in time; resolves with wall ms, exit code and stdout. */
const runBare = (cmd, args) => timed(cmd, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' } });

async function engineRuns(host, port, runs, netns) {
  const args = [ENGINE_RUNS, host, String(port), String(runs), String(TIMEOUT_MS)];
  const r = netns
    ? await runBare('ip', ['netns', 'exec', netns, process.execPath, ...args])
    : await runBare(process.execPath, args);
  if (r.code !== 0) throw new Error(`engine-runs exited ${r.code}`);
  return JSON.parse(r.out);
}

/**
 * Wall times of `node -e 0` and of each CLI command, round-robin: every round
 * runs all of them once, so load from other processes on the box falls on
 * every column alike instead of on whichever phase it happened to hit.
 */
async function wallTimes(commands, runs) {
  const samples = { bare: [], ...Object.fromEntries(Object.keys(commands).map((k) => [k, []])) };
  const codes = Object.fromEntries(Object.keys(commands).map((k) => [k, new Set()]));
  for (let i = 0; i < runs + 1; i++) {
    const round = { bare: (await runBare(process.execPath, ['-e', '0'])).ms };
    for (const [name, args] of Object.entries(commands)) {
      const r = await runBare(process.execPath, [CLI, ...args]);
      codes[name].add(r.code);
      round[name] = r.ms;
    }
    if (i === 0) continue; // the first round warms the file cache
    for (const [name, ms] of Object.entries(round)) samples[name].push(ms);
  }
  return { stats: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)])), codes };
}

const fmt = (ms) => (ms === undefined ? '—' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const rows = [];
function row(what, s, target, pass, note = '') {
  rows.push({ what, n: s?.n ?? 0, median: fmt(s?.median), p90: fmt(s?.p90), target, result: pass === undefined ? 'not measured' : pass ? 'ok' : 'MISSED', note });
}

const loadBefore = loadavg()[0];
const redis = await startRedis();
const drop = createDropNamespace();
const cleanup = () => drop.remove?.();
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });

try {
  const refusedPort = await freePort();

  const healthy = await engineRuns('127.0.0.1', redis.port, RUNS);
  const hs = stats(healthy.map((r) => r.durationMs));
  row('engine: healthy', hs, '≤ 50 ms', hs.p90 <= 50, `verdict ${healthy[0].verdict}`);

  const refused = await engineRuns('127.0.0.1', refusedPort, RUNS);
  const rs = stats(refused.map((r) => r.durationMs));
  row('engine: refused', rs, '≤ 20 ms', rs.p90 <= 20, `cause ${refused[0].primaryCause}`);

  if (drop.skipped) {
    row('engine: dropped', undefined, `≤ ${TIMEOUT_MS + 250} ms`, undefined, drop.skipped);
  } else {
    const dropped = await engineRuns(drop.address, drop.port, DROP_RUNS, drop.name);
    const ds = stats(dropped.map((r) => r.durationMs));
    row('engine: dropped', ds, `≤ ${TIMEOUT_MS + 250} ms`, ds.max <= TIMEOUT_MS + 250, `timeout ${TIMEOUT_MS} ms, cause ${dropped[0].primaryCause}`);
  }

  const wall = await wallTimes({
    '--version': ['--version'],
    'diagnose healthy --json': ['diagnose', `127.0.0.1:${redis.port}`, '--json', '--timeout', String(TIMEOUT_MS)],
    'diagnose refused --json': ['diagnose', `127.0.0.1:${refusedPort}`, '--json', '--timeout', String(TIMEOUT_MS)],
  }, RUNS);
  const bare = wall.stats.bare;
  row('node -e 0 (bare start)', bare, '—', true, `min ${fmt(bare.min)}`);
  for (const [name, s] of Object.entries(wall.stats)) {
    if (name === 'bare') continue;
    row(`cli: ${name}`, s, `≤ 3× bare (${fmt(3 * bare.median)})`, s.median <= 3 * bare.median,
      `${(s.median / bare.median).toFixed(2)}× bare (min ${(s.min / bare.min).toFixed(2)}×); exit ${[...wall.codes[name]].join(',')}`);
  }
} finally {
  cleanup();
  await redis.stop();
}

let nodeVersion = process.version;
try { nodeVersion = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim(); } catch { /* keep */ }
console.log(`redis-doctor bench — ${new Date().toISOString()} — node ${nodeVersion}, ${cpus().length} cpu(s), ${RUNS} runs (dropped: ${DROP_RUNS}), times in ms`);
// Other work on the box inflates both sides of the CLI ratio unevenly: the load average says how quiet it was.
console.log(`1-minute load average: ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`);
console.log('engine rows: durationMs reported by diagnose(); "result" compares p90 (dropped: max) with the target.');
console.log('cli rows: wall time from spawn to exit, measured round-robin with node -e 0; "result" compares the median with 3× the median of node -e 0.\n');
const cols = ['what', 'n', 'median', 'p90', 'target', 'result', 'note'];
const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...rows.map((r) => String(r[c]).length))]));
const line = (r) => `| ${cols.map((c) => String(r[c]).padEnd(width[c])).join(' | ')} |`;
console.log(line(Object.fromEntries(cols.map((c) => [c, c]))));
console.log(`| ${cols.map((c) => '-'.repeat(width[c])).join(' | ')} |`);
for (const r of rows) console.log(line(r));
