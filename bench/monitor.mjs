// Monitor benchmark (`npm run bench:monitor` builds first). See bench/README.md.
//
// 1,000 monitored targets — healthy redis-servers, refused ports, and ports
// dropped by an iptables DROP rule — probed every 10 s by the built bot
// (`node dist/main.js`: Slack front end, diagnose worker and monitor in one
// process, its own queue redis-server) and, in the same run, at the same rate,
// by Prometheus blackbox_exporter (a `tcp` module sending PING and expecting
// +PONG), driven by a bounded loop of /probe requests as Prometheus would
// scrape it. Reported: CPU per probe of each (from /proc/<pid>/stat), the
// ratio (target ≤ 2×), the RSS at the end, and what the bot says that
// blackbox_exporter does not: the cause of each down target.
//
// Everything runs inside a network namespace this script creates (rdbench-mon-<pid>):
// its loopback holds the healthy and refused addresses, plus one address in
// 198.18.0.0/15 whose TCP packets an INPUT DROP rule swallows. The namespace,
// every process started and the temp files are removed on exit, error, SIGINT
// and SIGTERM. Needs root (ip netns, iptables); installs the Debian package
// prometheus-blackbox-exporter when its binary is missing (no service is
// started: the binary is run here with its own config file).
//
//   node bench/monitor.mjs [--minutes 10] [--targets 1000] [--interval 10] [--timeout 2000]
//
// Mode --tick-cost (issue 18, no root needed): what the latency sample and the
// run_id read add to one tick's probe (dist/engine/probes/up.js) against a local
// redis-server: the handshake alone (before), + LATENCY_PINGS PINGs, + INFO server
// (what a tick does now); rounds interleaved, wall time and this process's CPU
// time per probe.
//
//   node bench/monitor.mjs --tick-cost [--probes 2000]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, numberOpt, pingOnce, startRedis, stats, waitFor } from './lab.mjs';
import { rssOf, startBot, startDouble } from './slack-lab.mjs';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
const argv = process.argv.slice(2);
const MINUTES = numberOpt('--minutes', 10, 0.5, 60);
const TARGETS = numberOpt('--targets', 1000, 30, 3000);
const INTERVAL_S = numberOpt('--interval', 10, 5, 60);
const TIMEOUT_MS = numberOpt('--timeout', 2000, 200, 10_000);
const INSIDE = argv.includes('--inside');
const log = (...a) => console.error(`[bench:monitor ${new Date().toISOString().slice(11, 19)}]`, ...a);


// ---------------------------------------------------------------------------
// Outside the namespace: the binary, the namespace and its DROP rule, then this script again inside.

function ensureBlackbox() {
  if (existsSync(BLACKBOX)) return;
  log('installing prometheus-blackbox-exporter (apt-get)');
  const before = pidsOf(BLACKBOX);
  // Debian's policy-rc.d protocol: exit 101 forbids maintainer scripts to start services.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus-blackbox-exporter'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  // Should the package have started its service anyway, stop exactly the processes it started.
  for (const pid of pidsOf(BLACKBOX)) if (!before.includes(pid)) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
}

// By the executable's path at the start of the command line: `pgrep -x` matches
// only the first 15 characters of a process name, too few for this binary.
function pidsOf(path) {
  try {
    return execFileSync('pgrep', ['-f', `^${path}( |$)`], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function outer() {
  if (process.getuid?.() !== 0) {
    console.log('monitor benchmark: not measured (needs root for ip netns and iptables)');
    return;
  }
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run npm run build first (npm run bench:monitor does)');
  ensureBlackbox();
  const name = `rdbench-mon-${process.pid}`;
  const n = process.pid % 65536;
  const dropAddress = `198.19.${(n >> 8) & 255}.${(n & 255) | 1}`;
  const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    // Whatever still runs in the namespace was started by this benchmark.
    try {
      for (const pid of execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split(/\s+/).filter(Boolean)) {
        try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
      }
    } catch { /* no namespace */ }
    try { ip('netns', 'del', name); } catch { /* already gone */ }
  };
  process.on('exit', remove);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { remove(); process.exit(130); });
  ip('netns', 'add', name);
  ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  ip('netns', 'exec', name, 'ip', 'addr', 'add', `${dropAddress}/32`, 'dev', 'lo');
  ip('netns', 'exec', name, 'iptables', '-w', '5', '-A', 'INPUT', '-p', 'tcp', '-d', dropAddress, '-j', 'DROP');
  const child = spawn('ip', ['netns', 'exec', name, process.execPath, fileURLToPath(import.meta.url), '--inside', '--drop-address', dropAddress, ...argv], { stdio: 'inherit' });
  const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  remove();
  process.exitCode = code;
}

// ---------------------------------------------------------------------------
// Inside the namespace.

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") ": utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

const rssMiB = (pid) => rssOf(pid) / 1048576;

function httpGet(url, agent) {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => { body += c; }).on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(TIMEOUT_MS + 5000, () => req.destroy(new Error('timeout')));
  });
}

