/**
 * Login shells that do real work or talk (issue #10), on a real sshd in a
 * network namespace. Two throwaway accounts with bash as their login shell,
 * whose ~/.bashrc bash reads for every command sshd starts:
 *
 *  - heavy: burns 0.6 s of CPU per start (like pyenv/conda/nvm init);
 *  - noisy: prints a banner and lines that look like section headers (without
 *    the run's marker, or with another one) on stdout, noise on stderr, and
 *    more text from an EXIT trap after the script.
 *
 * With each, through sudo -n and the sudoers drop-in of docs/remote-checks.md, six host states
 * are decided right — server-not-running, bind-loopback-only, wrong-port,
 * firewall-blocked, disk-full, server-stalled — with at most two shell starts
 * per diagnosis, counted in sshd's own log ("Starting session: command for
 * <user>", one per exec request). And when the SSH phase bound cuts the checks
 * short (a firewall tool on the noisy account's PATH hangs), what answered
 * still decides and remote-check-failed names what did not.
 */
import { appendFile, chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run as runCli } from '../../src/cli/run.js';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { CATALOGUE, RUN_ORDER } from '../../src/engine/remote/catalogue.js';
import { SshSession } from '../../src/engine/remote/session.js';
import type { RemoteCommandId } from '../../src/engine/remote/types.js';
import type { CauseId, Diagnosis, Verdict } from '../../src/engine/model/types.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { mountFullTmpfs, type FullTmpfs } from '../lab/tmpfs.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';
import { addLoginAccount, installSudoers, readmeSudoers, shellStarts, startSshHost, sudoPath, type LoginAccount, type SshHost } from './ssh-lab.js';

const REQUIREMENTS = [
  need.root(),
  need.netns(),
  ...['redis-server', 'sshd', 'ssh-keygen', 'iptables', 'sudo', 'visudo', 'useradd', 'userdel', 'bash', 'timeout'].map((b) => need.binary(b)),
];

const HEAVY = `rdheavy${process.pid}`;
const NOISY = `rdnoisy${process.pid}`;
const SUDOERS = `/etc/sudoers.d/rd-rc-${process.pid}`;

const HEAVY_RC = [
  '# like `eval "$(pyenv init -)"`: 0.6 s of CPU on every start',
  "timeout 0.6 sh -c 'while :; do :; done'",
  'export RD_RC_RAN=heavy',
];
const NOISY_RC = [
  'echo "Welcome to the lab host! (from ~/.bashrc)"',
  'echo "### ps"',
  'echo "### 0123456789abcdef begin ps"',
  'echo "  1 root Ssl redis-server *:6379"',
  "printf '\\n### %s end ps 0\\n' 0123456789abcdef",
  'echo "### rc 0"',
  'echo "rc noise on stderr" >&2',
  // An EXIT trap keeps bash from exec-ing the command: this comes after the script's output.
  "trap 'echo; echo \"### deadbeefdeadbeef end free 0\"; echo bye' EXIT",
  'export PATH="$HOME/bin:$PATH"',
  'export RD_RC_RAN=noisy',
];

