/**
 * Containers for real (issue #19): a real Docker engine (lab/docker.ts) runs Redis containers
 * in each state of the table; the client is on another host (a network namespace,
 * lab/netns.ts) and reads Docker's state from the engine's socket (--docker-host unix://…),
 * as the bot or the CLI does when it runs next to the Docker host. Each row gets the right
 * answer, a healthy published container none; a password a container prints reaches no output.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dockerClient, startDockerd, type DockerLab } from '../lab/docker.js';
import { describeLab, need, which } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { freePort } from '../lab/ports.js';
import { pollUntil } from '../lab/poll.js';
import { assertNoPlantedSecret, plantSecret } from '../lab/secrets.js';
import { diagnoseInNetns } from '../lab/diagnose-in-netns.js';
import type { Diagnosis } from '../../src/engine/model/types.js';

const SECRET = plantSecret(`dockerpw-${process.pid}-Zq8`);

describeLab('containers (issue #19): Docker state from a real engine', [need.root(), need.netns(), ['dockerd (apt-get install docker.io)', which('dockerd') !== undefined && dockerClient() !== undefined], ['debootstrap', which('debootstrap') !== undefined]], () => {
  let d: DockerLab;
  let ns: Netns;
  let image = '';
  const port: Record<string, number> = {};

  async function inspectState(name: string): Promise<{ Status: string; RestartCount: number; OOMKilled: boolean }> {
    const out = JSON.parse(await d.docker(['inspect', d.name(name)])) as { State: { Status: string; OOMKilled: boolean }; RestartCount: number }[];
    return { ...out[0]!.State, RestartCount: out[0]!.RestartCount };
  }

  async function diagnoseAt(p: number, container?: string): Promise<Diagnosis> {
    const diagnosis = await diagnoseInNetns(ns, { input: `${ns.hostAddress}:${p}`, host: ns.hostAddress, port: p, tls: false }, { timeoutMs: 1500, scanNeighbours: false, docker: { host: d.host, hostFrom: '--docker-host', ...(container ? { container: d.name(container) } : {}) } }, 60_000);
    assertNoPlantedSecret(`the diagnosis of port ${p}`, JSON.stringify(diagnosis));
    return diagnosis;
  }

  beforeAll(async () => {
    d = await startDockerd();
    ns = await createNetns();
    image = await d.redisImage();
    for (const k of ['healthy', 'none', 'lo', 'wrongc', 'other', 'otherTarget', 'exited', 'loop', 'oom', 'unhealthy']) port[k] = await freePort();
    const run = (name: string, args: string[], cmd: string[] = []) => d.docker(['run', '-d', '--name', d.name(name), ...args, image, ...cmd]);
    await run('healthy', ['-p', `${port.healthy}:6379`]);
    await run('none', []);
    await run('lo', ['-p', `127.0.0.1:${port.lo}:6379`]);
    await run('wrongc', ['-p', `${port.wrongc}:6380`]);
    await run('other', ['-p', `${port.other}:6379`]);
    // Redis refuses this configuration and says so, quoting the password it was given.
    const bad = ['redis-server', '--protected-mode', 'no', '--requirepass', SECRET, 'extra-argument'];
    await run('exited', ['-p', `${port.exited}:6379`, '--restart', 'no'], bad);
    await run('loop', ['-p', `${port.loop}:6379`, '--restart', 'always'], bad);
    await run('oom', ['-p', `${port.oom}:6379`, '--memory', '16m', '--memory-swap', '16m', '--restart', 'no'], ['sh', '-c', 'redis-server --protected-mode no --save "" --port 6379 & sleep 1; head -c 200000000 /dev/zero | tail > /dev/null']);
    await run('unhealthy', ['-p', `${port.unhealthy}:6379`, '--health-cmd', 'exit 1', '--health-interval', '1s', '--health-retries', '1'], []);
    await pollUntil(async () => ((await inspectState('exited')).Status === 'exited' ? true : undefined), { timeoutMs: 30_000, what: 'the exited container to exit' });
    await pollUntil(async () => ((await inspectState('loop')).RestartCount >= 2 ? true : undefined), { timeoutMs: 60_000, what: 'the looping container to restart twice' });
    await pollUntil(async () => ((await inspectState('oom')).Status === 'exited' ? true : undefined), { timeoutMs: 60_000, what: 'the OOM container to be killed' });
  }, 900_000);

  afterAll(async () => {
    await ns?.destroy();
    await d?.stop();
  });

  it('a healthy published container (-p H:6379): no finding, not wrong-instance, not oom-killed', async () => {
    const diagnosis = await diagnoseAt(port.healthy!);
    expect(diagnosis.findings.filter((f) => f.severity !== 'info').map((f) => f.cause)).toEqual([]);
    expect(diagnosis.findings.map((f) => f.cause)).not.toContain('wrong-instance');
    expect(diagnosis.findings.map((f) => f.cause)).not.toContain('oom-killed');
    const check = diagnosis.checks.find((c) => c.id === 'docker')!;
    expect(check.detail).toContain(d.host);
  });

  it('port not published → container-port-not-published / not-published', async () => {
    const diagnosis = await diagnoseAt(port.none!, 'none');
    expect(diagnosis.primaryCause).toBe('container-port-not-published');
    const f = diagnosis.findings.find((x) => x.cause === 'container-port-not-published')!;
    expect(f.details).toMatchObject({ reason: 'not-published', container: d.name('none') });
    expect(f.confidence).toBe('confirmed');
  });

  it('published on 127.0.0.1 only, client elsewhere → loopback-only with the -p fix, not bind advice', async () => {
    const diagnosis = await diagnoseAt(port.lo!);
    expect(diagnosis.primaryCause).toBe('container-port-not-published');
    const f = diagnosis.findings.find((x) => x.cause === 'container-port-not-published')!;
    expect(f.details).toMatchObject({ reason: 'loopback-only' });
    expect(f.confidence).toBe('confirmed');
    expect(f.remediations[0]!.steps.join('\n')).toContain(`-p 0.0.0.0:${port.lo}:6379`);
    expect(diagnosis.findings.map((x) => x.cause)).not.toContain('bind-loopback-only');
  });

  it('-p H:6380 for a Redis on 6379 inside → wrong-container-port', async () => {
    const diagnosis = await diagnoseAt(port.wrongc!);
    expect(diagnosis.primaryCause).toBe('container-port-not-published');
    expect(diagnosis.findings.find((x) => x.cause === 'container-port-not-published')!.details).toMatchObject({ reason: 'wrong-container-port', boundPort: 6380, containerPort: 6379 });
  });

  it('the named container publishes another host port → other-host-port', async () => {
    const diagnosis = await diagnoseAt(port.otherTarget!, 'other');
    expect(diagnosis.primaryCause).toBe('container-port-not-published');
    expect(diagnosis.findings.find((x) => x.cause === 'container-port-not-published')!.details).toMatchObject({ reason: 'other-host-port', hostPort: port.other });
  });

  it('an exited container → container-not-running with its exit code and the config error from its redacted log', async () => {
    const diagnosis = await diagnoseAt(port.exited!);
    expect(diagnosis.primaryCause).toBe('container-not-running');
    const f = diagnosis.findings.find((x) => x.cause === 'container-not-running')!;
    expect(f.confidence).toBe('confirmed');
    expect(f.details).toMatchObject({ state: 'exited', exitCode: 1 });
    expect(String(f.details!.configError)).toMatch(/requirepass/);
    expect(f.evidence.join('\n')).toContain('FATAL CONFIG FILE ERROR');
    expect(f.remediations[0]!.steps.join('\n')).toContain(`docker start ${d.name('exited')}`);
  });

  it('a container restarting in a loop → container-not-running with RestartCount', async () => {
    const diagnosis = await diagnoseAt(port.loop!);
    expect(diagnosis.primaryCause).toBe('container-not-running');
    const f = diagnosis.findings.find((x) => x.cause === 'container-not-running')!;
    expect(f.details!.state).toBe('restarting');
    expect(Number(f.details!.restartCount)).toBeGreaterThanOrEqual(2);
  });

  it('an OOM-killed container → oom-killed tied to it (State.OOMKilled), with the --memory / mem_limit fix', async () => {
    expect((await inspectState('oom')).OOMKilled).toBe(true);
    const diagnosis = await diagnoseAt(port.oom!);
    expect(diagnosis.primaryCause).toBe('oom-killed');
    const f = diagnosis.findings.find((x) => x.cause === 'oom-killed')!;
    expect(f.confidence).toBe('confirmed');
    expect(f.remediations[0]!.id).toBe('raise-container-memory');
  });

  it('an unhealthy HEALTHCHECK is said on the docker check; Redis answering is no finding', async () => {
    await expect.poll(async () => ((await d.docker(['inspect', '--format', '{{.State.Health.Status}}', d.name('unhealthy')])).trim()), { timeout: 30_000 }).toBe('unhealthy');
    const diagnosis = await diagnoseAt(port.unhealthy!);
    const check = diagnosis.checks.find((c) => c.id === 'docker')!;
    expect(check.status).toBe('warn');
    expect(check.detail).toContain(`HEALTHCHECK unhealthy: ${d.name('unhealthy')}`);
  });
});
