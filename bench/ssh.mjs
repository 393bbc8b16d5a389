// SSH phase of a diagnosis against a plain `ssh host true` (issue #3: target ≤ 1.5×).
// See bench/README.md, section "SSH checks".
//
//   node bench/ssh.mjs [--runs N] [--timeout MS] [--real-home]
//
// Sets up a throwaway "Redis host": a network namespace joined by a veth pair
// (addresses from 198.18.0.0/15), a real OpenSSH sshd on port 22 in it with
// fresh ed25519 host and client keys, and a redis-server in it. Then, round
// robin so machine load falls on both columns alike:
//   - ssh:    wall time of `ssh -F /dev/null -o BatchMode=yes … root@<ns> true`
//             (process start, key exchange, authentication, one channel);
//   - checks: runRemoteChecks() from dist/ in this process — the SSH phase of
//             a diagnosis: one connection, host key check, the whole catalogue.
// The first round is discarded (caches). Everything is removed on exit,
// error and SIGINT/SIGTERM. Exit status 0 even when the target is missed: a
// benchmark on a shared machine is a report, not a gate.
//
// The login account is root with an empty HOME (like a dedicated diagnosis
// account) unless --real-home: then root's own ~/.bashrc runs on every channel
// (and once for `ssh true`), which shows what a heavy shell start-up costs.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i === -1 ? dflt : Number(argv[i + 1]);
};
const RUNS = Math.min(60, Math.max(3, opt('--runs', 20)));
const TIMEOUT_MS = Math.min(10_000, Math.max(500, opt('--timeout', 2000)));
const REAL_HOME = argv.includes('--real-home');
const TARGET_RATIO = 1.5;

const cleanups = [];
function cleanup() {
  while (cleanups.length) {
    try {
      cleanups.pop()();
    } catch {
      // best effort: the next step still runs
    }
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const sh = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000, encoding: 'utf8' });

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, min: s[0], median: quantile(s, 0.5), p90: quantile(s, 0.9), max: s.at(-1) };
}

