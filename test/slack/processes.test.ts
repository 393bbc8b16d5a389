/**
 * Process shapes: web and workers run separately on one queue; startup
 * validates the environment and the config file naming the field; SIGTERM-
 * style shutdown lets a running diagnosis finish.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, type Bot } from '../../src/bot.js';
import { ConfigError } from '../../src/config/load.js';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import type { DiagnoseFn } from '../../src/jobs/run-diagnosis.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { makeTempDir } from '../lab/tmp.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { blockIds } from './helpers/slack-double.js';

describe('web and worker as separate processes', () => {
  let target: RedisServer;
  let web: Harness;
  let worker: Bot | undefined;

  beforeAll(async () => {
    target = await startRedis({ password: 'separate-secret-5' });
    web = await startHarness({
      config: `targets:\n  - name: locked\n    url: redis://127.0.0.1:${target.port}\n`,
      env: { REDIS_DOCTOR_INLINE_WORKER: 'false' },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await web?.stop();
    await target?.stop();
  });

  it('queues in the web process and diagnoses in the worker process', async () => {
    expect(await (await fetch(`${web.url}/healthz`)).json()).toEqual({ status: 'ok', role: 'web' });
    await web.command({ text: 'locked', channel: 'C0SPLIT' });
    // No worker yet: the job waits in the queue and nothing is posted.
    await sleep(300);
    expect(web.double.ok('chat.postMessage')).toHaveLength(0);
    const waiting = await web.redis.llen(`${web.prefix}:diagnose:wait`);
    expect(waiting).toBe(1);

    // The worker alone needs no signing secret.
    const { SLACK_SIGNING_SECRET: _unused, ...workerEnv } = web.env;
    worker = await startBot({ role: 'worker', env: workerEnv, write: () => undefined });
    expect(await (await fetch(`http://127.0.0.1:${worker.port}/healthz`)).json()).toEqual({ status: 'ok', role: 'worker' });
    expect((await fetch(`http://127.0.0.1:${worker.port}/readyz`)).status).toBe(200);
    await web.double.waitFor('the finding posted by the worker', (calls) => calls.some((c) => c.method === 'chat.postMessage' && blockIds(c).includes('finding:auth-required')));
    const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(metrics).toMatch(/redis_doctor_causes_found_total\{cause="auth-required"\} 1/);
  });
});

describe('startup validation', () => {
  const tmp = makeTempDir('slack-config');
  afterAll(async () => {
    await tmp.remove();
  });

  function env(config: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const path = join(tmp.path, `c-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, config);
    return { SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 'abcdefgh12345678', PORT: '0', REDIS_DOCTOR_CONFIG: path, ...extra };
  }

  it('names the config field that is wrong', async () => {
    const bad = 'targets:\n  - name: cache\n    url: http://10.0.0.5\naccess:\n  approvers: [alice]\n';
    const err = await startBot({ role: 'web', env: env(bad), write: () => undefined }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('targets[0].url: must be a redis:// or rediss:// URL');
    expect((err as Error).message).toContain('access.approvers[0]: must be a Slack user id');
  });

  it('names the environment variable that is wrong', async () => {
    const err = await startBot({ role: 'web', env: env('targets: []\n', { SLACK_BOT_TOKEN: '' }), write: () => undefined }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^environment: SLACK_BOT_TOKEN is not set: the bot token \(xoxb-…\), from your Slack app's settings: OAuth & Permissions/);
    expect((err as Error).message).not.toMatch(/expected string|received undefined/);
  });
});

describe('graceful shutdown', () => {
  let target: RedisServer;
  let h: Harness | undefined;

  beforeAll(async () => {
    target = await startRedis({ password: 'shutdown-secret-7' });
  });
  afterAll(async () => {
    await h?.stop();
    await target?.stop();
  });

  it('finishes the running diagnosis before stopping', async () => {
    let started = false;
    const slow: DiagnoseFn = async (t, o) => {
      started = true;
      await sleep(700);
      return diagnose(t, o);
    };
    h = await startHarness({ config: `targets:\n  - name: locked\n    url: redis://127.0.0.1:${target.port}\n`, diagnose: slow });
    await h.command({ text: 'locked', channel: 'C0STOP' });
    await h.double.waitFor('the parent message', (calls) => calls.some((c) => c.method === 'chat.postMessage' && c.status === 200) && started);
    await h.bot.stop();
    // Stopped only after the job's last reply was posted.
    expect(h.double.ok('chat.postMessage').some((c) => blockIds(c).includes('finding:auth-required'))).toBe(true);
    await expect(fetch(`${h.url}/healthz`)).rejects.toThrow();
  });
});
