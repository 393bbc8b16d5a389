/**
 * Routing as Slack drives it (issue #21, "Routing"): the real bot (Bolt HTTP
 * receiver, signed requests, the monitor on the queue Redis), real
 * redis-servers stopped, and the Slack Web API double.
 *
 *  - `team` has `alertChannel: C0TEAM`, a runbook and a dashboard: its alert,
 *    findings, ack note and recovery are all in C0TEAM, with the links; its
 *    buttons count from C0TEAM and not from alerts.channel;
 *  - `plain` alerts in alerts.channel; both alerts page `alerts.mention`;
 *  - Slack's Retry-After holds one channel only: the first alert is answered
 *    429 (Retry-After 25 s) and the other channel's alert still goes out;
 *  - a diagnosis of `team` shows its runbook and dashboard too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { actionIds, blockIds, textOf, type Call } from '../slack/helpers/slack-double.js';
import { alertsOf, clickFrom, nextTick, repliesTo, replyWithBlock, Switchable } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const TEAM = 'C0TEAM';
const RUNBOOK = 'https://wiki.example/redis-runbook?team=a&x=1';
const DASHBOARD = 'https://grafana.example/d/redis';
const MENTION = '<!subteam^S0ONCALL>';
const RETRY_AFTER_S = 25;

describe('routing: alertChannel, mention, links, per-channel Retry-After', () => {
  let team: Switchable;
  let plain: Switchable;
  let h: Harness;

  beforeAll(async () => {
    [team, plain] = await Promise.all([Switchable.start(), Switchable.start()]);
    h = await startHarness({
      config: [
        'targets:',
        `  - { name: team, url: "redis://127.0.0.1:${team.port}", alertChannel: ${TEAM}, runbookUrl: "${RUNBOOK}", dashboardUrl: "${DASHBOARD}" }`,
        `  - { name: plain, url: "redis://127.0.0.1:${plain.port}" }`,
        'access:',
        '  diagnose: [U0ALICE, U0BOB]',
        'alerts:',
        `  channel: ${CHANNEL}`,
        `  mention: "${MENTION}"`,
        '  intervalSeconds: 5',
        '  targets: [team, plain]',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await h?.stop();
    await Promise.all([team?.stop(), plain?.stop()]);
  });

  it('posts each target\'s alert, thread and recovery in its own channel; a 429 holds only that channel', async () => {
    const [ta, pa] = await Promise.all([nextTick(h.redis, h.prefix, 'team', undefined), nextTick(h.redis, h.prefix, 'plain', undefined)]);
    expect([ta.status, pa.status]).toEqual(['up', 'up']);

    // The next alert parent is refused with 429; whichever channel it was is held, the other is not.
    h.double.rateLimit('chat.postMessage', 1, RETRY_AFTER_S);
    await Promise.all([team.down(), plain.down()]);
    await h.double.waitFor('a 429 on an alert', (calls) => calls.some((c) => c.method === 'chat.postMessage' && c.status === 429), 60_000);
    const limited = h.double.calls.find((c) => c.method === 'chat.postMessage' && c.status === 429)!;
    const heldTarget = blockIds(limited)[0] === 'alert:team' ? 'team' : 'plain';
    const freeTarget = heldTarget === 'team' ? 'plain' : 'team';
    await h.double.waitFor(`the ${freeTarget} alert while the other channel waits`, () => alertsOf(h.double, freeTarget).length > 0, 60_000);
    const free = alertsOf(h.double, freeTarget)[0]!;
    expect(free.at - limited.at).toBeLessThan(RETRY_AFTER_S * 1000);
    expect(alertsOf(h.double, heldTarget)).toHaveLength(0);
    await h.double.waitFor(`the ${heldTarget} alert after Retry-After`, () => alertsOf(h.double, heldTarget).length > 0, 90_000);
    expect(alertsOf(h.double, heldTarget)[0]!.at - limited.at).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 1000);

    const teamAlert: Call = alertsOf(h.double, 'team')[0]!;
    const plainAlert: Call = alertsOf(h.double, 'plain')[0]!;
    expect(teamAlert.body.channel).toBe(TEAM);
    expect(plainAlert.body.channel).toBe(CHANNEL);
    // alerts.mention pages on both parents (text and first block); links only where configured, `&` escaped for Slack.
    for (const a of [teamAlert, plainAlert]) {
      expect(a.body.text!.startsWith(`${MENTION} `)).toBe(true);
      expect(textOf(a)).toContain(MENTION);
    }
    expect(blockIds(teamAlert)).toContain('links');
    expect(textOf(teamAlert)).toContain(`<${RUNBOOK.replace(/&/g, '&amp;')}|Runbook>`);
    expect(textOf(teamAlert)).toContain(`<${DASHBOARD}|Dashboard>`);
    expect(blockIds(plainAlert)).not.toContain('links');

    // Findings in the team's thread, in its channel.
    await h.double.waitFor('the team findings', () => repliesTo(h.double, teamAlert.ts).some((c) => blockIds(c).some((b) => b.startsWith('finding:'))), 30_000);
    expect(repliesTo(h.double, teamAlert.ts).every((c) => c.body.channel === TEAM)).toBe(true);

    // Its buttons count from its channel only.
    const ackId = actionIds(teamAlert)[1]!;
    expect(await h.answer(await clickFrom(h, teamAlert, ackId, 'U0BOB', CHANNEL))).toContain('another conversation');
    await clickFrom(h, teamAlert, ackId, 'U0ALICE');
    await h.double.waitFor('the ack note in the team thread', () => replyWithBlock(h.double, teamAlert.ts, 'acked').length > 0, 15_000);
    expect(replyWithBlock(h.double, teamAlert.ts, 'acked')[0]!.body.channel).toBe(TEAM);
    // The parent edited after the ack keeps its links.
    const edited = () => h.double.ok('chat.update').filter((c) => c.body.ts === teamAlert.ts);
    await h.double.waitFor('the team parent acknowledged', () => edited().length > 0, 15_000);
    expect(blockIds(edited().at(-1))).toContain('links');

    // Recovery: a reply in the team thread and the parent resolved, in C0TEAM; nothing of team in alerts.channel.
    await team.restart();
    await h.double.waitFor('the team recovery', () => replyWithBlock(h.double, teamAlert.ts, 'recovered').length > 0, 40_000);
    expect(replyWithBlock(h.double, teamAlert.ts, 'recovered')[0]!.body.channel).toBe(TEAM);
    await h.double.waitFor('the team parent resolved', () => h.double.ok('chat.update').some((c) => c.body.ts === teamAlert.ts && c.body.channel === TEAM && textOf(c).includes('recovered')), 15_000);
    expect(h.double.ok('chat.postMessage').filter((c) => c.body.channel === CHANNEL && (c.body.thread_ts === teamAlert.ts || blockIds(c).includes('alert:team')))).toHaveLength(0);
    expect(h.double.ok('chat.postMessage').filter((c) => c.body.thread_ts === teamAlert.ts && c.body.channel !== TEAM)).toHaveLength(0);

    // A diagnosis of team shows the same links.
    const r = await h.command({ text: 'team', user: 'U0ALICE', channel: 'C0OPS' });
    expect(r.status).toBe(200);
    await h.double.waitFor('the team diagnosis', () => h.double.ok('chat.update').some((c) => c.body.channel === 'C0OPS' && blockIds(c).includes('verdict')), 60_000);
    const verdict = h.double.ok('chat.update').filter((c) => c.body.channel === 'C0OPS' && blockIds(c).includes('verdict')).at(-1)!;
    expect(blockIds(verdict)).toContain('links');
    expect(textOf(verdict)).toContain('|Runbook>');
  }, 240_000);
});