function missing() {
  if (process.getuid?.() !== 0) return 'not root';
  for (const bin of ['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'ip', 'redis-server']) {
    try {
      sh('sh', ['-c', `command -v ${bin}`]);
    } catch {
      return `${bin} not found`;
    }
  }
  return undefined;
}

/** A /30 in 198.18.0.0/15 from the pid, skipping prefixes already routed here. */
function pickBlock() {
  const routes = sh('ip', ['-o', '-4', 'route', 'show', 'table', 'all']);
  const used = [...routes.matchAll(/(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?\s/g)].map((m) => m[1]);
  for (let i = 0; i < 64; i++) {
    const n = ((process.pid * 64 + 40 + i) % 32768) * 4;
    const base = `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
    const prefix = base.split('.').slice(0, 3).join('.');
    if (!used.some((a) => a.startsWith(`${prefix}.`))) return { host: `${prefix}.${(n & 255) + 1}`, ns: `${prefix}.${(n & 255) + 2}` };
  }
  throw new Error('no free /30 in 198.18.0.0/15');
}

function createNamespace() {
  const name = `rdbssh-${process.pid}-1`;
  const hostIf = `rdb${process.pid}h`;
  const nsIf = `rdb${process.pid}n`;
  const { host, ns } = pickBlock();
  cleanups.push(() => {
    try {
      for (const pid of sh('ip', ['netns', 'pids', name]).split(/\s+/).filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // no namespace, no pids
    }
    try { sh('ip', ['netns', 'del', name]); } catch { /* gone */ }
    try { sh('ip', ['link', 'del', hostIf]); } catch { /* gone with its peer */ }
  });
  sh('ip', ['netns', 'add', name]);
  sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', name]);
  sh('ip', ['addr', 'add', `${host}/30`, 'dev', hostIf]);
  sh('ip', ['link', 'set', hostIf, 'up']);
  sh('ip', ['-n', name, 'addr', 'add', `${ns}/30`, 'dev', nsIf]);
  sh('ip', ['-n', name, 'link', 'set', nsIf, 'up']);
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return { name, address: ns };
}

function startInNs(nsName, args) {
  const child = spawn('ip', ['netns', 'exec', nsName, ...args], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

function answers(address, port, test) {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    const done = (v) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(500, () => done(false));
    s.on('error', () => done(false));
    s.on('data', (d) => done(test(d.toString('latin1'))));
    if (port !== 22) s.on('connect', () => s.write('PING\r\n'));
  });
}

async function waitFor(what, probe) {
  for (let i = 0; i < 200; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not come up`);
}

function setUpHost(ns, dir) {
  for (const k of ['host', 'client']) sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)]);
  const pub = (k) => readFileSync(join(dir, `${k}.pub`), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  writeFileSync(join(dir, 'authorized_keys'), `${pub('client')}\n`);
  writeFileSync(join(dir, 'known_hosts'), `${ns.address} ${pub('host')}\n`);
  mkdirSync(join(dir, 'home'));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      'Port 22', `ListenAddress ${ns.address}`, `HostKey ${join(dir, 'host')}`, 'UsePAM no', 'PasswordAuthentication no',
      'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes', `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password', 'StrictModes no', 'PidFile none', 'UseDNS no', 'LogLevel ERROR',
      ...(REAL_HOME ? [] : [`SetEnv HOME=${join(dir, 'home')}`]), '',
    ].join('\n'),
  );
}

function timedSsh(ns, dir) {
  const args = [
    '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'ControlMaster=no', '-o', 'ControlPath=none',
    '-i', join(dir, 'client'), `root@${ns.address}`, 'true',
  ];
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('ssh', args, { stdio: 'ignore' });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      if (code !== 0) reject(new Error(`ssh exited ${code}`));
      else resolve(Number(process.hrtime.bigint() - start) / 1e6);
    });
  });
}

async function main() {
  const why = missing();
  if (why) {
    console.log(`SSH checks vs ssh true: not measured (${why})`);
    return;
  }
  const { runRemoteChecks } = await import(join(here, '..', 'dist', 'engine', 'remote', 'index.js'));
  const dir = mkdtempSync(join(tmpdir(), `rd-bench-ssh-${process.pid}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const ns = createNamespace();
  setUpHost(ns, dir);
  startInNs(ns.name, ['/usr/sbin/sshd', '-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')]);
  startInNs(ns.name, ['redis-server', '--port', '6379', '--bind', ns.address, '127.0.0.1', '--protected-mode', 'no', '--save', '', '--appendonly', 'no', '--dir', dir]);
  await waitFor('sshd', () => answers(ns.address, 22, (t) => t.startsWith('SSH-2.0-')));
  await waitFor('redis-server', () => answers(ns.address, 6379, (t) => t.startsWith('+PONG')));

  const ssh = {
    host: ns.address, port: 22, user: 'root', useAgent: false,
    privateKey: readFileSync(join(dir, 'client'), 'utf8'), knownHosts: readFileSync(join(dir, 'known_hosts'), 'utf8'),
  };
  const ctx = { target: { input: `${ns.address}:6379`, host: ns.address, port: 6379, tls: false }, timeoutMs: TIMEOUT_MS };
  const samples = { ssh: [], checks: [], connect: [] };
  let last;
  for (let i = 0; i < RUNS + 1; i++) {
    const sshMs = await timedSsh(ns, dir);
    const t0 = performance.now();
    last = await runRemoteChecks(ssh, ctx);
    const checksMs = performance.now() - t0;
    if (!last.observation.session.ok) throw new Error(`SSH session failed: ${last.observation.session.message}`);
    if (i === 0) continue;
    samples.ssh.push(sshMs);
    samples.checks.push(checksMs);
    samples.connect.push(last.observation.session.durationMs);
  }

  const ran = last.observation.commands.filter((c) => c.durationMs > 0).length;
  const fmt = (n) => n.toFixed(0).padStart(6);
  const row = (name, s) => `| ${name.padEnd(44)} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.p90)} | ${fmt(s.max)} |`;
  const a = stats(samples.ssh);
  const b = stats(samples.checks);
  const ratio = b.median / a.median;
  console.log(`SSH checks vs ssh true — ${RUNS} rounds, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}${REAL_HOME ? ', root\'s real HOME' : ', empty HOME'}`);
  console.log('| ms                                           |    min | median |    p90 |    max |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  console.log(row('ssh -o BatchMode=yes root@host true (wall)', a));
  console.log(row(`runRemoteChecks: ${ran} commands, one connection`, b));
  console.log(row('  of which connect + host key + auth', stats(samples.connect)));
  console.log(`ratio of medians ${ratio.toFixed(2)}× (target ≤ ${TARGET_RATIO}×): ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'}`);
}

main()
  .catch((err) => {
    console.error(`bench/ssh.mjs: ${err.message}`);
    process.exitCode = 3;
  })
  .finally(cleanup);
