/**
 * Docker events since the last good probe and an unhealthy HEALTHCHECK, with a real Docker
 * engine (lab/docker.ts; issue #19). The client is on another host (a network namespace) and
 * reads the engine's socket (--docker-host unix://…), the monitor's last good probe given as
 * history.lastAnsweredAt:
 *  - a HEALTHCHECK that asks the wrong port (`redis-cli -p 1 ping`) while Redis answers:
 *    container-unhealthy as a note, the check named as the fault; the same with `-a <password>`
 *    and REDISCLI_AUTH in the test: the password reaches no text, JSON or Slack output;
 *  - a healthy HEALTHCHECK: no finding;
 *  - a Redis stopped (SIGSTOP) inside its running container: the check times out and the probe
 *    gets no reply — container-unhealthy, critical;
 *  - a container the test kills (`docker kill`) after its last good probe: the timeline shows
 *    kill and die with exit code 137;
 *  - a container that crashes every few seconds under `--restart always`: the restarts between
 *    probes, from the events (die, then start);
 *  - a container OOM-killed once (`--memory 16m`) and started again by its restart policy:
 *    the oom event since the last good probe says when, next to State.OOMKilled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, startDockerd, type DockerLab } from '../lab/docker.js';
import { describeLab, need, which } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { freePort } from '../lab/ports.js';
import { pollUntil } from '../lab/poll.js';
import { assertNoPlantedSecret, plantSecret } from '../lab/secrets.js';
import { diagnoseInNetns } from '../lab/diagnose-in-netns.js';
import { renderJson } from '../../src/cli/render-json.js';
import { renderText } from '../../src/cli/render-text.js';
import { makeStyle } from '../../src/cli/style.js';
import { renderResult } from '../../src/slack/views/diagnosis.js';
import type { Diagnosis } from '../../src/engine/model/types.js';
import { dockerEventsScript } from '../../src/engine/remote/scripts.js';
import { parseEventsOutput } from '../../src/engine/docker/events.js';
import { runLocally } from '../remote/run-script.js';

const SECRET = plantSecret(`hcpw-${process.pid}-Xk3`);

describeLab('containers (issue #19): Docker events since the last good probe, unhealthy HEALTHCHECKs, a real engine', [need.root(), need.netns(), ['dockerd (apt-get install docker.io)', which('dockerd') !== undefined && dockerClient() !== undefined], ['debootstrap', which('debootstrap') !== undefined]], () => {
  let d: DockerLab;
  let ns: Netns;
  let image = '';
  let started = '';
  const port: Record<string, number> = {};
  const REDIS = 'redis-server --protected-mode no --save "" --appendonly no';

  async function inspect(name: string): Promise<{ Status: string; OOMKilled: boolean; Health?: { Status: string } }> {
    const out = JSON.parse(await d.docker(['inspect', d.name(name)])) as { State: { Status: string; OOMKilled: boolean; Health?: { Status: string } } }[];
    return out[0]!.State;
  }

  async function diagnoseAt(p: number, lastAnsweredAt?: string): Promise<Diagnosis> {
    const diagnosis = await diagnoseInNetns(ns, { input: `${ns.hostAddress}:${p}`, host: ns.hostAddress, port: p, tls: false }, { timeoutMs: 3000, scanNeighbours: false, docker: { host: d.host, hostFrom: '--docker-host' }, ...(lastAnsweredAt ? { history: { lastAnsweredAt } } : {}) }, 60_000);
    for (const [where, text] of [['json', renderJson(diagnosis)], ['text', renderText(diagnosis, makeStyle(false))], ['slack', JSON.stringify(renderResult(diagnosis))]] as const) assertNoPlantedSecret(`the ${where} output of port ${p}`, text);
    return diagnosis;
  }

  const dockerCheck = (diagnosis: Diagnosis) => diagnosis.checks.find((c) => c.id === 'docker')!.detail;

  const run = (name: string, args: string[], cmd: string[] = []) => d.docker(['run', '-d', '--name', d.name(name), '-p', `${port[name]}:6379`, ...args, image, ...cmd]);

  beforeAll(async () => {
    d = await startDockerd();
    ns = await createNetns();
    image = await d.redisImage();
    for (const k of ['hcbad', 'hcsecret', 'hcgood', 'stalled', 'killed', 'looping', 'oom']) port[k] = await freePort();
  }, 900_000);

  afterAll(async () => {
    await ns?.destroy();
    await d?.stop();
  });

  describe('HEALTHCHECK', () => {
    beforeAll(async () => {
      started = new Date(Date.now() - 2000).toISOString();
      const health = (cmd: string, timeout = '2s') => ['--health-cmd', cmd, '--health-interval', '1s', '--health-retries', '1', '--health-timeout', timeout];
      await run('hcbad', health('redis-cli -p 1 ping'));
      await run('hcsecret', health(`redis-cli -a ${SECRET} -p 1 ping || REDISCLI_AUTH=${SECRET} redis-cli -p 1 ping`));
      await run('hcgood', health('redis-cli ping | grep -q PONG'));
      await run('stalled', health('redis-cli ping | grep -q PONG', '1s'), ['sh', '-c', `${REDIS} & sleep 2; kill -STOP $!; wait`]);
      for (const name of ['hcbad', 'hcsecret', 'stalled']) await pollUntil(async () => ((await inspect(name)).Health?.Status === 'unhealthy' ? true : undefined), { timeoutMs: 60_000, intervalMs: 500, what: `${name} to turn unhealthy` });
      await pollUntil(async () => ((await inspect('hcgood')).Health?.Status === 'healthy' ? true : undefined), { timeoutMs: 60_000, intervalMs: 500, what: 'hcgood to turn healthy' });
    }, 300_000);

    // A 1 s HEALTHCHECK makes three exec events a second: the engine keeps only its last 256 events
    // (Docker 20.10), so these containers go before the event tests read theirs.
    afterAll(async () => {
      if (d) await d.dockerRun(['rm', '-f', ...['hcbad', 'hcsecret', 'hcgood', 'stalled'].map((n) => d.name(n))]);
    });

    it('a HEALTHCHECK on the wrong port while Redis answers: container-unhealthy as a note, the check named as the fault', async () => {
      const diagnosis = await diagnoseAt(port.hcbad!);
      expect(diagnosis.verdict).toBe('healthy');
      const f = diagnosis.findings.find((x) => x.cause === 'container-unhealthy')!;
      expect(f).toMatchObject({ severity: 'info', confidence: 'possible' });
      expect(f.details).toMatchObject({ container: d.name('hcbad'), redisAnswers: true, test: 'redis-cli -p 1 ping' });
      expect(Number(f.details!.failingStreak)).toBeGreaterThanOrEqual(1);
      expect(f.evidence.join('\n')).toMatch(/health check at \S+: exit 1, output "Could not connect to Redis at 127\.0\.0\.1:1: Connection refused"/);
      expect(f.evidence.join('\n')).toContain('the test asks port 1, Redis listens on 6379 inside the container');
      expect(f.remediations[0]!.steps.join('\n')).toContain(`docker inspect --format '{{json .State.Health}}' ${d.name('hcbad')}`);
    }, 180_000);

    it('a HEALTHCHECK with -a <password> and REDISCLI_AUTH=<password>: redacted everywhere, the REDISCLI_AUTH fix offered', async () => {
      const diagnosis = await diagnoseAt(port.hcsecret!);
      const f = diagnosis.findings.find((x) => x.cause === 'container-unhealthy')!;
      expect(String(f.details!.test)).toContain('-a <redacted>');
      expect(String(f.details!.test)).toContain('REDISCLI_AUTH=<redacted>');
      expect(f.remediations[0]!.steps.join('\n')).toContain('REDISCLI_AUTH');
      // Docker itself shows the password to anyone who can inspect: the raw inspect has it, the diagnosis never.
      expect(await d.docker(['inspect', d.name('hcsecret')])).toContain(SECRET);
    }, 180_000);

    it('a healthy HEALTHCHECK: no finding', async () => {
      // Answered a moment ago (after the container started: an earlier answer would be a restart since).
      const diagnosis = await diagnoseAt(port.hcgood!, new Date(Date.now() - 1000).toISOString());
      expect(diagnosis.findings.map((x) => x.cause)).toEqual([]);
      expect(dockerCheck(diagnosis)).toContain(`container ${d.name('hcgood')}: Docker events since the last good probe`);
    }, 180_000);

    it('Redis stopped inside its running container: the check times out, the probe gets no reply — container-unhealthy, critical', async () => {
      const diagnosis = await diagnoseAt(port.stalled!);
      expect(diagnosis.verdict).toBe('unreachable');
      const f = diagnosis.findings.find((x) => x.cause === 'container-unhealthy')!;
      expect(f).toMatchObject({ severity: 'critical', confidence: 'likely' });
      expect(diagnosis.primaryCause).toBe('container-unhealthy');
      expect(f.evidence.join('\n')).toContain('Redis does not answer this diagnosis either');
    }, 180_000);
  });

  describe('events since the last good probe', () => {
    beforeAll(async () => {
      started = new Date(Date.now() - 2000).toISOString();
      await run('killed', ['--restart', 'no']);
      await run('looping', ['--restart', 'always'], ['sh', '-c', `${REDIS} & sleep 3; kill -9 $!; exit 137`]);
      // The first start is OOM-killed (the marker stays in the container's layer), the restart policy's start serves Redis.
      await run('oom', ['--memory', '16m', '--memory-swap', '16m', '--restart', 'on-failure'], ['sh', '-c', `if [ ! -e /oom-once ]; then touch /oom-once; head -c 200000000 /dev/zero | tail > /dev/null; exit 137; fi; exec ${REDIS}`]);
      await pollUntil(async () => ((await inspect('oom')).Status === 'running' && (await d.dockerRun(['logs', d.name('oom')])).stdout.includes('Ready to accept') ? true : undefined), { timeoutMs: 60_000, intervalMs: 500, what: 'the OOM-killed container to run again' });
    }, 300_000);

    it('OOM-killed once and started again by its restart policy: the oom event since the last good probe ties oom-killed to it', async () => {
      expect((await inspect('oom')).Status).toBe('running');
      const diagnosis = await diagnoseAt(port.oom!, started);
      expect(dockerCheck(diagnosis)).toMatch(/ oom, .*die \(exit 137\)/);
      const f = diagnosis.findings.find((x) => x.cause === 'oom-killed')!;
      expect(f).toMatchObject({ severity: 'warning', confidence: 'confirmed' });
      // One kill may raise more than one oom event (the cgroup's other processes: sh, head, tail).
      expect(f.evidence.join('\n')).toMatch(new RegExp(`(an oom event|\\d+ oom events) of container ${d.name('oom')}, which publishes :${port.oom}`));
      expect(f.remediations[0]!.id).toBe('raise-container-memory');
    }, 180_000);

    it('killed after its last good probe: the timeline shows kill and die (exit 137) since that probe', async () => {
      await pollUntil(async () => ((await d.dockerRun(['logs', d.name('killed')])).stdout.includes('Ready to accept') ? true : undefined), { timeoutMs: 30_000, intervalMs: 500, what: 'the container to serve' });
      const lastGood = new Date(Date.now() - 1000).toISOString();
      await d.docker(['kill', d.name('killed')]);
      await pollUntil(async () => ((await inspect('killed')).Status === 'exited' ? true : undefined), { timeoutMs: 30_000, intervalMs: 500, what: 'the killed container to exit' });
      await new Promise((r) => setTimeout(r, 1200)); // `until` is in whole seconds
      const diagnosis = await diagnoseAt(port.killed!, lastGood);
      expect(diagnosis.primaryCause).toBe('container-not-running');
      const f = diagnosis.findings.find((x) => x.cause === 'container-not-running')!;
      expect(f.details).toMatchObject({ state: 'exited', exitCode: 137, lastDieExitCode: 137, restartsSince: 0 });
      const line = f.evidence.find((l) => l.startsWith('Docker events since the last good probe at'))!;
      expect(line).toMatch(/died at \d\d:\d\d:\d\dZ \(exit 137, killed with signal (9|SIGKILL)\); timeline: .*kill \(signal (9|SIGKILL)\), .*die \(exit 137\)/);
      expect(dockerCheck(diagnosis)).toContain('die (exit 137)');
    }, 180_000);

    it('a container that crashes every few seconds under --restart always: its restarts between probes, from the events', async () => {
      const lastGood = new Date().toISOString();
      await pollUntil(async () => ((await d.docker(['events', '--since', lastGood, '--until', new Date().toISOString(), '--filter', `container=${d.name('looping')}`, '--filter', 'event=start'])).trim().split('\n').filter(Boolean).length >= 2 ? true : undefined), { timeoutMs: 60_000, intervalMs: 1000, what: 'two restarts' });
      await new Promise((r) => setTimeout(r, 1200));
      const diagnosis = await diagnoseAt(port.looping!, lastGood);
      const loop = diagnosis.findings.find((x) => x.cause === 'restart-loop')!;
      expect(loop.confidence).toBe('confirmed');
      expect(Number(loop.details!.eventRestarts)).toBeGreaterThanOrEqual(2);
      expect(loop.evidence.join('\n')).toMatch(/Docker events since the last good probe at .*restarted \d+ times; timeline: .*die \(exit 137\), .*start/);
    }, 180_000);


    it('over SSH: the docker-events script (docker events --since/--until, the same parser) reads the same timeline from this engine', async () => {
      const id = (await d.docker(['inspect', '--format', '{{.Id}}', d.name('killed')])).trim();
      const env = `DOCKER_HOST=${d.host}; export DOCKER_HOST`;
      const res = await runLocally(`${env}\n${dockerEventsScript([id], Math.floor(Date.parse(started) / 1000))}`);
      const ev = parseEventsOutput(res.stdout, res.stderr, [id]);
      expect(ev).toMatchObject({ ok: true, sinceFrom: 'last-good-probe', ids: [id] });
      expect(ev.truncated).toBeUndefined();
      expect(ev.events.find((e) => e.action === 'die')).toMatchObject({ exitCode: 137 });
      expect(ev.events.map((e) => e.action)).toContain('kill');
      // An engine that cannot be reached: said, never an empty timeline.
      const down = await runLocally(`DOCKER_HOST=unix:///nonexistent-${process.pid}.sock; export DOCKER_HOST\n${dockerEventsScript([id])}`);
      const failed = parseEventsOutput(down.stdout, down.stderr, [id]);
      expect(failed).toMatchObject({ ok: false, sinceFrom: 'default-window' });
      expect(failed.error).toMatch(/^docker events: .*(Cannot connect|nonexistent)/);
    }, 180_000);
  });
});
