/**
 * docker-compose.yml as the README's Slack quick start uses it, on a real Docker engine
 * (lab/docker.ts) with Debian's docker-compose: the repository's compose file and sample
 * config, a .env with the two Slack variables, `up -d`; the bot answers /healthz, says ready
 * on /readyz once its queue Redis answers and Slack (the Web API double, reached through
 * SLACK_API_URL on the engine's bridge) accepted auth.test; the sample config's target is
 * diagnosed healthy from inside the bot; `down -v` leaves no container, network or volume.
 *
 * Nothing is pulled or built by compose: the bot's image is the project's (lab/project-image.ts,
 * shared with image.test.ts) and the queue's the lab's Redis, both named through the file's
 * REDIS_DOCTOR_IMAGE / REDIS_DOCTOR_QUEUE_IMAGE variables; `--no-build`.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSlackDouble, type SlackDouble } from '../slack/helpers/slack-double.js';
import { dockerClient, startDockerd, type DockerLab } from '../lab/docker.js';
import { run, type RunResult } from '../lab/exec.js';
import { describeLab, need, which } from '../lab/guard.js';
import { pollUntil } from '../lab/poll.js';
import { freePort } from '../lab/ports.js';
import { projectImage } from '../lab/project-image.js';
import { makeTempDir, type TempDir } from '../lab/tmp.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

describeLab('docker-compose.yml', [
  need.root(),
  ['dockerd (apt-get install docker.io)', which('dockerd') !== undefined && dockerClient() !== undefined],
  ['debootstrap', which('debootstrap') !== undefined],
  ['docker-compose (apt-get install docker-compose)', which('docker-compose') !== undefined],
], () => {
  let d: DockerLab | undefined;
  let slack: SlackDouble | undefined;
  let dir: TempDir | undefined;
  let project: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let up = false;

  const compose = (argv: readonly string[], timeoutMs = 120_000): Promise<RunResult> =>
    run(which('docker-compose')!, ['--ansi', 'never', '-f', join(dir!.path, 'docker-compose.yml'), '--project-directory', dir!.path, '-p', project, ...argv], { timeoutMs, env });

  const logs = async () => {
    const r = await compose(['logs', '--no-color', '--tail', '40'], 30_000).catch((err: Error) => ({ stdout: '', stderr: err.message }));
    return `${r.stdout}${r.stderr}`.slice(-6000);
  };

  beforeAll(async () => {
    d = await startDockerd();
    const [image, queueImage] = await Promise.all([projectImage(d), d.redisImage()]);
    // The bot reaches the double at the engine's bridge gateway (this machine), from the compose network.
    slack = await startSlackDouble({ host: d.gateway });
    dir = makeTempDir('compose');
    // The files as a user has them after a clone: the compose file and the sample config it mounts.
    copyFileSync(join(ROOT, 'docker-compose.yml'), join(dir.path, 'docker-compose.yml'));
    mkdirSync(join(dir.path, 'examples'));
    copyFileSync(join(ROOT, 'examples', 'redis-doctor.yaml'), join(dir.path, 'examples', 'redis-doctor.yaml'));
    writeFileSync(join(dir.path, '.env'), [
      'SLACK_BOT_TOKEN=xoxb-compose-test',
      'SLACK_SIGNING_SECRET=compose-test-signing-secret',
      `SLACK_API_URL=${slack.apiUrl}`,
      '',
    ].join('\n'));
    project = d.name('compose');
    port = await freePort();
    env = {
      ...process.env,
      DOCKER_HOST: d.host,
      REDIS_DOCTOR_IMAGE: image,
      REDIS_DOCTOR_QUEUE_IMAGE: queueImage,
      REDIS_DOCTOR_PORT: `127.0.0.1:${port}`,
      COMPOSE_INTERACTIVE_NO_CLI: '1',
    };
  }, 1_500_000);

  afterAll(async () => {
    // Torn down also when a test failed: compose first, then the whole engine (lab/docker.ts).
    if (up && d) await compose(['down', '-v', '--timeout', '5'], 120_000).catch(() => undefined);
    await slack?.close();
    await dir?.remove();
    await d?.stop();
  }, 300_000);

  it('starts: the bot answers /healthz and is ready once its queue Redis and Slack answer', async () => {
    up = true;
    const started = await compose(['up', '-d', '--no-build'], 300_000);
    expect(started.code, `${started.stdout}${started.stderr}`).toBe(0);

    const health = await pollUntil(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return r?.status === 200 ? ((await r.json()) as Record<string, unknown>) : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250, what: 'the compose bot answering /healthz' }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await logs()}`);
    });
    expect(health).toMatchObject({ status: 'ok' });

    const ready = await pollUntil(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return r?.status === 200 ? ((await r.json()) as Record<string, unknown>) : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250, what: 'the compose bot saying ready on /readyz' }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await logs()}`);
    });
    expect(ready).toMatchObject({ status: 'ready', queue: 'up', slack: 'up' });
    // Slack was reached through SLACK_API_URL from .env, with the token from .env.
    expect(slack!.ok('auth.test').length).toBeGreaterThan(0);

    // Two services, the queue not published on this machine.
    const ps = await compose(['ps'], 30_000);
    expect(ps.stdout).toMatch(/_bot_1\b/);
    expect(ps.stdout).toMatch(/_redis_1\b/);
    expect(ps.stdout).not.toMatch(/->6379/);
  }, 420_000);

  it("the sample config is mounted: the bot's CLI diagnoses its target `compose-queue` healthy", async () => {
    const r = await compose(['exec', '-T', 'bot', 'node', 'dist/cli/main.js', 'diagnose', 'compose-queue', '--json'], 90_000);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'healthy', target: { host: 'redis', port: 6379 } });
    // Read-only: the container cannot change the file it was given.
    const write = await compose(['exec', '-T', 'bot', 'node', '-e', "require('fs').appendFileSync('/config/redis-doctor.yaml', '#')"], 60_000);
    expect(write.code).not.toBe(0);
  }, 120_000);

  it('`down -v` removes its containers, network and volume', async () => {
    const down = await compose(['down', '-v', '--timeout', '5'], 120_000);
    expect(down.code, `${down.stdout}${down.stderr}`).toBe(0);
    up = false;
    const label = `label=com.docker.compose.project=${project}`;
    expect((await d!.docker(['ps', '-aq', '--filter', label])).trim()).toBe('');
    expect((await d!.docker(['network', 'ls', '-q', '--filter', label])).trim()).toBe('');
    expect((await d!.docker(['volume', 'ls', '-q', '--filter', label])).trim()).toBe('');
  }, 150_000);
});
