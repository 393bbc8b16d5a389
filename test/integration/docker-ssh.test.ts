/**
 * The SSH checks on a real Docker host (issue #19): a real dockerd (lab/docker.ts) runs Redis
 * containers in each situation of the issue; a real sshd on that host (ssh-lab.ts, Docker-host
 * mode: its logins see the engine at /var/run/docker.sock, root:docker 0660); the client is the
 * built CLI in a network namespace, another machine, diagnosing with the target's `ssh:` block
 * and NO --docker-host: the Docker evidence comes only over SSH.
 *
 * The doctor account is what docs/containers.md recommends: an account outside the `docker`
 * group (membership of which is root on that host) with the sudoers drop-in of
 * docs/remote-checks.md, which allows `docker ps`, `docker inspect <ids>` and
 * `docker logs --tail 30 <id>` and nothing else of Docker. Then the two other accounts an
 * on-call engineer meets: one in the `docker` group (works; root-equivalent), and one with
 * neither (the docker checks say "denied", the rest of the diagnosis goes on).
 *
 * The host's kernel log holds the OOM kill of another container (and whatever other tests on
 * this machine killed): it is not borrowed for a container that was not killed.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Diagnosis } from '../../src/engine/model/types.js';
import { CLI, ensureBuilt } from '../cli/helpers.js';
import { dockerClient, startDockerd, type DockerLab } from '../lab/docker.js';
import { run, runOk } from '../lab/exec.js';
import { describeLab, need, which } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { pollUntil } from '../lab/poll.js';
import { freePort } from '../lab/ports.js';
import { assertNoPlantedSecret, plantSecret } from '../lab/secrets.js';
import { addLoginAccount, installSudoers, readmeSudoers, shellStarts, startSshHost, sudoPath, type LoginAccount, type SshHost } from './ssh-lab.js';

const SECRET = plantSecret(`dockersshpw-${process.pid}-Kx3`);
const SUDO_USER = `rddsudo${process.pid}`;
const GROUP_USER = `rddgrp${process.pid}`;
const PLAIN_USER = `rddnone${process.pid}`;
const SUDOERS = `/etc/sudoers.d/rd-dockssh-${process.pid}`;

const REQUIREMENTS = [
  need.root(),
  need.netns(),
  ['dockerd (apt-get install docker.io)', which('dockerd') !== undefined && dockerClient() !== undefined] as const,
  ['debootstrap', which('debootstrap') !== undefined] as const,
  ...['sshd', 'ssh-keygen', 'sudo', 'visudo', 'useradd', 'userdel', 'usermod', 'unshare', 'dmesg'].map((b) => need.binary(b)),
];

/**
 * The docs' drop-in for `user`, with this machine's path of each tool: sudo resolves a command
 * through its secure_path and sudoers names it by absolute path (a docker in /usr/local/bin here).
 */
function docsSudoers(user: string): string[] {
  return readmeSudoers(user).map((line) => line.replace(/\/usr\/s?bin\/(docker|dmesg|ss)\b/g, (whole, tool: string) => sudoPath(tool) ?? whole));
}