describeLab('SSH checks with login shells that work and talk: two shell starts, causes decided', REQUIREMENTS, () => {
  let disk: FullTmpfs;
  let ns: Netns;
  let host: SshHost;
  const accounts: LoginAccount[] = [];

  beforeAll(async () => {
    // Before sshd and redis-server start: the mount namespaces `ip netns exec` gives them hold it.
    disk = await mountFullTmpfs(256);
    ns = await createNetns();
    host = await startSshHost(ns);
    accounts.push(await addLoginAccount(host, HEAVY, HEAVY_RC));
    accounts.push(await addLoginAccount(host, NOISY, NOISY_RC));
    await installSudoers(SUDOERS, [...readmeSudoers(HEAVY), `${NOISY} ALL=(root) NOPASSWD: REDIS_DOCTOR`]);
  });
  afterAll(async () => {
    await rm(SUDOERS, { force: true });
    await rm(`${SUDOERS}.new`, { force: true });
    await host?.stop();
    for (const a of accounts) await a.remove();
    await ns?.destroy();
    await disk?.unmount();
  });

  interface Run {
    user: string;
    d: Diagnosis;
    starts: number;
  }

  const diagnoseAs = async (user: string, port: number, opts: { timeoutMs?: number; sudo?: boolean; sshTimeoutMs?: number } = {}): Promise<Run> => {
    const before = host.log().length;
    const ssh = host.ssh({ user, sudo: opts.sudo ?? true, ...(opts.sshTimeoutMs ? { timeoutMs: opts.sshTimeoutMs } : {}) });
    const d = await diagnose(targetOf(ns.nsAddress, port), { timeoutMs: opts.timeoutMs ?? 2000, ssh });
    // sshd logs a session's start before its output reaches us: the slice is complete once we are done.
    return { user, d, starts: shellStarts(host.log().slice(before), user) };
  };
  const both = (port: number, timeoutMs = 2000) => Promise.all([diagnoseAs(HEAVY, port, { timeoutMs }), diagnoseAs(NOISY, port, { timeoutMs })]);

  /** Decided right, with every catalogue check reported, none cut off, at most two shells started. */
  function expectDecided(runs: Run[], primaryCause: CauseId, verdict: Verdict, evidence: RegExp): void {
    for (const { user, d, starts } of runs) {
      expectDiagnosis(d, { primaryCause, verdict, evidence });
      expect(d.findings[0]?.confidence, `${user}: confidence`).toBe('confirmed');
      const ssh = d.checks.filter((c) => c.id.startsWith('ssh-'));
      expect(ssh.map((c) => c.id), user).toEqual(['ssh-connect', ...CATALOGUE.map((e) => `ssh-${e.id}`)]);
      expect(ssh.filter((c) => /no answer|SSH channel refused|no output/.test(c.detail)), user).toEqual([]);
      expect(d.checks.find((c) => c.id === 'ssh-ps')?.status, user).toBe('pass');
      expect(d.findings.map((f) => f.cause), user).not.toContain('remote-check-failed');
      expect(starts, `${user}: shell starts`).toBeGreaterThanOrEqual(1);
      expect(starts, `${user}: shell starts`).toBeLessThanOrEqual(2);
    }
  }

  it('sshd runs both rc files for commands it starts: the heavy one takes its 0.6 s, the noisy one prints around the output', async () => {
    for (const [user, expected] of [[HEAVY, 'heavy'], [NOISY, 'noisy']] as const) {
      const { session, info } = await SshSession.open(host.ssh({ user }), 5000);
      expect(info.ok, info.message).toBe(true);
      try {
        const r = await session!.exec('echo "rc: $RD_RC_RAN"', 10_000);
        expect(r.stdout, user).toContain(`rc: ${expected}\n`);
        if (user === HEAVY) expect(r.durationMs).toBeGreaterThanOrEqual(550);
        else expect(r.stdout).toMatch(/^Welcome to the lab host![\s\S]*### 0123456789abcdef begin ps[\s\S]*rc: noisy\n\n### deadbeefdeadbeef end free 0\nbye\n$/);
      } finally {
        session?.close();
      }
    }
  });

  it('nothing running → server-not-running', async () => {
    expectDecided(await both(6379), 'server-not-running', 'unreachable', /nothing listens on port 6379, and no redis-server listens on any port/);
  });

  it('bound to loopback only → bind-loopback-only, from ss', async () => {
    const server = await startRedis({ netns: ns, args: ['--bind', '127.0.0.1', '--protected-mode', 'yes'] });
    try {
      expectDecided(await both(6379), 'bind-loopback-only', 'unreachable', new RegExp(`ss -ltnp on ${ns.nsAddress}: LISTEN .*127\\.0\\.0\\.1:6379 .*redis-server",pid=${server.pid}`));
    } finally {
      await server.stop();
    }
  });

  it('Redis on another port, nothing configured for the typed one → wrong-port, from ss', async () => {
    // 7378: no redis.conf on the machine names it (Debian's /etc/redis/redis.conf is for 6379,
    // which would make it server-not-running with wrong-port only possible).
    const server = await startRedis({ netns: ns, port: 7479, args: ['--protected-mode', 'no'] });
    try {
      expectDecided(await both(7378), 'wrong-port', 'unreachable', new RegExp(`ss -ltnp on ${ns.nsAddress}: LISTEN .*:7479 .*redis-server`));
    } finally {
      await server.stop();
    }
  });

  it('iptables REJECT in front of a listening Redis → firewall-blocked, through sudo -n', async () => {
    const server = await startRedis({ netns: ns, args: ['--protected-mode', 'no'] });
    await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', '6379', '-j', 'REJECT']);
    try {
      expectDecided(await both(6379), 'firewall-blocked', 'unreachable', /iptables on .*: -A INPUT -p tcp -m tcp --dport 6379 -j REJECT/);
    } finally {
      await ns.iptables(['-F', 'INPUT']);
      await server.stop();
    }
  });

  it('data directory on a full filesystem → disk-full, from df of the process cwd', async () => {
    const server = await startRedis({ netns: ns, dataDir: disk.path, args: ['--protected-mode', 'no'] });
    try {
      expectDecided(await both(6379), 'disk-full', 'degraded', new RegExp(`df -P -k on ${ns.nsAddress}: \\S+ 256 256 0 100% ${disk.path}`));
    } finally {
      await server.stop();
    }
  });

  it('a SIGSTOPped redis-server → server-stalled, quoting its ps line (STAT T)', async () => {
    const server: RedisServer = await startRedis({ netns: ns, args: ['--protected-mode', 'no'] });
    process.kill(server.pid, 'SIGSTOP');
    try {
      const runs = await both(6379, 1000);
      expectDecided(runs, 'server-stalled', 'unreachable', new RegExp(`ps on ${ns.nsAddress}: ${server.pid} root T\\S* redis-server`));
      for (const { d } of runs) {
        expect(d.findings[0]?.details).toMatchObject({ pid: server.pid, state: 'stopped' });
        expect(d.findings.map((f) => f.cause)).not.toContain('connection-timeout');
      }
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await server.stop();
    }
  });

  it('a login that takes 1.6 s is not a failure: --timeout 100 ends the probes long before, the SSH phase has its own bound', async () => {
    const noisy = accounts.find((a) => a.user === NOISY)!;
    const rc = join(noisy.home, '.bashrc');
    const saved = await readFile(rc, 'utf8');
    await appendFile(rc, 'sleep 1.6\n');
    try {
      // The probes' run deadline is 4 × 100 ms + 1 s; the SSH phase bound the larger of 10 s and 5 × 100 ms.
      const { d, starts } = await diagnoseAs(NOISY, 6379, { timeoutMs: 100 });
      expectDiagnosis(d, { primaryCause: 'server-not-running', verdict: 'unreachable', evidence: /nothing listens on port 6379/ });
      expect(d.findings.map((f) => f.cause)).not.toContain('remote-check-failed');
      expect(d.durationMs).toBeGreaterThan(1600);
      expect(starts).toBeLessThanOrEqual(2);
    } finally {
      await writeFile(rc, saved);
    }
  });

  it('the SSH phase bound (--ssh-timeout, through the CLI) cuts a hung tool short: what answered decides, remote-check-failed names what did not', async () => {
    // A firewall tool this machine lacks, on the noisy account's PATH (its rc adds ~/bin), that never answers.
    const tools: [string, RemoteCommandId][] = [['ufw', 'ufw'], ['firewall-cmd', 'firewalld'], ['nft', 'nft']];
    const [tool, id] = tools.find(([t]) => sudoPath(t) === undefined) ?? [];
    if (!tool || !id) throw new Error('ufw, firewall-cmd and nft are all installed here: no tool to hang');
    const noisy = accounts.find((a) => a.user === NOISY)!;
    const bin = join(noisy.home, 'bin');
    await mkdir(bin, { recursive: true, mode: 0o755 });
    await writeFile(join(bin, tool), '#!/bin/sh\nexec sleep 5\n');
    await chmod(join(bin, tool), 0o755);
    try {
      // Each command may take 6 s on the host (--timeout 6000); the phase has 3 s.
      const before = host.log().length;
      let out = '';
      const stream = { isTTY: false, write: (chunk: string) => ((out += chunk), true) };
      const argv = ['diagnose', `${ns.nsAddress}:6379`, '--json', '--timeout', '6000', '--ssh', `${NOISY}@${ns.nsAddress}`, '--ssh-key', host.keyPath, '--ssh-known-hosts', host.knownHostsPath, '--ssh-timeout', '3000'];
      const code = await runCli({ argv, env: {}, stdout: stream, stderr: stream });
      expect(code, out).toBe(1);
      const d = JSON.parse(out) as Diagnosis;
      expectDiagnosis(d, { primaryCause: 'server-not-running', verdict: 'unreachable', evidence: /nothing listens on port 6379/ });
      expect(d.durationMs).toBeLessThan(3000 + 1500);
      expect(shellStarts(host.log().slice(before), NOISY)).toBeLessThanOrEqual(2);
      const cut = d.findings.find((f) => f.cause === 'remote-check-failed');
      // The hung tool and what runs after it in the first script; the follow-up ran on its own channel.
      const late = RUN_ORDER.slice(RUN_ORDER.indexOf(id), RUN_ORDER.indexOf('redis-conf'));
      expect(cut).toMatchObject({ severity: 'info', details: { reason: 'timeout', boundMs: 3000 } });
      expect(cut?.title).toBe(`Remote checks on ${ns.nsAddress} cut short: no answer within 3000 ms from: ${CATALOGUE.map((e) => e.id).filter((x) => late.includes(x)).join(', ')}`);
      for (const c of ['ps', 'ss']) expect(d.checks.find((x) => x.id === `ssh-${c}`)?.status, c).toBe('pass');
      // Without sudo the follow-up may be refused a root-only redis.conf, but it answered.
      for (const c of ['redis-conf', 'df', 'proc-limits']) expect(d.checks.find((x) => x.id === `ssh-${c}`)?.detail, c).not.toMatch(/no answer/);
      expect(d.checks.find((x) => x.id === `ssh-${id}`)).toMatchObject({ status: 'warn', detail: 'no answer within 3000 ms (the SSH phase bound)' });
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });
});