async function inside() {
  const dropAddress = argv[argv.indexOf('--drop-address') + 1];
  const dir = mkdtempSync(join(tmpdir(), `rd-bench-monitor-${process.pid}-`));
  const children = [];
  const started = (child, what) => {
    children.push({ child, what });
    child.on('exit', (code, sig) => { if (!stopping) log(`${what} exited (${code ?? sig})`); });
    return child;
  };
  let stopping = false;
  const cleanup = () => {
    stopping = true;
    for (const { child } of children) { try { child.kill('SIGKILL'); } catch { /* gone */ } }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });

  const redisServer = (args, what) => started(spawn('/usr/bin/redis-server', ['--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', ...args], { stdio: 'ignore' }), what);

  // The targets: a third healthy (redis-servers, 16 listen addresses each: Redis binds at most 16),
  // a third refused (loopback addresses nobody listens on), a third dropped (ports of the DROP address).
  const healthyN = Math.ceil(TARGETS / 3);
  const refusedN = Math.floor((TARGETS - healthyN) / 2);
  const droppedN = TARGETS - healthyN - refusedN;
  const targets = [];
  const servers = Math.ceil(healthyN / 16);
  for (let s = 0; s < servers; s++) {
    const addrs = [];
    for (let a = 1; a <= 16 && targets.length < healthyN; a++) {
      addrs.push(`127.3.${s}.${a}`);
      targets.push({ name: `healthy-${targets.length}`, kind: 'healthy', host: `127.3.${s}.${a}`, port: 6400 });
    }
    redisServer(['--port', '6400', '--bind', ...addrs, '--maxclients', '2000'], `healthy redis-server ${s}`);
  }
  for (let i = 0; i < refusedN; i++) targets.push({ name: `refused-${i}`, kind: 'refused', host: `127.4.${i >> 7}.${(i & 127) + 1}`, port: 6400 });
  for (let i = 0; i < droppedN; i++) targets.push({ name: `dropped-${i}`, kind: 'dropped', host: dropAddress, port: 20000 + i });
  const queuePort = await freePort();
  const queue = redisServer(['--port', String(queuePort), '--bind', '127.0.0.1'], 'queue redis-server');
  await waitFor('the redis-servers', async () => (await pingOnce(queuePort)) && (await pingOnce(6400, '127.3.0.1')) && (await pingOnce(6400, `127.3.${servers - 1}.1`)));

  // A Slack Web API double (slack-lab.mjs): counts alerts by the cause id they name.
  const alerts = new Map();
  const seen = { parents: 0, replies: 0, updates: 0 };
  const double = await startDouble({
    onCall: (method, body) => {
      if (method === 'chat.update') seen.updates += 1;
      if (method !== 'chat.postMessage') return;
      if (body.thread_ts) seen.replies += 1;
      else if ((body.blocks ?? '').includes('"alert:')) {
        seen.parents += 1;
        const cause = /is down: ([a-z-]+)/.exec(body.text ?? '')?.[1] ?? 'none';
        const kind = /"alert:([a-z]+)-/.exec(body.blocks)?.[1] ?? '?';
        const key = `${kind} → ${cause}`;
        alerts.set(key, (alerts.get(key) ?? 0) + 1);
      }
    },
  });

  // The bot, as `npm start` runs it.
  const yaml = ['targets:', ...targets.map((t) => `  - { name: ${t.name}, url: "redis://${t.host}:${t.port}" }`),
    'alerts:', '  channel: C0BENCH', `  intervalSeconds: ${INTERVAL_S}`, '  targets: ["*"]'].join('\n');
  const configPath = join(dir, 'redis-doctor.yaml');
  writeFileSync(configPath, `${yaml}\n`);
  const prefix = `{rdbench-${process.pid}}`;
  // slack-lab.mjs: BENCH_NODE_ARGS (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof) goes to the bot's node, for profiling.
  const bot = await startBot({
    doubleUrl: double.url, configPath, prefix, readyMs: 30_000,
    env: { REDIS_URL: `redis://127.0.0.1:${queuePort}`, REDIS_DOCTOR_TIMEOUT_MS: String(TIMEOUT_MS), LOG_LEVEL: 'warn' },
  });
  started(bot.child, 'the bot');

  // blackbox_exporter with a tcp module doing what the bot's probe does: connect, PING, +PONG.
  const bbPort = await freePort();
  const bbConfig = join(dir, 'blackbox.yml');
  writeFileSync(bbConfig, [
    'modules:',
    '  redis_ping:',
    '    prober: tcp',
    `    timeout: ${TIMEOUT_MS / 1000}s`,
    '    tcp:',
    '      query_response:',
    '        - send: "PING\\r\\n"',
    '        - expect: "^\\\\+PONG"',
    '',
  ].join('\n'));
  const blackbox = started(spawn(BLACKBOX, [`--config.file=${bbConfig}`, `--web.listen-address=127.0.0.1:${bbPort}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'inherit'] }), 'blackbox_exporter');
  await waitFor('blackbox_exporter', async () => (await httpGet(`http://127.0.0.1:${bbPort}/-/healthy`)).status === 200);
  const sample = await httpGet(`http://127.0.0.1:${bbPort}/probe?target=127.3.0.1:6400&module=redis_ping`);
  if (!/probe_success 1/.test(sample.body)) throw new Error(`blackbox_exporter does not see a healthy target as up:\n${sample.body.slice(0, 2000)}`);

  // Prometheus's side: each target once per interval, spread over it, a bounded number in flight.
  const agent = new Agent({ keepAlive: true, maxSockets: 400 });
  const bb = { done: 0, sent: 0, skipped: 0, errors: 0, success: { healthy: 0, refused: 0, dropped: 0 }, failure: { healthy: 0, refused: 0, dropped: 0 } };
  let inFlight = 0;
  const MAX_IN_FLIGHT = 400;
  const runUntil = Date.now() + MINUTES * 60_000;
  const scrape = (t) => {
    if (inFlight >= MAX_IN_FLIGHT) { bb.skipped += 1; return; }
    inFlight += 1;
    bb.sent += 1;
    httpGet(`http://127.0.0.1:${bbPort}/probe?target=${t.host}:${t.port}&module=redis_ping`, agent).then((r) => {
      bb.done += 1;
      if (/^probe_success 1$/m.test(r.body)) bb.success[t.kind] += 1;
      else bb.failure[t.kind] += 1;
    }, () => { bb.errors += 1; }).finally(() => { inFlight -= 1; });
  };
  const spacing = (INTERVAL_S * 1000) / targets.length;
  const t0 = Date.now();
  let next = 0;
  const driver = setInterval(() => {
    const due = Math.floor((Date.now() - t0) / spacing);
    for (; next <= due && Date.now() < runUntil; next++) scrape(targets[next % targets.length]);
    if (Date.now() >= runUntil) clearInterval(driver);
  }, 5);

  // The bot's probes: each counted tick bumps its target's state version (stores/monitor-store.ts).
  const { Redis } = await import('ioredis');
  const q = new Redis(`redis://127.0.0.1:${queuePort}`, { maxRetriesPerRequest: 1 });
  const botTicks = async () => {
    const pipe = q.pipeline();
    for (const t of targets) pipe.hget(`${prefix}:store:monitor:state:${t.name}`, 'v');
    return (await pipe.exec()).reduce((sum, [, v]) => sum + Number(v ?? 0), 0);
  };

  const warmupMs = Math.min(120_000, Math.max(20_000, MINUTES * 60_000 * 0.25));
  log(`${targets.length} targets (${healthyN} healthy, ${refusedN} refused, ${droppedN} dropped at ${dropAddress}) every ${INTERVAL_S} s, ${MINUTES} min; warm-up ${Math.round(warmupMs / 1000)} s (the first incidents: diagnoses and alerts)`);
  const snap = async () => ({ at: Date.now(), bot: cpuSeconds(bot.pid), queue: cpuSeconds(queue.pid), bb: cpuSeconds(blackbox.pid), botTicks: await botTicks(), bbDone: bb.done });
  const start = await snap();
  await new Promise((r) => setTimeout(r, warmupMs));
  const a = await snap();
  const load0 = loadavg();
  const parentsAfterWarmup = seen.parents;
  while (Date.now() < runUntil) await new Promise((r) => setTimeout(r, Math.min(10_000, Math.max(0, runUntil - Date.now()))));
  const b = await snap();
  const rss = { bot: rssMiB(bot.pid), queue: rssMiB(queue.pid), bb: rssMiB(blackbox.pid) };
  const load1 = loadavg();

  // What each one knows at the end.
  const states = await Promise.all(targets.map(async (t) => ({ t, s: JSON.parse((await q.hget(`${prefix}:store:monitor:state:${t.name}`, 's')) ?? '{}') })));
  const stateCount = {};
  for (const { t, s } of states) {
    const key = `${t.kind} ${s.status ?? 'never probed'}`;
    stateCount[key] = (stateCount[key] ?? 0) + 1;
  }

  const secs = (b.at - a.at) / 1000;
  const botProbes = b.botTicks - a.botTicks;
  const bbProbes = b.bbDone - a.bbDone;
  const perProbe = (cpu, n) => (n > 0 ? (cpu / n) * 1e6 : NaN);
  const botUs = perProbe(b.bot - a.bot, botProbes);
  const queueUs = perProbe(b.queue - a.queue, botProbes);
  const bbUs = perProbe(b.bb - a.bb, bbProbes);
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const row = (cells) => `| ${cells.join(' | ')} |`;
  console.log(`\nredis-doctor monitor benchmark — ${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB`);
  console.log(`${targets.length} targets (${healthyN} healthy redis-servers on ${servers} processes, ${refusedN} refused, ${droppedN} dropped by iptables DROP at ${dropAddress}), every ${INTERVAL_S} s, probe timeout ${TIMEOUT_MS} ms; ${MINUTES} min in all, measured over the last ${f(secs, 0)} s after a ${Math.round(warmupMs / 1000)} s warm-up`);
  console.log(`load average ${load0.map((l) => l.toFixed(2)).join(' ')} at the start of the window, ${load1.map((l) => l.toFixed(2)).join(' ')} at the end\n`);
  console.log(row(['', 'probes in window', 'probes/s', 'CPU s', 'CPU per probe', 'RSS at end']));
  console.log(row(['---', '---', '---', '---', '---', '---']));
  console.log(row(['redis-doctor bot process (node dist/main.js)', String(botProbes), f(botProbes / secs), f(b.bot - a.bot, 2), `${f(botUs)} µs`, `${f(rss.bot)} MiB`]));
  console.log(row(['its queue redis-server (BullMQ, states)', '', '', f(b.queue - a.queue, 2), `${f(queueUs)} µs`, `${f(rss.queue)} MiB`]));
  console.log(row(['blackbox_exporter 0.23 (tcp module, PING/+PONG)', String(bbProbes), f(bbProbes / secs), f(b.bb - a.bb, 2), `${f(bbUs)} µs`, `${f(rss.bb)} MiB`]));
  const ratio = botUs / bbUs;
  console.log(`\nbot / blackbox_exporter CPU per probe: ${f(ratio, 2)}× (target ≤ 2×: ${ratio <= 2 ? 'met' : 'MISSED'}); with the queue Redis counted as the bot's: ${f((botUs + queueUs) / bbUs, 2)}×`);
  console.log(`warm-up (incidents opened: a full diagnosis and an alert each): bot ${f(a.bot - start.bot, 2)} CPU s, queue Redis ${f(a.queue - start.queue, 2)} CPU s over ${f((a.at - start.at) / 1000, 0)} s`);
  console.log(`blackbox_exporter: probe_success 1 for ${bb.success.healthy}/${bb.success.healthy + bb.failure.healthy} healthy probes, 0 for ${bb.failure.refused} refused and ${bb.failure.dropped} dropped probes — and no cause; ${bb.skipped} skipped (over ${MAX_IN_FLIGHT} in flight), ${bb.errors} errors`);
  console.log(`bot states at the end: ${Object.entries(stateCount).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`bot alerts (one per incident, each naming its cause): ${[...alerts].sort().map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}; ${seen.parents - parentsAfterWarmup} after the warm-up; ${seen.replies} thread replies, ${seen.updates} updates`);

  q.disconnect();
  agent.destroy();
  await double.close();
  await bot.stop();
  cleanup();
  process.exit(0);
}

/** --tick-cost: the probe of one tick with and without the sample, interleaved in rounds of 50. */
async function tickCost() {
  const { probeUp } = await import('../dist/engine/probes/up.js');
  const { LATENCY_PINGS } = await import('../dist/monitor/latency.js');
  const PROBES = numberOpt('--probes', 2000, 100, 100_000);
  const server = await startRedis();
  const target = { input: `127.0.0.1:${server.port}`, host: '127.0.0.1', port: server.port, tls: false };
  const modes = [
    ['handshake only ([AUTH] [SELECT] PING; before issue 18)', undefined],
    [`+ ${LATENCY_PINGS} PINGs one at a time`, { pings: LATENCY_PINGS }],
    [`+ ${LATENCY_PINGS} PINGs + INFO server (run_id): a tick now`, { pings: LATENCY_PINGS, serverInfo: true }],
  ];
  const wall = modes.map(() => []);
  const cpu = modes.map(() => 0);
  const ROUND = 50;
  try {
    for (let i = 0; i < 50; i++) await probeUp(target, { timeoutMs: 2000, sample: { pings: LATENCY_PINGS, serverInfo: true } });
    const load0 = loadavg();
    for (let done = 0; done < PROBES; done += ROUND) {
      for (let m = 0; m < modes.length; m++) {
        const c0 = process.cpuUsage();
        for (let i = 0; i < ROUND; i++) {
          const t0 = process.hrtime.bigint();
          const r = await probeUp(target, { timeoutMs: 2000, ...(modes[m][1] ? { sample: modes[m][1] } : {}) });
          if (!r.up) throw new Error(`probe down: ${r.code}`);
          wall[m].push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
        const c = process.cpuUsage(c0);
        cpu[m] += c.user + c.system;
      }
    }
    const load1 = loadavg();
    const f = (x, d = 2) => x.toFixed(d);
    console.log(`\nmonitor tick cost (issue 18) — ${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPUs, load ${load0.map((l) => l.toFixed(1)).join(' ')} → ${load1.map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`${PROBES} probes per mode against one local redis-server (loopback), interleaved in rounds of ${ROUND}\n`);
    console.log('| probe | wall median | wall p90 | wall p99 | CPU per probe |');
    console.log('| --- | --- | --- | --- | --- |');
    modes.forEach(([label], m) => {
      const s = stats(wall[m]);
      console.log(`| ${label} | ${f(s.median)} ms | ${f(s.p90)} ms | ${f(s.p99)} ms | ${f(cpu[m] / wall[m].length, 0)} µs |`);
    });
  } finally {
    await server.stop();
  }
}

if (argv.includes('--tick-cost')) await tickCost();
else if (!INSIDE) await outer();
else await inside();
