// Monitor benchmark (`npm run bench:monitor` builds first). See bench/README.md "Monitor".
//
// Monitored targets — healthy redis-servers, refused ports, and ports dropped
// by an iptables DROP rule: a third each at 1,000 targets, and --down (666)
// refused and dropped ones past that, the rest healthy (many target names
// share a host:port: at most ~334 healthy host:ports, 333 refused addresses,
// 333 dropped ports) — probed every --interval s by the built bot and, in the same
// run, at the same rate, by Prometheus blackbox_exporter (a `tcp` module
// sending PING and expecting +PONG), driven by a bounded loop of /probe
// requests as Prometheus would scrape it. The 2-core machine cannot run both
// at 1,000 probes/s at once, so they alternate in rounds of --round-seconds:
// the bot's processes run (then are SIGSTOPped), then blackbox_exporter is
// driven; both see the same background load. Two modes, one after the other
// on the same queue Redis (the second continues the states and incidents of
// the first):
//
//   workers    the front end with its inline worker (`node dist/main.js`) and
//              one `node dist/worker.js`: two processes running the monitor;
//   locations  the same targets split over two probe locations (probeFrom:
//              [loc-a] / [loc-b]): the front end (state machine, alerts) and
//              two `node dist/worker.js` with REDIS_DOCTOR_LOCATION.
//
// Reported per round and in all: CPU per probe of the bot's processes, of its
// queue redis-server, and of blackbox_exporter (from /proc/<pid>/stat), the
// ratios, the queue Redis's used_memory and RSS; and the time from a failure to
// its alert: --cut-hosts healthy host:ports are refused (iptables REJECT inside
// the namespace) in the second round; for each of their target names, from
// its failuresBeforeAlert-th failed probe to the Slack double receiving the
// alert.
//
// Everything runs inside a network namespace this script creates (rdbench-mon-<pid>):
// its loopback holds the healthy and refused addresses, plus one address in
// 198.18.0.0/15 whose TCP packets an INPUT DROP rule swallows. The namespace,
// every process started, the iptables rules and the temp files are removed on
// exit, error, SIGINT and SIGTERM. Needs root (ip netns, iptables); installs
// the Debian package prometheus-blackbox-exporter when its binary is missing
// (no service is started: the binary is run here with its own config file).
//
//   node bench/monitor.mjs [--targets 10000] [--interval 10] [--timeout 2000] [--rounds 3]
//       [--round-seconds 45] [--modes workers,locations] [--cut-hosts 2] [--down 666] [--dist dist] [--json out.json]
//
// --dist: another build's dist/ (e.g. the per-probe-job design of an older
// commit, for a before figure).
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
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, numberOpt, pingOnce, startRedis, stats, waitFor } from './lab.mjs';
import { rssOf, startDouble } from './slack-lab.mjs';

