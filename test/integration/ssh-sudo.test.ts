/**
 * `sudo -n` for the checks that need root, with a real sudo and a non-root
 * login: a throwaway local account (sshd in the namespace shares the
 * filesystem, so it sees the account) whose sudoers drop-in allows NOPASSWD
 * exactly the commands the catalogue runs under sudo on this host, nothing
 * else. The Redis host state needs root to see: an iptables REJECT rule
 * (iptables -S is root only), redis.conf in a root-only directory, the
 * redis-server's sockets and cwd (another user's process).
 *
 * Without the drop-in every one of those checks says "denied" (sudo: a
 * password is required) and the diagnosis carries on with what the network
 * shows; with it the same checks pass and decide firewall-blocked.
 */
import { execFile } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run as runCli } from '../../src/cli/run.js';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { runRemoteChecks } from '../../src/engine/remote/index.js';
import type { RemoteCommandId, RemoteObservation } from '../../src/engine/remote/types.js';
import { runOk } from '../lab/exec.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';
import { installSudoers as installDropIn, readmeSudoers, removeAccount, startRedisWithConf, startSshHost, sudoPath, type ConfRedis, type SshHost } from './ssh-lab.js';

const REQUIREMENTS = [
  need.root(),
  need.netns(),
  ...['redis-server', 'sshd', 'ssh-keygen', 'iptables', 'sudo', 'visudo', 'useradd', 'userdel'].map((b) => need.binary(b)),
];

const USER = `rdsudo${process.pid}`;
const SUDOERS = `/etc/sudoers.d/rd-sudo-${process.pid}`;

/**
 * Every command the catalogue runs through `s` on this host (scripts.ts), with its exact arguments:
 * sudoers matches the whole command line, so a changed argument in the catalogue shows up here as "denied".
 */
function catalogueSudoCommands(server: ConfRedis): string[] {
  const commands: [string, string][] = [
    ['ss', '-ltnp'],
    ['dmesg', '""'],
    ['journalctl', '-k -b --no-pager -q -o short-iso'],
    ['iptables', '-S'],
    ['ip6tables', '-S'],
    ['nft', 'list ruleset'],
    ['cat', server.confPath],
    ['cat', `/proc/${server.pid}/limits`],
    ['readlink', `/proc/${server.pid}/cwd`],
    // df measures the cwd through /proc, which reaches it in any mount namespace (scripts.ts dfScript).
    ['df', `-P -k /proc/${server.pid}/cwd/.`],
  ];
  return commands.flatMap(([tool, args]) => {
    const path = sudoPath(tool);
    return path ? [`${path} ${args}`] : [];
  });
}

function installSudoers(lines: string[]): Promise<void> {
  return installDropIn(SUDOERS, lines);
}

const status = (obs: RemoteObservation, id: RemoteCommandId) => obs.commands.find((c) => c.id === id);

/** `sudo -n argv` as the test account; resolves with sudo's exit status. */
function sudoAs(uid: number, gid: number, argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile('sudo', ['-n', ...argv], { uid, gid, timeout: 10_000 }, (error) => resolve(error ? Number(error.code ?? -1) : 0));
  });
}

