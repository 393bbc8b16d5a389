/**
 * End to end through the real Bolt receiver and a real BullMQ worker: a
 * signed /redis-diagnose for a real faulty redis-server ends as one parent
 * message (progress → verdict) and one threaded reply per finding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRaw } from '../lab/raw-client.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { ackText, startHarness, type Harness } from './helpers/harness.js';
import { actionIds, blockIds, textOf, type Call } from './helpers/slack-double.js';

describe('/redis-diagnose through the queue', () => {
  let locked: RedisServer;
  let healthy: RedisServer;
  let h: Harness;

  beforeAll(async () => {
    // requirepass set and no password given: the server answers -NOAUTH.
    locked = await startRedis({ password: 'pw-never-shown-4711' });
    healthy = await startRedis();
    h = await startHarness({
      config: [
        'targets:',
        `  - name: locked`,
        `    url: redis://127.0.0.1:${locked.port}`,
        `  - name: fine`,
        `    url: redis://127.0.0.1:${healthy.port}`,
        'access:',
        '  diagnose: ["*"]',
        '  approvers: [U0BOSS]',
      ].join('\n'),
    });
  });

  afterAll(async () => {
    await h?.stop();
    await locked?.stop();
    await healthy?.stop();
  });

  function parentOf(channel: string, since: number): Call | undefined {
    return h.double.ok('chat.postMessage').find((c) => c.body.channel === channel && !c.body.thread_ts && c.at >= since);
  }

  it('acks at once, then posts a parent with the verdict and a threaded finding:auth-required reply with remediation buttons', async () => {
    const since = Date.now();
    const ack = await h.command({ text: 'locked', channel: 'C0LOCKED' });
    expect(ack.status).toBe(200);
    expect(ack.json?.response_type).toBe('ephemeral');
    expect(ackText(ack.json)).toContain('Diagnosing `locked`');
    // Slack's limit for the HTTP answer is 3 s.
    expect(ack.ms).toBeLessThan(3000);

    await h.double.waitFor('a threaded finding reply', (calls) =>
      calls.some((c) => c.method === 'chat.postMessage' && c.status === 200 && c.body.channel === 'C0LOCKED' && c.body.thread_ts !== undefined));
    const parent = parentOf('C0LOCKED', since);
    // It went through the queue: no queue-down notice, no in-process note.
    expect(h.double.calls.filter((c) => c.method === 'response_url' && blockIds(c).includes('queue-down'))).toHaveLength(0);
    expect(textOf(parent)).not.toContain('unreachable: this diagnosis ran inside');
    expect(parent).toBeDefined();
    expect(blockIds(parent)).toContain('progress');
    expect(textOf(parent)).toContain('Diagnosing');

    // The parent was edited to the verdict before the replies were posted.
    const verdictEdit = h.double.ok('chat.update').find((c) => c.body.ts === parent!.ts && blockIds(c).includes('verdict'));
    expect(verdictEdit).toBeDefined();
    expect(textOf(verdictEdit)).toContain('auth-required');
    expect(textOf(verdictEdit)).toMatch(/is \*(unreachable|degraded)\*/);

    const replies = h.double.ok('chat.postMessage').filter((c) => c.body.thread_ts === parent!.ts);
    expect(replies.length).toBeGreaterThanOrEqual(1);
    const auth = replies.find((r) => blockIds(r).includes('finding:auth-required'));
    expect(auth).toBeDefined();
    expect(blockIds(auth)).toContain('evidence:auth-required');
    expect(textOf(auth)).toContain('NOAUTH');
    const buttons = actionIds(auth);
    expect(buttons.length).toBeGreaterThanOrEqual(1);
    // auth-required's fixes are guided: each shows its steps.
    for (const id of buttons) expect(id).toMatch(/^steps:[a-z0-9-]+$/);

    // Nothing the bot said carries the password.
    for (const c of h.double.calls) expect(JSON.stringify(c.body)).not.toContain('pw-never-shown-4711');
  });

  it('keeps every queue key in one Redis Cluster hash slot (the prefix is a hash tag)', async () => {
    const keys = await h.keys();
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.startsWith(`${h.prefix}:`)).toBe(true);
    // Redis hashes only the part between the first { and the next }: the same for all keys.
    const tags = new Set(keys.map((k) => k.slice(k.indexOf('{') + 1, k.indexOf('}'))));
    expect(tags.size).toBe(1);
  });

  it('makes a double-submitted command one diagnosis', async () => {
    const since = Date.now();
    const [a, b] = await Promise.all([h.command({ text: 'fine', channel: 'C0TWICE' }), h.command({ text: 'fine', channel: 'C0TWICE' })]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    await h.double.waitFor('the verdict of the healthy target', (calls) =>
      calls.some((c) => c.method === 'chat.update' && c.status === 200 && c.body.channel === 'C0TWICE' && blockIds(c).includes('verdict')));
    // One of the two is told it was a repeat.
    await h.double.waitFor('the duplicate notice', (calls) => calls.some((c) => c.method === 'response_url' && blockIds(c).includes('duplicate')));
    const parents = h.double.ok('chat.postMessage').filter((c) => c.body.channel === 'C0TWICE' && !c.body.thread_ts && c.at >= since);
    expect(parents).toHaveLength(1);
    const verdict = h.double.ok('chat.update').find((c) => c.body.channel === 'C0TWICE' && blockIds(c).includes('verdict'));
    expect(textOf(verdict)).toContain('is *healthy*');
    // Healthy: no findings, no replies.
    expect(h.double.ok('chat.postMessage').filter((c) => c.body.thread_ts === parents[0]!.ts)).toHaveLength(0);
  });

  it('shows progress in the parent message while a check waits, before the verdict', async () => {
    // DEBUG SLEEP blocks the server: the connection is accepted, the PING waits.
    const blocker = await connectRaw(healthy.host, healthy.port);
    try {
      blocker.send('DEBUG', 'SLEEP', '0.6');
      await h.command({ text: 'fine', channel: 'C0SLOW' });
      const double = h.double;
      await double.waitFor('the verdict', () => double.ok('chat.update').some((c) => c.body.channel === 'C0SLOW' && blockIds(c).includes('verdict')));
      const edits = double.ok('chat.update').filter((c) => c.body.channel === 'C0SLOW');
      const progress = edits.filter((c) => blockIds(c).includes('progress'));
      expect(progress.length).toBeGreaterThanOrEqual(1);
      expect(textOf(progress[0])).toContain('✓ tcp-connect');
      // The verdict is the last edit: no progress edit lands after it.
      expect(blockIds(edits.at(-1))).toContain('verdict');
    } finally {
      blocker.close();
    }
  });

  it('lists targets with their last known state', async () => {
    const r = await h.command({ text: 'status', channel: 'C0STATUS' });
    expect(r.status).toBe(200);
    const text = ackText(r.json);
    expect(text).toMatch(/\*locked\* `127\.0\.0\.1:\d+` — (unreachable|degraded) \(`auth-required`\)/);
    expect(text).toMatch(/\*fine\* `127\.0\.0\.1:\d+` — healthy/);
  });

  it('counts commands, jobs, durations and causes in /metrics', async () => {
    const res = await fetch(`${h.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/redis_doctor_slack_commands_total\{outcome="queued"\} [1-9]/);
    expect(text).toMatch(/redis_doctor_jobs_total\{outcome="completed"\} [1-9]/);
    expect(text).toMatch(/redis_doctor_causes_found_total\{cause="auth-required"\} 1/);
    expect(text).toMatch(/redis_doctor_diagnosis_duration_seconds_count\{verdict="healthy"\} 2/);
  });
});