const DEFAULT_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
const argv = process.argv.slice(2);
const TARGETS = numberOpt('--targets', 10_000, 30, 20_000);
const INTERVAL_S = numberOpt('--interval', 10, 5, 60);
const TIMEOUT_MS = numberOpt('--timeout', 2000, 200, 10_000);
const ROUNDS = numberOpt('--rounds', 3, 1, 20);
const ROUND_S = numberOpt('--round-seconds', 45, 20, 600);
const CUT_HOSTS = numberOpt('--cut-hosts', 2, 0, 20);
const DOWN = numberOpt('--down', 666, 0, 20_000);
const stringOpt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const DIST = resolvePath(stringOpt('--dist', DEFAULT_DIST));
const MODES = stringOpt('--modes', 'workers,locations').split(',').filter((m) => m === 'workers' || m === 'locations');
const OUT_JSON = stringOpt('--json', undefined);
/** alerts.failuresBeforeAlert: the bench's config leaves it at its default. */
const FAILURES = 2;
/** The part of a bot round left out of the measurement: the ticks missed while it was stopped run at once. */
const settleOf = () => Math.min(ROUND_S * 500, Math.max(15_000, INTERVAL_S * 1500));
const iptables = (args) => execFileSync('iptables', ['-w', '5', ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
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
  if (!existsSync(join(DIST, 'main.js'))) throw new Error(`${DIST}/main.js is missing: run npm run build first (npm run bench:monitor does)`);
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

/** A node process of the bot (main.js or worker.js of DIST), ready when its /readyz (or /healthz) answers 200. */
async function startNode(script, env, { readyPath = '/readyz', readyMs = 60_000 } = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), join(DIST, script)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: 'bench-secret', PORT: String(port), LOG_LEVEL: 'error', ...env },
  });
  const deadline = Date.now() + readyMs;
  for (let i = 0; i < 100_000 && child.exitCode === null && Date.now() < deadline; i++) {
    const ok = await httpGet(`http://127.0.0.1:${port}${readyPath}`).then((r) => r.status === 200, () => false);
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not start (${JSON.stringify(env.REDIS_DOCTOR_LOCATION ?? 'local')})`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

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
  const cuts = [];
  const cleanup = () => {
    stopping = true;
    for (const rule of cuts.splice(0)) { try { iptables(['-D', 'INPUT', ...rule]); } catch { /* gone */ } }
    for (const { child } of children) { try { child.kill('SIGCONT'); child.kill('SIGKILL'); } catch { /* gone */ } }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });

  const redisServer = (args, what) => started(spawn('/usr/bin/redis-server', ['--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', ...args], { stdio: 'ignore' }), what);

  // The targets: healthy, refused and dropped — a third each at 1,000; past that --down (666) refused and dropped
  // names and the rest healthy: 6,666 incidents opening at once would keep the bot diagnosing and alerting (Slack
  // takes about a message a second per channel) for the whole run. Many healthy names share a host:port (at
  // 10,000 targets about 28 per host:port): ~334 healthy host:ports (redis-servers with 16 listen addresses
  // each: Redis binds at most 16), 333 refused loopback addresses, 333 ports of the DROP address.
  const downN0 = Math.min(DOWN, TARGETS - Math.ceil(TARGETS / 3));
  const refusedN = Math.floor(downN0 / 2);
  const droppedN = downN0 - refusedN;
  const healthyN = TARGETS - refusedN - droppedN;
  const healthyHosts = Math.min(healthyN, 334);
  const refusedHosts = Math.min(refusedN, 333);
  const droppedPorts = Math.min(droppedN, 333);
  const servers = Math.ceil(healthyHosts / 16);
  const hosts = [];
  for (let s = 0; s < servers; s++) {
    const addrs = [];
    for (let a = 1; a <= 16 && hosts.length < healthyHosts; a++) {
      addrs.push(`127.3.${s}.${a}`);
      hosts.push(`127.3.${s}.${a}`);
    }
    redisServer(['--port', '6400', '--bind', ...addrs, '--maxclients', '4000'], `healthy redis-server ${s}`);
  }
  const targets = [];
  for (let i = 0; i < healthyN; i++) targets.push({ name: `healthy-${i}`, kind: 'healthy', host: hosts[i % healthyHosts], port: 6400 });
  for (let i = 0; i < refusedN; i++) { const h = i % refusedHosts; targets.push({ name: `refused-${i}`, kind: 'refused', host: `127.4.${h >> 7}.${(h & 127) + 1}`, port: 6400 }); }
  for (let i = 0; i < droppedN; i++) targets.push({ name: `dropped-${i}`, kind: 'dropped', host: dropAddress, port: 20000 + (i % droppedPorts) });
  const queuePort = await freePort();
  const queue = redisServer(['--port', String(queuePort), '--bind', '127.0.0.1'], 'queue redis-server');
  await waitFor('the redis-servers', async () => (await pingOnce(queuePort)) && (await pingOnce(6400, '127.3.0.1')) && (await pingOnce(6400, hosts.at(-1))));

  // A Slack Web API double (slack-lab.mjs): counts alerts by the cause id they name, and when each target's came.
  const alerts = new Map();
  const alertAt = new Map();
  const seen = { parents: 0, replies: 0, updates: 0 };
  const double = await startDouble({
    onCall: (method, body) => {
      if (method === 'chat.update') seen.updates += 1;
      if (method !== 'chat.postMessage') return;
      if (body.thread_ts) seen.replies += 1;
      else if ((body.blocks ?? '').includes('"alert:')) {
        seen.parents += 1;
        const cause = /is down: ([a-z-]+)/.exec(body.text ?? '')?.[1] ?? 'none';
        const m = /"alert:(([a-z]+)-\d+)"/.exec(body.blocks);
        const key = `${m?.[2] ?? '?'} → ${cause}`;
        alerts.set(key, (alerts.get(key) ?? 0) + 1);
        if (m && !alertAt.has(m[1])) alertAt.set(m[1], Date.now());
      }
    },
  });

  const prefix = `{rdbench-${process.pid}}`;
  const { Redis } = await import('ioredis');
  const q = new Redis(`redis://127.0.0.1:${queuePort}`, { maxRetriesPerRequest: 1 });
  const stateKey = (t) => `${prefix}:store:monitor:state:${t.name}`;
  // The bot's probes: each counted tick bumps its target's state version (stores/monitor-store.ts).
  const botTicks = async () => {
    let sum = 0;
    for (let i = 0; i < targets.length; i += 2000) {
      const pipe = q.pipeline();
      for (const t of targets.slice(i, i + 2000)) pipe.hget(stateKey(t), 'v');
      for (const [, v] of await pipe.exec()) sum += Number(v ?? 0);
    }
    return sum;
  };
  const queueMemory = async () => {
    const info = await q.info('memory');
    const field = (k) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN) / 1048576;
    return { used: field('used_memory'), rss: field('used_memory_rss') };
  };

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

  // Prometheus's side, during blackbox rounds only: each target once per interval, spread over it, a bounded number in flight.
  const MAX_IN_FLIGHT = 2000;
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const bb = { done: 0, sent: 0, skipped: 0, errors: 0, success: { healthy: 0, refused: 0, dropped: 0 }, failure: { healthy: 0, refused: 0, dropped: 0 } };
  let inFlight = 0;
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
  const drive = async (ms) => {
    const spacing = (INTERVAL_S * 1000) / targets.length;
    const t0 = Date.now();
    let next = 0;
    await new Promise((resolve) => {
      const driver = setInterval(() => {
        const due = Math.floor((Date.now() - t0) / spacing);
        for (; next <= due && Date.now() - t0 < ms; next++) scrape(targets[next % targets.length]);
        if (Date.now() - t0 >= ms) { clearInterval(driver); resolve(); }
      }, 5);
    });
    // The probes in flight finish before the bot runs again (bounded by the probe timeout).
    for (let i = 0; i < 200 && inFlight > 0; i++) await sleep(50);
  };

  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const perProbe = (cpu, n) => (n > 0 ? (cpu / n) * 1e6 : NaN);
  const results = [];
  const lines = [];
  const out = (line = '') => { lines.push(line); console.log(line); };

  /** One mode: start its processes (on the same queue Redis and prefix: the states and incidents of the mode before continue), alternate rounds, stop them. */
  async function runMode(mode) {
    const locations = mode === 'locations' ? ['loc-a', 'loc-b'] : [];
    const probeFrom = (i) => (locations.length > 0 ? `, probeFrom: [${locations[i % locations.length]}]` : '');
    const yaml = [
      ...(locations.length > 0 ? ['locations:', ...locations.map((l) => `  - name: ${l}`)] : []),
      'targets:', ...targets.map((t, i) => `  - { name: ${t.name}, url: "redis://${t.host}:${t.port}"${probeFrom(i)} }`),
      'alerts:', '  channel: C0BENCH', `  intervalSeconds: ${INTERVAL_S}`, '  targets: ["*"]'].join('\n');
    const configPath = join(dir, `redis-doctor-${mode}.yaml`);
    writeFileSync(configPath, `${yaml}\n`);
    const env = {
      SLACK_API_URL: `${double.url}/api/`, REDIS_URL: `redis://127.0.0.1:${queuePort}`, REDIS_DOCTOR_CONFIG: configPath, REDIS_DOCTOR_QUEUE_PREFIX: prefix,
      REDIS_DOCTOR_TIMEOUT_MS: String(TIMEOUT_MS), REDIS_DOCTOR_MONITOR_CONCURRENCY: '1000',
    };
    const procs = [];
    // The location workers first: a front end without them would count their targets LOCATION-SILENT meanwhile.
    for (const l of locations) procs.push({ what: `location ${l} worker (node dist/worker.js)`, child: started(await startNode('worker.js', { ...env, REDIS_DOCTOR_LOCATION: l }, { readyPath: '/healthz' }), `${mode}: worker.js at ${l}`) });
    // A location's first batches start at their shards' offsets and spread over the interval: its first outcome
    // of some targets comes almost two intervals after it started.
    if (locations.length > 0) await sleep(2 * INTERVAL_S * 1000 + 2000);
    procs.push({ what: 'front end + monitor (node dist/main.js)', child: started(await startNode('main.js', env), `${mode}: main.js`) });
    if (locations.length === 0) procs.push({ what: 'worker (node dist/worker.js)', child: started(await startNode('worker.js', env), `${mode}: worker.js`) });
    const pids = procs.map((p) => p.child.pid);
    const signal = (sig, which = procs) => { for (const p of which) { try { p.child.kill(sig); } catch { /* gone */ } } };
    // Locations: resumed an interval before the front end (and stopped after it), so the front end does not
    // count their stopped time as LOCATION-SILENT — an artifact of the rounds, not of the monitor.
    const probers = procs.filter((p) => p.what.startsWith('location'));
    const front = procs.filter((p) => !p.what.startsWith('location'));
    const resume = async () => {
      if (probers.length > 0) { signal('SIGCONT', probers); await sleep(INTERVAL_S * 1000 + 2000); }
      signal('SIGCONT', front);
    };
    const pause = () => { signal('SIGSTOP', front); signal('SIGSTOP', probers); };
    const botCpu = () => pids.reduce((s, pid) => s + cpuSeconds(pid), 0);

    // Warm-up: the first ticks open an incident per down target (a full diagnosis and an alert each) — or, in a
    // later mode, the processes start and take over the states; measured on its own.
    const downN = refusedN + droppedN;
    const warm0 = { at: Date.now(), bot: botCpu(), queue: cpuSeconds(queue.pid) };
    // The first layout opens the incidents; a later one takes over their states: a shorter wait.
    const warmCap = results.length === 0 ? Math.min(240_000, Math.max(60_000, TARGETS * 24)) : 45_000;
    for (let i = 0; i < 10_000 && Date.now() - warm0.at < warmCap; i++) {
      await sleep(5000);
      const ticks = await botTicks();
      if (seen.parents >= downN && ticks > 0 && Date.now() - warm0.at >= 3 * INTERVAL_S * 1000) break;
    }
    const warm1 = { at: Date.now(), bot: botCpu(), queue: cpuSeconds(queue.pid) };
    log(`${mode}: warm-up ${f((warm1.at - warm0.at) / 1000, 0)} s, ${seen.parents} alerts so far`);

    const rounds = [];
    const settleBot = settleOf();
    let alertLatency;
    for (let r = 0; r < ROUNDS; r++) {
      // The bot's round: its processes run; measured after they have settled (ticks missed while stopped run at once).
      if (r > 0) await resume();
      await sleep(settleBot);
      const a = { at: Date.now(), bot: botCpu(), queue: cpuSeconds(queue.pid), ticks: await botTicks() };
      const cutting = r === Math.min(1, ROUNDS - 1) && CUT_HOSTS > 0;
      const cutDone = cutting ? cutAndWatch(mode) : undefined;
      await sleep(ROUND_S * 1000 - settleBot);
      const b = { at: Date.now(), bot: botCpu(), queue: cpuSeconds(queue.pid), ticks: await botTicks() };
      if (cutDone) alertLatency = await cutDone;
      pause();
      // blackbox_exporter's round, the same length, while the bot's processes are stopped.
      await sleep(1000);
      const c = { at: Date.now(), bb: cpuSeconds(blackbox.pid), done: bb.done };
      await drive(ROUND_S * 1000 - settleBot);
      const d = { at: Date.now(), bb: cpuSeconds(blackbox.pid), done: bb.done };
      const botProbes = b.ticks - a.ticks;
      rounds.push({
        botProbes, botS: (b.at - a.at) / 1000, bot: b.bot - a.bot, queue: b.queue - a.queue,
        bbProbes: d.done - c.done, bbS: (d.at - c.at) / 1000, bb: d.bb - c.bb, load: loadavg()[0],
      });
      const x = rounds.at(-1);
      log(`${mode} round ${r + 1}: bot ${x.botProbes} probes ${f(perProbe(x.bot, x.botProbes))} µs + queue ${f(perProbe(x.queue, x.botProbes))} µs; blackbox ${x.bbProbes} probes ${f(perProbe(x.bb, x.bbProbes))} µs; load ${f(x.load, 2)}`);
    }
    await resume();
    const mem = await queueMemory();
    const rss = pids.map((pid) => rssMiB(pid));
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((resolve) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
      p.child.once('exit', resolve);
      setTimeout(() => { p.child.kill('SIGKILL'); resolve(); }, 15_000).unref();
    })));
    results.push({ mode, procs: procs.map((p, i) => ({ what: p.what, rss: rss[i] })), rounds, mem, warm: { s: (warm1.at - warm0.at) / 1000, bot: warm1.bot - warm0.bot, queue: warm1.queue - warm0.queue }, alertLatency });
  }

  // A failure mid-round: CUT_HOSTS healthy host:ports refused by iptables (REJECT with a TCP reset) inside the
  // namespace; for each of their target names, from its failuresBeforeAlert-th failed probe to its alert at the
  // Slack double. The probe times are the ones the bot kept: the incident's openedAt (the tick that opened it;
  // in the locations mode the location's probe time: its latest failed outcomes are polled).
  async function cutAndWatch(mode) {
    const cutHosts = hosts.slice(-CUT_HOSTS);
    const names = targets.filter((t) => t.kind === 'healthy' && cutHosts.includes(t.host));
    for (const t of names) alertAt.delete(t.name);
    const failedAt = new Map(names.map((t) => [t.name, []]));
    const cutAt = Date.now();
    for (const h of cutHosts) {
      const rule = ['-p', 'tcp', '-d', h, '--dport', '6400', '-j', 'REJECT', '--reject-with', 'tcp-reset'];
      iptables(['-I', 'INPUT', ...rule]);
      cuts.push(rule);
    }
    const waitUntil = cutAt + (FAILURES + 3) * INTERVAL_S * 1000 + 20_000;
    for (let i = 0; i < 10_000 && Date.now() < waitUntil && names.some((t) => !alertAt.has(t.name)); i++) {
      if (mode === 'locations') {
        const pipe = q.pipeline();
        for (const t of names) pipe.hgetall(`${prefix}:monitor:at:${t.name}`);
        (await pipe.exec()).forEach(([, h], j) => {
          for (const v of Object.values(h ?? {})) {
            const a = JSON.parse(v);
            const list = failedAt.get(names[j].name);
            if (!a.up && a.at >= cutAt - INTERVAL_S * 1000 && !list.includes(a.at)) list.push(a.at);
          }
        });
      }
      await sleep(250);
    }
    const latencies = [];
    for (const t of names) {
      const alerted = alertAt.get(t.name);
      let nth;
      if (mode === 'locations') nth = failedAt.get(t.name).sort((x, y) => x - y)[FAILURES - 1];
      else nth = JSON.parse((await q.hget(stateKey(t), 's')) ?? '{}').incident?.openedAt;
      latencies.push({ target: t.name, fromCut: alerted ? alerted - cutAt : undefined, fromNth: alerted && nth ? alerted - nth : undefined });
    }
    for (const rule of cuts.splice(0)) iptables(['-D', 'INPUT', ...rule]);
    return { targets: names.length, hosts: cutHosts.length, latencies };
  }

  const load0 = loadavg();
  log(`${targets.length} targets (${healthyN} healthy on ${healthyHosts} host:ports, ${refusedN} refused on ${refusedHosts} addresses, ${droppedN} dropped on ${droppedPorts} ports of ${dropAddress}) every ${INTERVAL_S} s; modes ${MODES.join(', ')}; ${ROUNDS} rounds of ${ROUND_S} s each side`);
  for (const mode of MODES) await runMode(mode);
  const load1 = loadavg();

  // What each one knows at the end.
  const stateCount = {};
  for (let i = 0; i < targets.length; i += 2000) {
    const chunk = targets.slice(i, i + 2000);
    const pipe = q.pipeline();
    for (const t of chunk) pipe.hget(stateKey(t), 's');
    (await pipe.exec()).forEach(([, s], j) => {
      const key = `${chunk[j].kind} ${JSON.parse(s ?? '{}').status ?? 'never probed'}`;
      stateCount[key] = (stateCount[key] ?? 0) + 1;
    });
  }

  out(`\nredis-doctor monitor benchmark — ${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${DIST === DEFAULT_DIST ? 'dist/' : DIST}`);
  out(`${targets.length} targets (${healthyN} healthy names on ${healthyHosts} host:ports of ${servers} redis-servers, ${refusedN} refused names on ${refusedHosts} addresses, ${droppedN} dropped names on ${droppedPorts} ports of the DROP address ${dropAddress}), every ${INTERVAL_S} s (${f(targets.length / INTERVAL_S, 0)} probes/s), probe timeout ${TIMEOUT_MS} ms`);
  out(`${ROUNDS} rounds per mode: the bot's processes ${ROUND_S} s (measured over the last ${f((ROUND_S * 1000 - settleOf()) / 1000, 0)} s, SIGSTOPped otherwise), then blackbox_exporter driven for ${f((ROUND_S * 1000 - settleOf()) / 1000, 0)} s`);
  out(`load average ${load0.map((l) => l.toFixed(2)).join(' ')} at the start, ${load1.map((l) => l.toFixed(2)).join(' ')} at the end`);
  for (const r of results) {
    out(`\n### ${r.mode === 'locations' ? 'two locations (front end + two location workers)' : 'two worker processes (front end with its inline worker + one worker)'}\n`);
    out(row(['round', 'bot probes', 'bot µs/probe', 'queue Redis µs/probe', 'blackbox probes', 'blackbox µs/probe', 'ratio', 'ratio with queue Redis', 'load']));
    out(row(Array(9).fill('---')));
    const tot = { botProbes: 0, bot: 0, queue: 0, bbProbes: 0, bb: 0 };
    r.rounds.forEach((x, i) => {
      for (const k of Object.keys(tot)) tot[k] += x[k];
      const bu = perProbe(x.bot, x.botProbes); const qu = perProbe(x.queue, x.botProbes); const xu = perProbe(x.bb, x.bbProbes);
      out(row([String(i + 1), `${x.botProbes} (${f(x.botProbes / x.botS, 0)}/s)`, f(bu), f(qu), `${x.bbProbes} (${f(x.bbProbes / x.bbS, 0)}/s)`, f(xu), `${f(bu / xu, 2)}×`, `${f((bu + qu) / xu, 2)}×`, f(x.load, 2)]));
    });
    const bu = perProbe(tot.bot, tot.botProbes); const qu = perProbe(tot.queue, tot.botProbes); const xu = perProbe(tot.bb, tot.bbProbes);
    out(row(['**all**', String(tot.botProbes), f(bu), f(qu), String(tot.bbProbes), f(xu), `**${f(bu / xu, 2)}×**`, `**${f((bu + qu) / xu, 2)}×**`, '']));
    r.totals = { bu, qu, xu };
    out(`\nbot processes: ${r.procs.map((p) => `${p.what} RSS ${f(p.rss)} MiB`).join('; ')}`);
    out(`queue Redis at the end: used_memory ${f(r.mem.used)} MiB, RSS ${f(r.mem.rss)} MiB (${f((r.mem.used * 1048576) / targets.length, 0)} B used per target)`);
    out(`warm-up: ${f(r.warm.s, 0)} s, bot ${f(r.warm.bot, 2)} CPU s, queue Redis ${f(r.warm.queue, 2)} CPU s`);
    if (r.alertLatency) {
      const fromNth = r.alertLatency.latencies.map((l) => l.fromNth).filter((x) => x !== undefined);
      const fromCut = r.alertLatency.latencies.map((l) => l.fromCut).filter((x) => x !== undefined);
      const s1 = fromNth.length ? stats(fromNth) : undefined; const s2 = fromCut.length ? stats(fromCut) : undefined;
      out(`failure → alert: ${r.alertLatency.hosts} healthy host:ports cut (iptables REJECT) mid-round, ${r.alertLatency.targets} target names: ${fromCut.length} alerted; from the ${FAILURES}th failed probe to the alert median ${s1 ? f(s1.median / 1000, 2) : '—'} s, max ${s1 ? f(Math.max(...fromNth) / 1000, 2) : '—'} s (${fromNth.length} measured; bound: one interval = ${INTERVAL_S} s); from the cut median ${s2 ? f(s2.median / 1000, 1) : '—'} s, max ${s2 ? f(Math.max(...fromCut) / 1000, 1) : '—'} s`);
    }
  }
  out(`\nblackbox_exporter: probe_success 1 for ${bb.success.healthy}/${bb.success.healthy + bb.failure.healthy} healthy probes, 0 for ${bb.failure.refused} refused and ${bb.failure.dropped} dropped probes — and no cause; ${bb.skipped} skipped (over ${MAX_IN_FLIGHT} in flight), ${bb.errors} errors`);
  out(`bot states at the end: ${Object.entries(stateCount).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out(`bot alerts (one per incident, each naming its cause): ${[...alerts].sort().map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}; ${seen.replies} thread replies, ${seen.updates} updates`);
  if (OUT_JSON) writeFileSync(OUT_JSON, JSON.stringify({ targets: targets.length, interval: INTERVAL_S, results, bb, stateCount, alerts: [...alerts], lines }, null, 1));

  q.disconnect();
  agent.destroy();
  await double.close();
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
