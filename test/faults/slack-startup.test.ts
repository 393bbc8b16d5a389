/**
 * Start-up with Slack's Web API unavailable (a network blip, a Slack
 * incident, a proxy not up yet): `npm start` must stay up, serve /healthz at
 * once, say not-ready on /readyz until auth.test and the queue Redis answer,
 * and retry Slack with bounded backoff, logging each attempt. A token Slack
 * refuses is a clear fatal error naming SLACK_BOT_TOKEN, exit status 2.
 * Real processes (node dist/main.js) against the Slack double.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../lab/poll.js';
import { makeTempDir, type TempDir } from '../lab/tmp.js';
import { uniquePrefix, QUEUE_REDIS } from '../slack/helpers/harness.js';
import { deleteKeysUnder } from '../slack/helpers/redis-keys.js';
import { startSlackDouble, type SlackDouble } from '../slack/helpers/slack-double.js';
import { startBotProcess, type BotProcess } from './helpers/bot-process.js';

describe('start-up without Slack', () => {
  let tmp: TempDir;
  let configPath: string;
  let double: SlackDouble;
  const prefixes: string[] = [];
  const procs: BotProcess[] = [];

  beforeAll(() => {
    tmp = makeTempDir('faults-startup');
    configPath = join(tmp.path, 'redis-doctor.yaml');
    writeFileSync(configPath, 'targets: []\n');
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.kill();
    await double?.close();
  });
  afterAll(async () => {
    const redis = new Redis(QUEUE_REDIS, { maxRetriesPerRequest: 1 });
    try {
      for (const p of prefixes) await deleteKeysUnder(redis, p);
    } finally {
      redis.disconnect();
      await tmp?.remove();
    }
  });

  function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    return {
      SLACK_BOT_TOKEN: 'xoxb-startup-test', SLACK_SIGNING_SECRET: 'startup-secret-0123456789', SLACK_API_URL: double.apiUrl,
      REDIS_URL: QUEUE_REDIS, REDIS_DOCTOR_CONFIG: configPath, REDIS_DOCTOR_QUEUE_PREFIX: prefix, ...extra,
    };
  }

  const readyz = async (p: BotProcess) => {
    const r = await fetch(`${p.url}/readyz`);
    return { status: r.status, body: (await r.json()) as Record<string, string> };
  };

  it('Slack answering 503 at start: up at once, not ready, retries with backoff, ready once Slack answers', async () => {
    double = await startSlackDouble();
    double.httpError('auth.test', 503, 3);
    const started = Date.now();
    const p = await startBotProcess(env());
    procs.push(p);
    // /healthz answered within the first attempt's wait, not after Slack came back.
    expect(Date.now() - started).toBeLessThan(6000);
    expect(await readyz(p)).toEqual({ status: 503, body: { status: 'slack-down', queue: 'up', slack: 'down' } });
    await pollUntil(async () => ((await readyz(p)).status === 200 ? true : undefined), { what: '/readyz after Slack is back', timeoutMs: 20_000, intervalMs: 100 });
    expect((await readyz(p)).body).toEqual({ status: 'ready', queue: 'up', slack: 'up' });
    const attempts = p.logged('Slack not reachable: auth.test failed; trying again');
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    // Bounded exponential backoff: 1 s, 2 s, 4 s.
    expect(attempts.map((a) => a.retryInMs)).toEqual([1000, 2000, 4000]);
    expect(p.logged('Slack answered auth.test')).toHaveLength(1);
    const calls = double.calls.filter((c) => c.method === 'auth.test');
    expect(calls.map((c) => c.status)).toEqual([503, 503, 503, 200]);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(1900);
    // Nothing crashed meanwhile: no unhandled rejection, the process is alive.
    expect(p.child.exitCode).toBeNull();
    expect(p.lines().join('\n')).not.toMatch(/Unhandled|UnhandledPromiseRejection/);
    expect(await p.stop()).toBe(0);
  });

  it('a token Slack refuses (invalid_auth): a fatal error naming SLACK_BOT_TOKEN, exit status 2', async () => {
    double = await startSlackDouble();
    double.failWith('auth.test', 'invalid_auth', 100);
    const p = await startBotProcess(env(), { waitHealthy: false });
    procs.push(p);
    expect(await Promise.race([p.exit, new Promise((r) => setTimeout(() => r('still running'), 15_000))])).toBe(2);
    expect(p.lines().join('\n')).toContain('redis-doctor: cannot start: environment: SLACK_BOT_TOKEN: Slack refused the bot token (invalid_auth)');
  });

  it('a token revoked while running: the bot stops and exits 2, naming SLACK_BOT_TOKEN', async () => {
    double = await startSlackDouble();
    // First answer: Slack unreachable; the second attempt finds the token revoked.
    double.httpError('auth.test', 503, 1);
    double.failWith('auth.test', 'token_revoked', 100);
    const p = await startBotProcess(env());
    procs.push(p);
    expect(await Promise.race([p.exit, new Promise((r) => setTimeout(() => r('still running'), 15_000))])).toBe(2);
    expect(p.lines().join('\n')).toContain('redis-doctor: stopping: environment: SLACK_BOT_TOKEN: Slack refused the bot token (token_revoked)');
  });

  it('Socket Mode: apps.connections.open failing at start is retried the same way; /readyz waits for it', async () => {
    double = await startSlackDouble();
    double.httpError('apps.connections.open', 503, 2);
    const p = await startBotProcess(env({ SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: 'xapp-1-A0TEST-1-startup' }));
    procs.push(p);
    expect((await readyz(p)).body).toMatchObject({ status: 'slack-down', slack: 'down' });
    // The socket client retries apps.connections.open itself (1 s, 2 s … at most 30 s apart), each failure logged.
    await pollUntil(async () => (double.calls.filter((c) => c.method === 'apps.connections.open').length >= 3 ? true : undefined), { what: 'the third apps.connections.open', timeoutMs: 15_000 });
    expect(double.calls.filter((c) => c.method === 'apps.connections.open').map((c) => c.status).slice(0, 3)).toEqual([503, 503, 200]);
    expect(p.logged(/^http request failed An HTTP protocol error occurred: statusCode = 503/)).toHaveLength(2);
    expect(p.child.exitCode).toBeNull();
    expect(await p.stop()).toBe(0);
  });
});