describeLab('SSH checks through sudo -n as a non-root login', REQUIREMENTS, () => {
  let ns: Netns;
  let host: SshHost;
  let server: ConfRedis;

  beforeAll(async () => {
    ns = await createNetns();
    host = await startSshHost(ns);
    // Password field '*': no password login, and not "locked" ('!'), which sshd refuses even for keys.
    await runOk('useradd', ['--no-create-home', '--no-user-group', '--home-dir', join(host.dir, 'home'), '--shell', '/bin/sh', '--password', '*', '--comment', 'redis-doctor sudo test', USER]);
    // Its directory is root's 0700 temp dir; the file itself root-only too.
    server = await startRedisWithConf(ns, ['bind 0.0.0.0', 'port 6379', 'protected-mode no']);
    await chmod(server.confPath, 0o600);
    await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', '6379', '-j', 'REJECT']);
  });
  afterAll(async () => {
    await rm(SUDOERS, { force: true });
    await rm(`${SUDOERS}.new`, { force: true });
    await server?.stop();
    await host?.stop();
    await removeAccount(USER);
    await ns?.destroy();
  });

  const ctx = () => ({ target: targetOf(ns.nsAddress, 6379), timeoutMs: 3000 });

  it('no sudoers entry: iptables, ss, redis.conf and /proc/<pid>/limits are "denied", the rest runs, the diagnosis carries on', async () => {
    const r = await runRemoteChecks(host.ssh({ user: USER, sudo: true }), ctx());
    const obs = r.observation;
    expect(obs.session).toMatchObject({ ok: true, user: USER, sudo: true });
    expect(status(obs, 'ps')?.status).toBe('ok');
    expect(status(obs, 'iptables')).toMatchObject({ status: 'denied', detail: expect.stringMatching(/^iptables: sudo: a password is required/) });
    expect(status(obs, 'ss')).toMatchObject({ status: 'denied', detail: 'sudo: a password is required' });
    // With ss refused, every redis-server of the machine is a candidate (other tests' too): one list.
    expect(status(obs, 'redis-conf')).toMatchObject({ status: 'denied', detail: expect.stringMatching(/^cannot read \//) });
    expect(status(obs, 'redis-conf')?.detail).toContain(server.confPath);
    expect(status(obs, 'proc-limits')).toMatchObject({ status: 'denied', detail: '/proc/<pid>/limits: sudo: a password is required' });
    if (sudoPath('nft')) expect(status(obs, 'nft')).toMatchObject({ status: 'denied', detail: 'sudo: a password is required' });
    expect(obs.firewall ?? []).toEqual([]);

    const d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 2000, ssh: host.ssh({ user: USER, sudo: true }) });
    expectDiagnosis(d, { primaryCause: 'connection-refused', verdict: 'unreachable' });
    expect(d.checks.find((c) => c.id === 'ssh-iptables')?.status).toBe('warn');
  });

  it('no sudo configured: the root-only state is "denied" by the tools themselves', async () => {
    const r = await runRemoteChecks(host.ssh({ user: USER }), ctx());
    expect(status(r.observation, 'iptables')).toMatchObject({ status: 'denied', detail: expect.stringMatching(/Permission denied \(you must be root\)/) });
    expect(status(r.observation, 'redis-conf')).toMatchObject({ status: 'denied', detail: expect.stringMatching(/^cannot read \//) });
    expect(status(r.observation, 'redis-conf')?.detail).toContain(server.confPath);
  });

  it('NOPASSWD for exactly the catalogue commands: the same checks pass through sudo and decide firewall-blocked', async () => {
    await installSudoers([`${USER} ALL=(root) NOPASSWD: ${catalogueSudoCommands(server).join(', ')}`]);
    try {
      const r = await runRemoteChecks(host.ssh({ user: USER, sudo: true }), ctx());
      const obs = r.observation;
      for (const id of ['ss', 'iptables', 'redis-conf', 'proc-limits', 'df'] as const) expect(status(obs, id)?.status, `${id}: ${status(obs, id)?.detail}`).toBe('ok');
      expect(obs.listeners?.find((l) => l.port === 6379)).toMatchObject({ process: 'redis-server', pid: server.pid });
      expect(obs.redisConf?.find((f) => f.path === server.confPath)).toMatchObject({ source: 'process', bind: ['0.0.0.0'], port: 6379 });
      expect(obs.fileLimits?.map((l) => l.pid)).toEqual([server.pid]);
      expect(obs.disks?.[0]).toMatchObject({ origin: 'process-cwd', pid: server.pid, path: server.dir, mountedOn: expect.stringMatching(/^\//) });

      const d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 2000, ssh: host.ssh({ user: USER, sudo: true }) });
      expectDiagnosis(d, { primaryCause: 'firewall-blocked', verdict: 'unreachable', evidence: /iptables on .*: -A INPUT -p tcp -m tcp --dport 6379 -j REJECT/ });
      expect(d.findings[0]?.evidence.join('\n')).toMatch(new RegExp(`users:\\(\\("redis-server",pid=${server.pid}`));

      // The same, configured per target: `sudo: true` in the config file's ssh block, through the CLI.
      const config = join(host.dir, 'redis-doctor.yaml');
      await writeFile(config, ['targets:', ...host.configTarget('lab-sudo', { user: USER, sudo: true }), ...host.configTarget('lab-nosudo', { user: USER }), ''].join('\n'));
      for (const [name, cause] of [['lab-sudo', 'firewall-blocked'], ['lab-nosudo', 'connection-refused']] as const) {
        let out = '';
        const stream = { isTTY: false, write: (chunk: string) => ((out += chunk), true) };
        const code = await runCli({ argv: ['diagnose', name, '--config', config, '--json', '--timeout', '2000'], env: {}, stdout: stream, stderr: stream });
        expect(code, out).toBe(1);
        expect((JSON.parse(out) as { primaryCause: string }).primaryCause, name).toBe(cause);
      }
    } finally {
      await rm(SUDOERS, { force: true });
    }
  });
  it("the sudoers drop-in of docs/remote-checks.md lets the catalogue through and nothing else: no wildcard reaches /etc/shadow", async () => {
    await installSudoers([...readmeSudoers(USER), `${USER} ALL=(root) NOPASSWD: ${sudoPath('cat')} ${server.confPath}`]);
    try {
      const r = await runRemoteChecks(host.ssh({ user: USER, sudo: true }), ctx());
      for (const id of ['ss', 'iptables', 'redis-conf', 'proc-limits', 'df', 'kernel-oom'] as const) expect(status(r.observation, id)?.status, `${id}: ${status(r.observation, id)?.detail}`).toBe('ok');
      const uid = Number((await runOk('id', ['-u', USER])).trim());
      const gid = Number((await runOk('id', ['-g', USER])).trim());
      expect(await sudoAs(uid, gid, ['cat', `/proc/${server.pid}/limits`])).toBe(0);
      for (const sneaky of [['cat', '/proc/1', '/etc/shadow', '/proc/1/limits'], ['cat', '/etc/redis/redis.conf', '/etc/shadow'], ['df', '-P', '-k', '/', '/etc/shadow'], ['dmesg', '-C'], ['iptables', '-F']]) {
        expect(await sudoAs(uid, gid, sneaky), sneaky.join(' ')).toBe(1);
      }
    } finally {
      await rm(SUDOERS, { force: true });
    }
  });
});
