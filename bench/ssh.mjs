// SSH phase of a diagnosis against a plain `ssh host true` (issues #3, #10:
// target ≤ 1.5×), for a plain login and for one whose ~/.bashrc is heavy.
// See bench/README.md, section "SSH checks".
//
//   node bench/ssh.mjs [--runs N] [--timeout MS]
//
// Sets up a throwaway "Redis host": a network namespace joined by a veth pair
// (addresses from 198.18.0.0/15), a real OpenSSH sshd on port 22 in it with
// fresh ed25519 host and client keys, and a redis-server in it. Two login
// accounts, the same key for both:
//   - plain: root with an empty HOME (like a dedicated diagnosis account);
//   - heavy: a throwaway bash account `rdbheavy<pid>` whose ~/.bashrc burns
//     0.6 s of CPU, as pyenv/conda/nvm init does (bash reads it for every
//     command sshd starts).
// Then, round robin so machine load falls on every column alike, per account:
//   - ssh:    wall time of `ssh -F /dev/null -o BatchMode=yes … <user>@<ns> true`
//             (process start, key exchange, authentication, one channel, one
//             login shell);
//   - checks: runRemoteChecks() from dist/ in this process — the SSH phase of
//             a diagnosis: one connection, host key check, the whole catalogue
//             (two scripts, at most two login shells).
// The first round is discarded (caches). Everything is removed on exit,
// error and SIGINT/SIGTERM (the account too). Exit status 0 even when the
// target is missed: a benchmark on a shared machine is a report, not a gate.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberOpt, stats, waitFor } from './lab.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const RUNS = numberOpt('--runs', 20, 3, 60);
const TIMEOUT_MS = numberOpt('--timeout', 2000, 500, 10_000);
const TARGET_RATIO = 1.5;
const HEAVY_USER = `rdbheavy${process.pid}`;
const HEAVY_RC = "# like eval \"$(pyenv init -)\": 0.6 s of CPU on every start\ntimeout 0.6 sh -c 'while :; do :; done'\n";

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

function missing() {
  if (process.getuid?.() !== 0) return 'not root';
  for (const bin of ['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'ip', 'redis-server', 'bash', 'timeout', 'useradd', 'userdel']) {
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
      'PermitRootLogin prohibit-password', 'StrictModes no', 'PidFile none', 'UseDNS no', 'LogLevel VERBOSE',
      // Root gets an empty HOME; the heavy account keeps its own (passwd) HOME and ~/.bashrc.
      'Match User root', `  SetEnv HOME=${join(dir, 'home')}`, '',
    ].join('\n'),
  );
}

/** The heavy account: bash, its HOME in the bench dir, the busy ~/.bashrc. Password '*': key login only. */
function addHeavyAccount(dir) {
  const home = join(dir, HEAVY_USER);
  mkdirSync(home, { mode: 0o755 });
  writeFileSync(join(home, '.bashrc'), HEAVY_RC, { mode: 0o644 });
  cleanups.push(() => {
    // userdel refuses while the account still runs processes (sshd children end just after the client).
    for (let i = 0; i < 50; i++) {
      try {
        sh('userdel', [HEAVY_USER]);
        return;
      } catch (err) {
        if (err.status === 6) return;
        execFileSync('sleep', ['0.1']);
      }
    }
    try { sh('userdel', ['--force', HEAVY_USER]); } catch { /* gone */ }
  });
  sh('useradd', ['--no-create-home', '--no-user-group', '--home-dir', home, '--shell', '/bin/bash', '--password', '*', '--comment', 'redis-doctor bench', HEAVY_USER]);
}

/** `Starting session: command for <user>` lines (LogLevel VERBOSE): one per login shell sshd started. */
function shellStartsIn(log, user) {
  return log.split('\n').filter((l) => l.includes(`Starting session: command for ${user} from`)).length;
}

