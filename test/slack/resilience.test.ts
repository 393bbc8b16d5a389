/**
 * Jobs under trouble: Slack rate limits, a transient failure retried from
 * its checkpoint, a job that fails for good, a channel the bot cannot post
 * in. Never silence, never a message twice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { ResolveError } from '../../src/config/resolve-target.js';
import type { DiagnoseFn } from '../../src/jobs/run-diagnosis.js';
import { pollUntil } from '../lab/poll.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { keysUnder } from './helpers/redis-keys.js';
import { blockIds, textOf } from './helpers/slack-double.js';

/** Slack messages are posted before BullMQ marks the job finished: wait for the counter. */
async function metricsWhen(url: string, re: RegExp): Promise<string> {
  return pollUntil(async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return re.test(text) ? text : undefined;
  }, { what: String(re), timeoutMs: 5000 });
}

describe('resilience', () => {
  let target: RedisServer;
  let h: Harness | undefined;
  const config = () => `targets:\n  - name: locked\n    url: redis://127.0.0.1:${target.port}\n`;

  beforeAll(async () => {
    target = await startRedis({ password: 'resilience-secret-9' });
  });
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('answers a Slack 429 by retrying after Retry-After: the parent and the finding arrive exactly once', async () => {
    h = await startHarness({ config: config() });
    h.double.rateLimit('chat.postMessage', 1, 1);
    await h.command({ text: 'locked', channel: 'C0LIMIT' });
    await h.double.waitFor('the finding reply', (calls) => calls.some((c) => c.method === 'chat.postMessage' && c.status === 200 && c.body.thread_ts !== undefined));
    const limited = h.double.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 429);
    expect(limited).toHaveLength(1);
    const parents = h.double.ok('chat.postMessage').filter((c) => !c.body.thread_ts);
    expect(parents).toHaveLength(1);
    // The retry came after the Retry-After second.
    expect(parents[0]!.at - limited[0]!.at).toBeGreaterThanOrEqual(900);
    const replies = h.double.ok('chat.postMessage').filter((c) => c.body.thread_ts === parents[0]!.ts);
    expect(replies.map((r) => blockIds(r)[0])).toEqual(['finding:auth-required']);
  });

  it('never sends a chat.postMessage again that Slack accepted after our timeout: one parent, and the user is told', async () => {
    h = await startHarness({ config: config(), slackPostTimeoutMs: 500 });
    // Slack takes 1.5 s to accept the parent message; the client gives up after 0.5 s.
    h.double.delay('chat.postMessage', 1500, 1);
    const { responseTag, status } = await h.command({ text: 'locked', channel: 'C0LATE' });
    expect(status).toBe(200);
    // The post timed out: the job ends for good instead of being retried, and says why.
    await h.double.waitFor('the failure told', (calls) => calls.some((c) => (c.path === `/response/${responseTag}` && textOf(c).includes('did not answer in time')) || (c.method === 'chat.postMessage' && textOf(c).includes('did not answer in time'))));
    await new Promise((r) => setTimeout(r, 2500));
    const parents = h.double.calls.filter((c) => c.method === 'chat.postMessage' && blockIds(c).includes('progress'));
    expect(parents).toHaveLength(1);
  });

  it('Slack failing for good after the diagnosis: logged, counted, and the result kept for status', async () => {
    h = await startHarness({ config: config() });
    // Every edit of the parent fails with a transient platform error: the job's attempts run out.
    h.double.failWith('chat.update', 'internal_error', 1000);
    await h.command({ text: 'locked', channel: 'C0GONE' });
    const metrics = await pollUntil(async () => {
      const text = await (await fetch(`${h!.url}/metrics`)).text();
      return /redis_doctor_jobs_total\{outcome="failed"\} 1/.test(text) ? text : undefined;
    }, { what: 'the job failed for good', timeoutMs: 20_000 });
    expect(metrics).toMatch(/redis_doctor_slack_api_failures_total\{method="chat.update",error="internal_error"\} [1-9]/);
    expect(h.logs.some((l) => l.includes('Slack call failed after its retries'))).toBe(true);
    // The diagnosis itself was stored before telling: status shows it.
    const status = await h.command({ text: 'status', channel: 'C0GONE' });
    expect(JSON.stringify(status.json)).toMatch(/\*locked\* .* — unreachable \(`auth-required`\)/);
  });

  it('retries a transient failure from its checkpoint: one parent, one set of replies', async () => {
    let calls = 0;
    const flaky: DiagnoseFn = async (t, o) => {
      calls += 1;
      if (calls === 1) throw new Error('simulated engine crash');
      return diagnose(t, o);
    };
    h = await startHarness({ config: config(), diagnose: flaky });
    await h.command({ text: 'locked', channel: 'C0FLAKY' });
    await h.double.waitFor('the finding reply after the retry', (c) => c.some((x) => x.method === 'chat.postMessage' && x.status === 200 && x.body.thread_ts !== undefined));
    expect(calls).toBe(2);
    const parents = h.double.ok('chat.postMessage').filter((c) => !c.body.thread_ts);
    expect(parents).toHaveLength(1);
    expect(h.double.ok('chat.postMessage').filter((c) => c.body.thread_ts === parents[0]!.ts)).toHaveLength(1);
    const metrics = await metricsWhen(h.url, /redis_doctor_jobs_total\{outcome="completed"\} 1/);
    expect(metrics).toMatch(/redis_doctor_jobs_total\{outcome="retried"\} 1/);
  });

  it('resumes after a Slack error on a finding reply without probing again or reposting the parent', async () => {
    let calls = 0;
    const counted: DiagnoseFn = async (t, o) => {
      calls += 1;
      return diagnose(t, o);
    };
    h = await startHarness({ config: config(), diagnose: counted });
    // The parent goes through; the first reply meets a transient Slack error.
    h.double.failWith('chat.postMessage', 'internal_error', 1, 1);
    await h.command({ text: 'locked', channel: 'C0RESUME' });
    const double = h.double;
    await double.waitFor('the finding reply after the retry', () => double.ok('chat.postMessage').some((x) => blockIds(x).includes('finding:auth-required')));
    const posts = h.double.calls.filter((c) => c.method === 'chat.postMessage');
    expect(posts.map((p) => `${p.body.thread_ts ? 'reply' : 'parent'}${p.error ? ` (${p.error})` : ''}`)).toEqual(['parent', 'reply (internal_error)', 'reply']);
    expect(calls).toBe(1);
  });

  it('ends a job that keeps failing with a message in its thread after the last attempt', async () => {
    let calls = 0;
    const broken: DiagnoseFn = async () => {
      calls += 1;
      throw new Error('simulated engine crash');
    };
    h = await startHarness({ config: config(), diagnose: broken });
    await h.command({ text: 'locked', channel: 'C0BROKEN' });
    // Backoff 1 s then 2 s: the third attempt is the last.
    await h.double.waitFor('the failure reply', (c) => c.some((x) => x.method === 'chat.postMessage' && x.body.thread_ts !== undefined && blockIds(x).includes('failure')), 20_000);
    expect(calls).toBe(3);
    const parents = h.double.ok('chat.postMessage').filter((c) => !c.body.thread_ts);
    expect(parents).toHaveLength(1);
    const failure = h.double.ok('chat.postMessage').find((c) => c.body.thread_ts === parents[0]!.ts);
    expect(textOf(failure)).toContain('failed after 3 attempts');
    expect(textOf(failure)).toContain('simulated engine crash');
    // The parent no longer says "Diagnosing…".
    const lastEdit = h.double.ok('chat.update').filter((c) => c.body.ts === parents[0]!.ts).at(-1);
    expect(blockIds(lastEdit)).toEqual(['failure']);
    const metrics = await metricsWhen(h.url, /redis_doctor_jobs_total\{outcome="failed"\} 1/);
    expect(metrics).toMatch(/redis_doctor_jobs_total\{outcome="retried"\} 2/);
    // The processor's last attempt reported and holds the marker: the worker's 'failed' event posts nothing more.
    expect(await keysUnder(h.redis, `${h.prefix}:store:failure-reported:`)).toHaveLength(1);
    expect(h.double.calls.filter((c) => c.method === 'chat.postMessage' && blockIds(c).includes('failure'))).toHaveLength(1);
  });

  it('keeps the target password out of the failure message and the logs, whatever the engine error says', async () => {
    const secret = 'resilience-secret-9';
    // A permanent error ends the job at once (no backoff to wait out).
    const leaky: DiagnoseFn = async () => {
      throw new ResolveError(`AUTH ${secret} refused`);
    };
    h = await startHarness({
      config: `${config()}    passwordEnv: RD_TEST_LOCKED_PASSWORD\n`,
      env: { RD_TEST_LOCKED_PASSWORD: secret },
      diagnose: leaky,
    });
    await h.command({ text: 'locked', channel: 'C0LEAKY' });
    await h.double.waitFor('the failure reply', (c) => c.some((x) => x.method === 'chat.postMessage' && x.body.thread_ts !== undefined && blockIds(x).includes('failure')));
    const failure = h.double.ok('chat.postMessage').find((x) => blockIds(x).includes('failure'));
    expect(textOf(failure)).toContain('AUTH &lt;redacted&gt; refused');
    expect(JSON.stringify(h.double.calls)).not.toContain(secret);
    expect(h.logs.some((l) => l.includes('AUTH <redacted> refused'))).toBe(true);
    expect(h.logs.join('\n')).not.toContain(secret);
  });

  it('tells the user through response_url when the bot cannot post in the channel', async () => {
    h = await startHarness({ config: config() });
    h.double.failWith('chat.postMessage', 'not_in_channel', 2);
    const r = await h.command({ text: 'locked', channel: 'C0PRIVATE' });
    await h.double.waitFor('the response_url failure', (c) => c.some((x) => x.method === 'response_url' && blockIds(x).includes('failure')));
    const failure = h.double.calls.find((x) => x.method === 'response_url' && blockIds(x).includes('failure'));
    expect(failure!.body.response_type).toBe('ephemeral');
    expect(textOf(failure)).toContain('not_in_channel');
    expect(textOf(failure)).toContain('/invite');
    // Permanent: not retried, so exactly the two refused posts (parent, then the failure notice).
    expect(h.double.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(2);
    expect(r.status).toBe(200);
  });
});