describeLab('the SSH checks on a real Docker host (issue #19)', REQUIREMENTS, () => {
  let d: DockerLab;
  let ns: Netns;
  let host: SshHost;
  const accounts: LoginAccount[] = [];
  const port: Record<string, number> = {};
  let configDir = '';

  async function inspectState(name: string): Promise<{ Status: string; RestartCount: number; OOMKilled: boolean }> {
    const out = JSON.parse(await d.docker(['inspect', d.name(name)])) as { State: { Status: string; OOMKilled: boolean }; RestartCount: number }[];
    return { ...out[0]!.State, RestartCount: out[0]!.RestartCount };
  }

  /** The built CLI in the client's namespace: `diagnose <target> --config <file> --json`, the target's ssh: block and no docker: block. */
  async function diagnoseOver(user: string, situation: string, sudo = true, container?: string): Promise<{ diagnosis: Diagnosis; shells: number }> {
    const file = join(configDir, `${user}-${situation}${container ? '-named' : ''}.yaml`);
    // A docker: block with a container name and no host: still the SSH host's own Docker.
    const named = container ? ['    docker:', `      container: ${container}`] : [];
    await writeFile(file, ['targets:', ...host.configTarget(situation, { redisPort: port[situation]!, user, sudo }), ...named, ''].join('\n'));
    const before = host.log().length;
    const r = await run('ip', ['netns', 'exec', ns.name, process.execPath, CLI, 'diagnose', situation, '--config', file, '--timeout', '1500', '--json'], { timeoutMs: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: configDir } });
    assertNoPlantedSecret(`the diagnosis of ${situation}`, r.stdout + r.stderr);
    if (r.code !== 0 && r.code !== 1) throw new Error(`redis-doctor diagnose ${situation}: exit ${r.code}: ${r.stderr.slice(-500)}`);
    return { diagnosis: JSON.parse(r.stdout) as Diagnosis, shells: shellStarts(host.log().slice(before), user) };
  }

  const finding = (diagnosis: Diagnosis, cause: string) => diagnosis.findings.find((f) => f.cause === cause);
  const check = (diagnosis: Diagnosis, id: string) => diagnosis.checks.find((c) => c.id === id);

  beforeAll(async () => {
    ensureBuilt();
    d = await startDockerd();
    ns = await createNetns();
    const image = await d.redisImage();
    for (const k of ['healthy', 'none', 'lo', 'wrongc', 'exited', 'loop', 'oom']) port[k] = await freePort();
    const start = (name: string, args: string[], cmd: string[] = []) => d.docker(['run', '-d', '--name', d.name(name), ...args, image, ...cmd]);
    await start('healthy', ['-p', `${port.healthy}:6379`]);
    await start('none', []);
    await start('lo', ['-p', `127.0.0.1:${port.lo}:6379`]);
    await start('wrongc', ['-p', `${port.wrongc}:6380`]);
    // Redis refuses this configuration and says so on stderr, quoting the password it was given.
    const bad = ['redis-server', '--protected-mode', 'no', '--requirepass', SECRET, 'extra-argument'];
    await start('exited', ['-p', `${port.exited}:6379`, '--restart', 'no'], bad);
    await start('loop', ['-p', `${port.loop}:6379`, '--restart', 'always'], bad);
    // Its redis-server (pid 1) is the process the kernel kills: that kill stays in the host's kernel log for every other diagnosis.
    await start('oom', ['-p', `${port.oom}:6379`, '--memory', '16m', '--memory-swap', '16m', '--restart', 'no']);
    await pollUntil(async () => ((await d.dockerRun(['exec', d.name('oom'), 'redis-cli', 'PING'])).stdout.includes('PONG') ? true : undefined), { timeoutMs: 30_000, what: 'the OOM container\'s Redis to answer' });
    await d.dockerRun(['exec', d.name('oom'), 'redis-cli', 'SETRANGE', 'big', '100000000', 'x'], { timeoutMs: 30_000 });
    await pollUntil(async () => ((await inspectState('exited')).Status === 'exited' ? true : undefined), { timeoutMs: 30_000, what: 'the exited container to exit' });
    await pollUntil(async () => ((await inspectState('loop')).RestartCount >= 2 ? true : undefined), { timeoutMs: 60_000, what: 'the looping container to restart twice' });
    await pollUntil(async () => ((await inspectState('oom')).Status === 'exited' ? true : undefined), { timeoutMs: 60_000, what: 'the OOM container to be killed' });

    host = await startSshHost(ns, [], { dockerSocket: d.socket });
    configDir = join(host.dir, 'client');
    await runOk('mkdir', ['-m', '0700', configDir]);
    for (const user of [SUDO_USER, GROUP_USER, PLAIN_USER]) accounts.push(await addLoginAccount(host, user, ['# a plain on-call login']));
    await runOk('usermod', ['-aG', 'docker', GROUP_USER]);
    await installSudoers(SUDOERS, docsSudoers(SUDO_USER));
  }, 900_000);

  afterAll(async () => {
    await rm(SUDOERS, { force: true });
    await host?.stop();
    for (const a of accounts) await a.remove();
    await ns?.destroy();
    await d?.stop();
  });

  it('the Docker host as its logins see it: /var/run/docker.sock is the engine, root:docker 0660; the doctor account is not in the docker group', async () => {
    const socket = await run('ip', ['netns', 'exec', ns.name, 'ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${host.knownHostsPath}`, '-i', host.keyPath, `${SUDO_USER}@${host.address}`, 'stat -c "%U:%G %a %F" /var/run/docker.sock; id -nG'], { timeoutMs: 20_000 });
    expect(socket.stdout.split('\n')[0]).toBe('root:docker 660 socket');
    expect(socket.stdout.split('\n')[1]!.split(' ')).not.toContain('docker');
  });

  it('a healthy published container (-p H:6379): no finding, not wrong-instance, no borrowed OOM kill; docker read over SSH in at most two login shells', async () => {
    // Another container's OOM kill is in this host's kernel log.
    expect((await inspectState('oom')).OOMKilled).toBe(true);
    const { diagnosis, shells } = await diagnoseOver(SUDO_USER, 'healthy');
    expect(diagnosis.findings.filter((f) => f.severity !== 'info').map((f) => f.cause)).toEqual([]);
    expect(diagnosis.findings.map((f) => f.cause)).not.toContain('wrong-instance');
    expect(diagnosis.findings.map((f) => f.cause)).not.toContain('oom-killed');
    expect(check(diagnosis, 'ssh-kernel-oom')?.detail).toMatch(/OOM kills? of a redis-server not linked to port/);
    expect(check(diagnosis, 'ssh-docker-ps')).toMatchObject({ status: 'pass', detail: expect.stringContaining(d.name('healthy')) });
    expect(check(diagnosis, 'ssh-docker-inspect')?.status).toBe('pass');
    expect(check(diagnosis, 'docker')).toBeUndefined();
    expect(shells).toBeGreaterThan(0);
    expect(shells).toBeLessThanOrEqual(2);
  });

  it('port not published, the target names its container → container-port-not-published / not-published, confirmed', async () => {
    const { diagnosis } = await diagnoseOver(SUDO_USER, 'none', true, d.name('none'));
    expect(diagnosis.primaryCause).toBe('container-port-not-published');
    const f = finding(diagnosis, 'container-port-not-published')!;
    expect(f.details).toMatchObject({ reason: 'not-published', container: d.name('none'), containerPort: 6379 });
    expect(f.confidence).toBe('confirmed');
    expect(f.evidence.join('\n')).toContain('(SSH)');
  });

  it('port not published, no container named: not-published is possible among four running Redis containers, and this host\'s loopback Redis servers do not make wrong-port sure', async () => {
    const { diagnosis } = await diagnoseOver(SUDO_USER, 'none');
    const f = finding(diagnosis, 'container-port-not-published')!;
    expect(f.details).toMatchObject({ reason: 'not-published', container: d.name('none') });
    expect(f.confidence).toBe('possible');
    // ss on a Docker host does not see the containers' Redis: "Redis only on other ports" is not shown.
    const wrongPort = finding(diagnosis, 'wrong-port');
    if (wrongPort) expect(wrongPort.confidence).toBe('possible');
    expect(diagnosis.primaryCause).toBe('connection-refused');
  });

  it('published on 127.0.0.1 only, client on another machine → loopback-only, the -p fix, not bind advice', async () => {
    const { diagnosis } = await diagnoseOver(SUDO_USER, 'lo');
    expect(diagnosis.primaryCause).toBe('container-port-not-published');
    const f = finding(diagnosis, 'container-port-not-published')!;
    expect(f.details).toMatchObject({ reason: 'loopback-only', container: d.name('lo') });
    expect(f.confidence).toBe('confirmed');
    expect(f.remediations[0]!.steps.join('\n')).toContain(`-p 0.0.0.0:${port.lo}:6379`);
    expect(diagnosis.findings.map((x) => x.cause)).not.toContain('bind-loopback-only');
    expect(diagnosis.findings.map((x) => x.cause)).not.toContain('oom-killed');
  });

  it('-p H:6380 for a Redis on 6379 inside → wrong-container-port', async () => {
    const { diagnosis } = await diagnoseOver(SUDO_USER, 'wrongc');
    expect(diagnosis.primaryCause).toBe('container-port-not-published');
    expect(finding(diagnosis, 'container-port-not-published')!.details).toMatchObject({ reason: 'wrong-container-port', boundPort: 6380, containerPort: 6379, container: d.name('wrongc') });
  });

  it('an exited container → container-not-running with its exit code and the FATAL CONFIG FILE ERROR from its log (docker logs over SSH, redacted)', async () => {
    const { diagnosis, shells } = await diagnoseOver(SUDO_USER, 'exited');
    expect(diagnosis.primaryCause).toBe('container-not-running');
    const f = finding(diagnosis, 'container-not-running')!;
    expect(f.confidence).toBe('confirmed');
    expect(f.details).toMatchObject({ container: d.name('exited'), state: 'exited', exitCode: 1 });
    expect(String(f.details!.configError)).toMatch(/requirepass/);
    expect(f.evidence.join('\n')).toContain('FATAL CONFIG FILE ERROR');
    expect(f.remediations[0]!.steps.join('\n')).toContain(`docker start ${d.name('exited')}`);
    expect(diagnosis.findings.map((x) => x.cause)).not.toContain('oom-killed');
    expect(shells).toBeLessThanOrEqual(2);
  });

  it('a container restarting in a loop → container-not-running, restarting, with RestartCount and the config error', async () => {
    const { diagnosis } = await diagnoseOver(SUDO_USER, 'loop');
    expect(diagnosis.primaryCause).toBe('container-not-running');
    const f = finding(diagnosis, 'container-not-running')!;
    expect(f.details).toMatchObject({ container: d.name('loop'), state: 'restarting' });
    expect(Number(f.details!.restartCount)).toBeGreaterThanOrEqual(2);
    expect(String(f.details!.configError)).toMatch(/requirepass/);
  });

  it('an OOM-killed container → oom-killed tied to it (docker inspect State.OOMKilled), with the --memory / mem_limit fix', async () => {
    const { diagnosis } = await diagnoseOver(SUDO_USER, 'oom');
    expect(diagnosis.primaryCause).toBe('oom-killed');
    const f = finding(diagnosis, 'oom-killed')!;
    expect(f.confidence).toBe('confirmed');
    expect(f.remediations[0]!.id).toBe('raise-container-memory');
    expect(f.evidence.join('\n')).toContain(d.name('oom'));
  });

  it('an account in the docker group reads the same (root-equivalent: docs/containers.md), without sudo', async () => {
    const { diagnosis } = await diagnoseOver(GROUP_USER, 'exited', false);
    expect(check(diagnosis, 'ssh-docker-ps')?.status).toBe('pass');
    expect(diagnosis.primaryCause).toBe('container-not-running');
    expect(String(finding(diagnosis, 'container-not-running')!.details!.configError)).toMatch(/requirepass/);
  });

  it('an account with neither: docker ps is "denied", no container cause is guessed, wrong-port is not made sure by the host\'s other Redis servers', async () => {
    const { diagnosis } = await diagnoseOver(PLAIN_USER, 'none', false);
    expect(check(diagnosis, 'ssh-docker-ps')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/permission denied/i) });
    expect(diagnosis.findings.map((f) => f.cause)).not.toContain('container-port-not-published');
    // A Docker this login cannot read may run the Redis the client meant: wrong-port is no more than possible.
    const wrongPort = finding(diagnosis, 'wrong-port');
    if (wrongPort) expect(wrongPort.confidence).toBe('possible');
    // connection-refused on this machine; not asserted exactly: without sudo, ss names no processes, so a
    // SIGSTOPped redis-server of another test running here is a server-stalled candidate (one pid namespace).
    expect(['connection-refused', 'server-stalled']).toContain(diagnosis.primaryCause);
  });
});
