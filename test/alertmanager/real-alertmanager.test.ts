/**
 * The real Alertmanager (Debian's prometheus-alertmanager) → POST
 * /alertmanager on the real bot → the Slack Web API double, end to end:
 * firing (one parent with the diagnosed cause, findings in its thread),
 * repeats every repeat_interval and the same alert in two groups (never a
 * second post), a grouped notification of several alerts of one target,
 * resolved (the recovery in the thread, the parent updated), an unknown
 * target (200, counted), a wrong or missing token (401, nothing posted), and
 * 500 alerts at once (bounded: one incident per target, the bot answering
 * meanwhile).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, need } from '../lab/guard.js';
import { freePort } from '../lab/ports.js';
import { alertsOf, replyWithBlock } from '../monitor/helpers.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { actionIds, textOf } from '../slack/helpers/slack-double.js';
import { botOutcome, startAlertmanager, type Alertmanager } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const TOKEN = `am-token-${process.pid}-abcdef`;
const BURST_TARGETS = 5;

describeLab('the real Alertmanager → the bot → Slack', [need.binary('redis-server'), need.binary('prometheus-alertmanager')], () => {
  let h: Harness;
  let am: Alertmanager;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    for (const name of ['cache', 'sessions', 'quiet', ...Array.from({ length: BURST_TARGETS }, (_, i) => `burst-${i}`)]) ports[name] = await freePort();
    h = await startHarness({
      config: [
        'targets:',
        ...Object.entries(ports).map(([name, port]) => `  - { name: ${name}, url: "redis://127.0.0.1:${port}" }`),
        'alertmanager:',
        `  channel: ${CHANNEL}`,
        '  targetLabel: redis_doctor_target',
      ].join('\n'),
      env: { ALERTMANAGER_WEBHOOK_TOKEN: TOKEN },
    });
    am = await startAlertmanager({ webhookUrl: `${h.url}/alertmanager`, token: TOKEN });
  }, 60_000);
  afterAll(async () => {
    await am?.stop();
    await h?.stop();
  });

  const webhookSent = () => am.metric('alertmanager_notifications_total', 'integration="webhook"');
  const webhookFailed = () => am.metric('alertmanager_notifications_failed_total', 'integration="webhook"');

  it('firing: one parent with the cause, findings in the thread; repeats and a second group never post again; resolved updates the parent', async () => {
    const startsAt = new Date().toISOString();
    await am.add([{ labels: { alertname: 'RedisDown', redis_doctor_target: 'cache', route: 'two-groups', instance: `127.0.0.1:${ports.cache}` }, startsAt }]);
    await h.double.waitFor('the alert of cache', () => alertsOf(h.double, 'cache').length > 0, 30_000);
    const parent = alertsOf(h.double, 'cache')[0]!;
    expect(parent.body.channel).toBe(CHANNEL);
    expect(textOf(parent)).toContain('connection-refused');
    await h.double.waitFor('its findings', () => replyWithBlock(h.double, parent.ts, 'finding:connection-refused').length > 0, 30_000);
    // Two groups (two routes) and repeat_interval 4 s: several more notifications of the same alert.
    const sent = await webhookSent();
    await expect.poll(webhookSent, { timeout: 30_000, interval: 500 }).toBeGreaterThanOrEqual(sent + 3);
    expect(alertsOf(h.double, 'cache')).toHaveLength(1);
    expect(await botOutcome(h.url, 'opened')).toBe(1);
    expect(await botOutcome(h.url, 'duplicate')).toBeGreaterThanOrEqual(3);

    // Resolved: the same alert with an end in the past.
    await am.add([{ labels: { alertname: 'RedisDown', redis_doctor_target: 'cache', route: 'two-groups', instance: `127.0.0.1:${ports.cache}` }, startsAt, endsAt: new Date().toISOString() }]);
    await h.double.waitFor('the recovery in the thread', () => replyWithBlock(h.double, parent.ts, 'recovered').length > 0, 30_000);
    await h.double.waitFor('the parent updated', () => h.double.ok('chat.update').some((u) => u.body.ts === parent.ts && (u.body.text ?? '').includes('recovered')), 30_000);
    expect(alertsOf(h.double, 'cache')).toHaveLength(1);
  }, 120_000);

  it('grouped: several alerts of one target in one notification are one incident', async () => {
    const startsAt = new Date().toISOString();
    await am.add(['RedisDown', 'RedisMemoryHigh', 'RedisRejectedConnections'].map((alertname) => ({ labels: { alertname, redis_doctor_target: 'sessions', group: 'g' }, startsAt })));
    await h.double.waitFor('the alert of sessions', () => alertsOf(h.double, 'sessions').length > 0, 30_000);
    const sent = await webhookSent();
    await expect.poll(webhookSent, { timeout: 30_000, interval: 500 }).toBeGreaterThanOrEqual(sent + 2);
    expect(alertsOf(h.double, 'sessions')).toHaveLength(1);
    // Its buttons work as on a monitor incident (this config has no alerts: section): acknowledged, in the thread.
    const parent = alertsOf(h.double, 'sessions')[0]!;
    const ackId = actionIds(parent).find((a) => a.startsWith('ack:'))!;
    expect(actionIds(parent).some((a) => a.startsWith('recheck:'))).toBe(true);
    await h.click(parent, ackId, 'U0BOB');
    await h.double.waitFor('the ack note', () => replyWithBlock(h.double, parent.ts, 'acked').length > 0, 30_000);
    expect(textOf(replyWithBlock(h.double, parent.ts, 'acked')[0])).toContain('<@U0BOB> is on it');
  }, 90_000);

  it('an unknown target is answered 200 and counted; a wrong or missing token is refused and nothing posted', async () => {
    const posts = h.double.ok('chat.postMessage').length;
    const failed = await webhookFailed();
    await am.add([
      { labels: { alertname: 'RedisDown', redis_doctor_target: 'not-configured' } },
      { labels: { alertname: 'RedisDown', instance: '198.18.7.7:6379' } },
      { labels: { alertname: 'RedisDown', redis_doctor_target: 'quiet', route: 'wrong-token' } },
      { labels: { alertname: 'RedisDown', redis_doctor_target: 'quiet', route: 'no-token' } },
    ]);
    await expect.poll(() => botOutcome(h.url, 'unknown-target'), { timeout: 30_000, interval: 500 }).toBeGreaterThanOrEqual(2);
    // Alertmanager saw its webhook to the bot fail (401) for both receivers.
    await expect.poll(webhookFailed, { timeout: 30_000, interval: 500 }).toBeGreaterThanOrEqual(failed + 2);
    expect(h.logs.filter((l) => l.includes('POST /alertmanager refused: missing or wrong bearer token')).length).toBeGreaterThanOrEqual(2);
    expect(h.double.ok('chat.postMessage').length).toBe(posts);
    expect(alertsOf(h.double, 'quiet')).toHaveLength(0);
  }, 90_000);

  it('500 alerts at once: one incident per target, bounded work, the bot answering meanwhile', async () => {
    const startsAt = new Date().toISOString();
    const alerts = Array.from({ length: 500 }, (_, i) => ({
      labels: { alertname: `Burst${i % 50}`, redis_doctor_target: `burst-${i % BURST_TARGETS}`, shard: String(i) },
      startsAt,
    }));
    const started = Date.now();
    await am.add(alerts);
    // While Alertmanager delivers its groups: /healthz stays quick.
    let slowest = 0;
    const until = Date.now() + 8000;
    while (Date.now() < until) {
      const t0 = performance.now();
      const r = await fetch(`${h.url}/healthz`);
      slowest = Math.max(slowest, performance.now() - t0);
      expect(r.status).toBe(200);
      await new Promise((res) => setTimeout(res, 200));
    }
    for (let i = 0; i < BURST_TARGETS; i++) await h.double.waitFor(`the alert of burst-${i}`, () => alertsOf(h.double, `burst-${i}`).length > 0, 60_000);
    const counted = async () => (await botOutcome(h.url, 'opened')) + (await botOutcome(h.url, 'joined')) + (await botOutcome(h.url, 'dropped'));
    await expect.poll(counted, { timeout: 60_000, interval: 500 }).toBeGreaterThanOrEqual(2 + 500);
    for (let i = 0; i < BURST_TARGETS; i++) expect(alertsOf(h.double, `burst-${i}`)).toHaveLength(1);
    console.log(`500 alerts: ${BURST_TARGETS} alerts posted within ${Date.now() - started} ms; slowest /healthz ${slowest.toFixed(0)} ms`);
    expect(slowest).toBeLessThan(5000);
  }, 180_000);
});