function timedSsh(ns, dir, user) {
  const args = [
    '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'ControlMaster=no', '-o', 'ControlPath=none',
    '-i', join(dir, 'client'), `${user}@${ns.address}`, 'true',
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
  // The heavy account reads authorized_keys and its HOME below it.
  chmodSync(dir, 0o711);
  const ns = createNamespace();
  setUpHost(ns, dir);
  addHeavyAccount(dir);
  startInNs(ns.name, ['/usr/sbin/sshd', '-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')]);
  startInNs(ns.name, ['redis-server', '--port', '6379', '--bind', ns.address, '127.0.0.1', '--protected-mode', 'no', '--save', '', '--appendonly', 'no', '--dir', dir]);
  await waitFor('sshd', () => answers(ns.address, 22, (t) => t.startsWith('SSH-2.0-')), 10_000);
  await waitFor('redis-server', () => answers(ns.address, 6379, (t) => t.startsWith('+PONG')), 10_000);

  const base = {
    host: ns.address, port: 22, useAgent: false,
    privateKey: readFileSync(join(dir, 'client'), 'utf8'), knownHosts: readFileSync(join(dir, 'known_hosts'), 'utf8'),
  };
  const ctx = { target: { input: `${ns.address}:6379`, host: ns.address, port: 6379, tls: false }, timeoutMs: TIMEOUT_MS };
  const accounts = ['root', HEAVY_USER].map((user) => ({ user, samples: { ssh: [], checks: [], connect: [] }, last: undefined, starts: [] }));
  const log = () => readFileSync(join(dir, 'sshd.log'), 'utf8');
  for (let i = 0; i < RUNS + 1; i++) {
    for (const a of accounts) {
      const sshMs = await timedSsh(ns, dir, a.user);
      const before = log().length;
      const t0 = performance.now();
      a.last = await runRemoteChecks({ ...base, user: a.user }, ctx);
      const checksMs = performance.now() - t0;
      if (!a.last.observation.session.ok) throw new Error(`SSH session as ${a.user} failed: ${a.last.observation.session.message}`);
      if (i === 0) continue;
      a.samples.ssh.push(sshMs);
      a.samples.checks.push(checksMs);
      a.samples.connect.push(a.last.observation.session.durationMs);
      a.starts.push(shellStartsIn(log().slice(before), a.user));
    }
  }

  const fmt = (n) => n.toFixed(0).padStart(6);
  const row = (name, s) => `| ${name.padEnd(52)} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.p90)} | ${fmt(s.max)} |`;
  console.log(`SSH checks vs ssh true — ${RUNS} rounds, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}, --timeout ${TIMEOUT_MS}`);
  console.log(`| ms ${' '.repeat(50)}|    min | median |    p90 |    max |`);
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const verdicts = [];
  for (const a of accounts) {
    const label = a.user === 'root' ? 'plain login (root, empty HOME)' : 'heavy ~/.bashrc (0.6 s of CPU)';
    const s1 = stats(a.samples.ssh);
    const s2 = stats(a.samples.checks);
    const ok = a.last.observation.commands.filter((c) => c.status === 'ok').length;
    const skipped = a.last.observation.commands.filter((c) => c.status === 'missing' || c.status === 'unavailable').length;
    const cut = a.last.observation.commands.filter((c) => c.status === 'timeout').map((c) => c.id);
    console.log(row(`${label}: ssh … true (wall)`, s1));
    console.log(row(`  runRemoteChecks: ${ok} ok + ${skipped} skipped, ${Math.max(...a.starts)} shells`, s2));
    console.log(row('    of which connect + host key + auth', stats(a.samples.connect)));
    const ratio = s2.median / s1.median;
    verdicts.push(`${a.user === 'root' ? 'plain' : 'heavy'} ${ratio.toFixed(2)}× (p90 ${(s2.p90 / s1.p90).toFixed(2)}×)${ratio <= TARGET_RATIO ? '' : ' MISSED'}${cut.length ? `, timeouts: ${cut.join(', ')}` : ''}`);
  }
  console.log(`ratio of medians (target ≤ ${TARGET_RATIO}×): ${verdicts.join('; ')}`);
}

main()
  .catch((err) => {
    console.error(`bench/ssh.mjs: ${err.message}`);
    process.exitCode = 3;
  })
  .finally(cleanup);
