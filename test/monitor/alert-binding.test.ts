/**
 * An alert's ack and snooze count only from the alert's channel and only on an
 * open incident (issue #16, item 6): signed block_actions sent to the real Bolt
 * receiver as if the alert's buttons were clicked in another channel (a forged
 * payload, or the values copied into a message elsewhere), and clicks on an
 * incident that has already recovered. Each refusal is a private answer,
 * changes nothing, and is audited with the channel the click came from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../lab/poll.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { auditRecords } from '../slack/helpers/redis-keys.js';
import { actionIds, type Call } from '../slack/helpers/slack-double.js';
import { alertsOf, choose, clickFrom, readState, replyWithBlock, Switchable } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const OTHER = 'C0ELSEWHERE';

describe('alert buttons are bound to their channel and to an open incident', () => {
  let delta: Switchable;
  let h: Harness;

  beforeAll(async () => {
    delta = await Switchable.start();
    h = await startHarness({
      config: [
        'targets:',
        `  - { name: delta, url: "redis://127.0.0.1:${delta.port}" }`,
        'access:',
        '  diagnose: [U0ALICE, U0MALLORY]',
        'alerts:',
        `  channel: ${CHANNEL}`,
        '  intervalSeconds: 5',
        '  targets: [delta]',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await h?.stop();
    await delta?.stop();
  });

  const incidentKey = (id: string) => `${h.prefix}:store:monitor:incident:${id}`;
  const snoozeKey = () => `${h.prefix}:store:monitor:snooze:delta`;
  const refusals = async () => (await auditRecords(h.redis, h.prefix)).filter((r) => r.event === 'click-refused');

  it('refuses an ack and a snooze from another channel, and any click on a resolved incident; the next incident still alerts', async () => {
    await pollUntil(async () => ((await readState(h.redis, h.prefix, 'delta'))?.status === 'up' ? true : undefined), { what: 'delta up', timeoutMs: 20_000, intervalMs: 100 });
    await delta.down();
    await h.double.waitFor('the delta alert', () => alertsOf(h.double, 'delta').length > 0, 30_000);
    const parent: Call = alertsOf(h.double, 'delta')[0]!;
    expect(parent.body.channel).toBe(CHANNEL);
    const [, ackId, snoozeId] = actionIds(parent) as [string, string, string];
    const id = ackId.slice('ack:i.'.length);

    // Forged from another channel: refused, nothing recorded, nothing posted; audited with that channel.
    const forged = await h.answer(await clickFrom(h, parent, ackId, 'U0MALLORY', OTHER));
    expect(forged).toContain('belongs to an alert in another conversation: use it there. Nothing changed.');
    expect(forged).not.toContain(CHANNEL);
    expect(await h.answer(await choose(h, parent, snoozeId, '24h', 'U0MALLORY', OTHER))).toContain('another conversation');
    expect(await h.redis.hget(incidentKey(id), 'ackedBy')).toBeNull();
    expect(await h.redis.exists(snoozeKey())).toBe(0);
    expect(replyWithBlock(h.double, parent.ts, 'acked')).toHaveLength(0);
    expect(replyWithBlock(h.double, parent.ts, 'snoozed')).toHaveLength(0);
    expect(await refusals()).toEqual([
      expect.objectContaining({ by: 'U0MALLORY', target: 'delta', channel: OTHER, requestId: `i.${id}`, remediationId: 'ack', outcome: 'refused' }),
      expect.objectContaining({ by: 'U0MALLORY', target: 'delta', channel: OTHER, requestId: `i.${id}`, remediationId: 'snooze', outcome: 'refused' }),
    ]);

    // From the alert's channel: counted, audited with it.
    await clickFrom(h, parent, ackId, 'U0ALICE');
    await h.double.waitFor('the ack note', () => replyWithBlock(h.double, parent.ts, 'acked').length > 0);
    expect(await h.redis.hget(incidentKey(id), 'ackedBy')).toBe('U0ALICE');
    const acked = await pollUntil(async () => {
      const a = (await auditRecords(h.redis, h.prefix)).filter((r) => r.event === 'acked');
      return a.length > 0 ? a : undefined;
    }, { what: 'the ack audited', timeoutMs: 5000, intervalMs: 50 });
    expect(acked).toEqual([expect.objectContaining({ by: 'U0ALICE', channel: CHANNEL, requestId: `i.${id}` })]);

    // Recovered: a 24 h snooze (from either channel) and an ack are refused, and no snooze is recorded.
    await delta.restart();
    await h.double.waitFor('the recovery', () => replyWithBlock(h.double, parent.ts, 'recovered').length > 0, 30_000);
    expect(await h.answer(await choose(h, parent, snoozeId, '24h', 'U0ALICE'))).toContain('already resolved');
    expect(await h.answer(await choose(h, parent, snoozeId, '24h', 'U0MALLORY', OTHER))).toContain('another conversation');
    expect(await h.answer(await clickFrom(h, parent, ackId, 'U0ALICE'))).toContain('already resolved');
    expect(await h.redis.exists(snoozeKey())).toBe(0);
    expect(replyWithBlock(h.double, parent.ts, 'snoozed')).toHaveLength(0);
    const late = (await refusals()).slice(2);
    expect(late.map((r) => [r.remediationId, r.channel, r.reason])).toEqual([
      ['snooze', CHANNEL, 'snooze click on a resolved incident'],
      ['snooze', OTHER, `snooze click from another channel than the alert's (${CHANNEL})`],
      ['ack', CHANNEL, 'ack click on a resolved incident'],
    ]);

    // The target's next incident is alerted.
    await delta.down();
    await h.double.waitFor('the next delta alert', () => alertsOf(h.double, 'delta').length === 2, 30_000);
    expect(actionIds(alertsOf(h.double, 'delta')[1])[1]).not.toBe(ackId);
  }, 120_000);
});
