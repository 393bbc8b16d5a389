// redis-doctor topology benchmark (`npm run bench` runs it after bench/run.mjs). See bench/README.md.
//
// Measures the engine's own durationMs, in one process and round-robin, for
//   - a healthy standalone primary (the baseline),
//   - a node of a healthy three-node cluster (follow-up round trip + the two other nodes followed),
//   - a Sentinel target named with its master (follow-up + the primary diagnosed + its replica),
// and judges each topology target against 5× the standalone median of the same run.
// `--compare <dir>`: also the standalone target with another build's engine
// (<dir>/dist/engine/pipeline/diagnose.js), to see whether the healthy
// standalone path got slower.
//   node bench/topology.mjs [--runs N] [--timeout MS] [--compare DIR]
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberOpt, startRedis, stats, timed, waitFor } from './lab.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const RUNS_SCRIPT = join(here, 'topology-runs.mjs');
const argv = process.argv.slice(2);
const RUNS = numberOpt('--runs', 60, 5, 200);
const TIMEOUT_MS = numberOpt('--timeout', 1000, 100, 5000);
const COMPARE = argv.includes('--compare') ? argv[argv.indexOf('--compare') + 1] : undefined;

const cli = (port, ...args) => execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 }).trim();

const servers = [];
const stopAll = () => Promise.all(servers.map((s) => s.stop()));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopAll().finally(() => process.exit(130)); });

const loadBefore = loadavg();
let results;
try {
  const standalone = await startRedis();
  servers.push(standalone);
  const nodes = [];
  for (let i = 0; i < 3; i++) {
    const n = await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000']);
    servers.push(n);
    nodes.push(n);
  }
  const ranges = [[0, 5460], [5461, 10922], [10923, 16383]];
  nodes.forEach((n, i) => cli(n.port, 'CLUSTER', 'ADDSLOTSRANGE', String(ranges[i][0]), String(ranges[i][1])));
  for (const n of nodes.slice(1)) cli(nodes[0].port, 'CLUSTER', 'MEET', '127.0.0.1', String(n.port));
  await waitFor('cluster_state:ok', () => nodes.every((n) => /cluster_state:ok/.test(cli(n.port, 'CLUSTER', 'INFO')) && /cluster_known_nodes:3/.test(cli(n.port, 'CLUSTER', 'INFO'))), 15_000);

  const primary = await startRedis(['--repl-diskless-sync-delay', '0']);
  servers.push(primary);
  const replica = await startRedis(['--replicaof', '127.0.0.1', String(primary.port)]);
  servers.push(replica);
  await waitFor('the replica link', () => /master_link_status:up/.test(cli(replica.port, 'INFO', 'replication')), 15_000);
  const sentinel = await startRedis([], { sentinelConf: `sentinel monitor mymaster 127.0.0.1 ${primary.port} 1\nsentinel down-after-milliseconds mymaster 2000\n` });
  servers.push(sentinel);
  await waitFor('the Sentinel to know the replica', () => /num-slaves\n1/.test(cli(sentinel.port, 'SENTINEL', 'MASTER', 'mymaster')), 15_000);

  const targets = [
    { label: 'standalone', host: '127.0.0.1', port: standalone.port },
    { label: 'cluster', host: '127.0.0.1', port: nodes[0].port, topology: { cluster: true } },
    { label: 'sentinel', host: '127.0.0.1', port: sentinel.port, topology: { sentinelMaster: 'mymaster' } },
  ];
  if (COMPARE) targets.push({ label: 'standalone (compare build)', host: '127.0.0.1', port: standalone.port, engine: resolve(COMPARE, 'dist/engine/pipeline/diagnose.js') });
  const r = await timed(process.execPath, [RUNS_SCRIPT, JSON.stringify(targets), String(RUNS), String(TIMEOUT_MS)], { stderr: 'inherit', killAfterMs: 300_000 });
  if (r.code !== 0) throw new Error(`topology-runs exited ${r.code}`);
  results = JSON.parse(r.out);
} finally {
  await stopAll();
}

const fmt = (ms) => (ms === undefined ? '—' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const base = stats(results.standalone.map((x) => x.durationMs));
const rows = Object.entries(results).map(([label, samples]) => {
  const s = stats(samples.map((x) => x.durationMs));
  const ratio = s.median / base.median;
  const judged = label === 'cluster' || label === 'sentinel';
  const verdicts = [...new Set(samples.map((x) => `${x.verdict}${x.primaryCause ? ` ${x.primaryCause}` : ''}`))].join(', ');
  return {
    what: `engine: ${label}`, n: s.n, median: fmt(s.median), p90: fmt(s.p90), ratio: `${ratio.toFixed(2)}×`,
    target: judged ? `≤ 5× standalone (${fmt(5 * base.median)})` : '—',
    result: judged ? (ratio <= 5 ? 'ok' : 'MISSED') : '—',
    note: `${verdicts}; ${samples[0].checks} checks`,
  };
});

let nodeVersion = process.version;
try { nodeVersion = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim(); } catch { /* keep */ }
console.log(`redis-doctor topology bench — ${new Date().toISOString()} — node ${nodeVersion}, ${cpus().length} cpu(s), ${RUNS} rounds, --timeout ${TIMEOUT_MS}, times in ms`);
console.log(`load average: ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${loadavg().map((x) => x.toFixed(2)).join(' ')} after`);
console.log('durationMs reported by diagnose(), one process, targets round-robin; "ratio" is median over the standalone median of the same run.\n');
const cols = ['what', 'n', 'median', 'p90', 'ratio', 'target', 'result', 'note'];
const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...rows.map((x) => String(x[c]).length))]));
const line = (x) => `| ${cols.map((c) => String(x[c]).padEnd(width[c])).join(' | ')} |`;
console.log(line(Object.fromEntries(cols.map((c) => [c, c]))));
console.log(`| ${cols.map((c) => '-'.repeat(width[c])).join(' | ')} |`);
for (const x of rows) console.log(line(x));
