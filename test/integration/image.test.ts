/**
 * The project's Dockerfile, built and run by a real Docker engine (lab/docker.ts): the image
 * builds from the repository as a user would build it, its CLI diagnoses a Redis container
 * on the same Docker network by the container's name, and the bot in it answers /healthz as
 * the unprivileged `node` user. Nothing is pulled: `node:20-slim` is the lab's stand-in.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dockerClient, startDockerd, type DockerLab } from '../lab/docker.js';
import { describeLab, need, which } from '../lab/guard.js';
import { pollUntil } from '../lab/poll.js';
import { projectImage } from '../lab/project-image.js';
import { freePort } from '../lab/ports.js';

describeLab('the Docker image', [need.root(), ['dockerd (apt-get install docker.io)', which('dockerd') !== undefined && dockerClient() !== undefined], ['debootstrap', which('debootstrap') !== undefined]], () => {
  let d: DockerLab;
  let image: string;
  let network: string;
  let redis: string;

  beforeAll(async () => {
    d = await startDockerd();
    // Built from the repository as a user builds it, once per machine and source (lab/project-image.ts).
    const [redisImage, built] = await Promise.all([d.redisImage(), projectImage(d)]);
    image = built;
    network = d.name('net');
    await d.docker(['network', 'create', network]);
    redis = d.name('redis');
    await d.docker(['run', '-d', '--name', redis, '--network', network, redisImage]);
  }, 1_200_000);

  afterAll(async () => {
    await d?.stop();
  }, 180_000);

  it('its CLI diagnoses a Redis container by name on the same network', async () => {
    const cli = (target: string) => d.dockerRun(['run', '--rm', '--network', network, image, 'node', 'dist/cli/main.js', 'diagnose', target, '--json'], { timeoutMs: 60_000 });
    let healthy = await cli(`${redis}:6379`);
    // The server may still be starting the first time round.
    for (let i = 0; i < 10 && healthy.code !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      healthy = await cli(`${redis}:6379`);
    }
    expect(healthy.code, healthy.stderr).toBe(0);
    expect(JSON.parse(healthy.stdout)).toMatchObject({ verdict: 'healthy', target: { host: redis, port: 6379 } });
    const refused = await cli(`${redis}:6390`);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ verdict: 'unreachable' });
  }, 180_000);

  it('runs the bot as node and answers /healthz', async () => {
    const queue = d.name('queue');
    await d.docker(['run', '-d', '--name', queue, '--network', network, await d.redisImage()]);
    const port = await freePort();
    // Slack's API is a closed port on the engine's bridge: the bot must serve /healthz without Slack,
    // and nothing leaves this machine.
    const bot = d.name('bot');
    await d.docker([
      'run', '-d', '--name', bot, '--network', network, '-p', `127.0.0.1:${port}:3000`,
      '-e', 'SLACK_BOT_TOKEN=xoxb-image-test', '-e', 'SLACK_SIGNING_SECRET=image-test-signing-secret',
      '-e', `SLACK_API_URL=http://${d.gateway}:9/api/`, '-e', `REDIS_URL=redis://${queue}:6379`, image,
    ]);
    const inspect = JSON.parse(await d.docker(['inspect', bot])) as { Config: { User: string; Healthcheck?: { Test: string[] } } }[];
    expect(inspect[0]!.Config.User).toBe('node');
    expect(inspect[0]!.Config.Healthcheck?.Test.join(' ')).toContain('/healthz');
    const status = await pollUntil(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return r?.status === 200 ? r.status : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'the bot container answering /healthz' }).catch(async (err: Error) => {
      const logs = await d.dockerRun(['logs', '--tail', '40', bot]);
      const state = await d.dockerRun(['inspect', '--format', '{{json .State}}', bot]);
      throw new Error(`${err.message}\nstate: ${state.stdout}\nlogs: ${logs.stdout}${logs.stderr}`);
    });
    expect(status).toBe(200);
  }, 120_000);
});
