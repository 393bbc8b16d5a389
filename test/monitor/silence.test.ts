/**
 * Maintenance windows as Slack drives them (issue #21, "Maintenance windows"):
 * signed slash commands to the real Bolt receiver, the monitor probing a real
 * redis-server, the Slack Web API double.
 *
 *  - a non-approver's `silence` (with hostile reason text) is refused,
 *    changes nothing, and is audited;
 *  - hostile or malformed commands from an approver are answered clearly and
 *    change nothing;
 *  - an approver's silence is stored, audited, listed (`silences`) and shown
 *    in `status`; the target goes down meanwhile: probed, its incident kept,
 *    no alert; `silence delta off` ends it early (audited) and the incident,
 *    still open, is alerted then, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../lab/poll.js';
import { ackText, startHarness, type Harness } from '../slack/helpers/harness.js';
import { auditRecords } from '../slack/helpers/redis-keys.js';
import { alertsOf, nextTick, readState, Switchable } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const HOSTILE = 'db upgrade <!channel> <@U0BOSS> <https://evil.example|click here> \u202eexe.txt `code` *bold*';

describe('silences', () => {
  let delta: Switchable;
  let h: Harness;

  beforeAll(async () => {
    delta = await Switchable.start();
    h = await startHarness({
      config: [
        'targets:',
        `  - { name: delta, url: "redis://127.0.0.1:${delta.port}" }`,
        `  - { name: unwatched, url: "redis://127.0.0.1:${delta.port}" }`,
        'access:',
        '  diagnose: [U0ALICE, U0BOSS, U0MALLORY]',
        '  approvers: [U0BOSS]',
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

  const silencesKey = () => `${h.prefix}:store:monitor:silences`;
  const say = async (text: string, user: string): Promise<string> => {
    const r = await h.command({ text, user, channel: 'C0OPS' });
    expect(r.status).toBe(200);
    return ackText(r.json);
  };
  /** Nothing a user typed is shown as a live mention, link or bidi override. */
  const inert = (text: string) => {
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
    expect(text).not.toContain('\u202e');
  };

  it('refuses non-approvers and bad input, keeps alerts quiet while silenced, alerts once when it ends', async () => {
    let s = await nextTick(h.redis, h.prefix, 'delta', undefined);
    expect(s.status).toBe('up');

    // Not an approver: refused, nothing stored, audited.
    const refused = await say(`silence delta 2h ${HOSTILE}`, 'U0MALLORY');
    expect(refused).toContain('Only approvers');
    expect(refused).toContain('Nothing changed');
    inert(refused);
    expect(await h.redis.exists(silencesKey())).toBe(0);
    const audit1 = await auditRecords(h.redis, h.prefix);
    expect(audit1).toEqual([expect.objectContaining({ event: 'command-refused', by: 'U0MALLORY', target: 'delta', outcome: 'refused', remediationId: 'silence' })]);

    // Hostile or malformed, from an approver: a clear answer each, nothing stored.
    const answers = {
      notTarget: await say('silence <!channel> 2h', 'U0BOSS'),
      unwatched: await say('silence unwatched 2h', 'U0BOSS'),
      tooLong: await say('silence delta 30d', 'U0BOSS'),
      badUnit: await say('silence delta 2fortnights', 'U0BOSS'),
      noDuration: await say('silence delta', 'U0BOSS'),
      offWithReason: await say('silence delta off now please', 'U0BOSS'),
      huge: await say(`silence delta 1h ${'x'.repeat(5000)}`, 'U0BOSS'),
    };
    expect(answers.notTarget).toContain('is not a monitored target');
    expect(answers.notTarget).toContain('&lt;!channel&gt;');
    expect(answers.unwatched).toContain('is not a monitored target');
    expect(answers.tooLong).toContain('at most 7 days');
    expect(answers.badUnit).toContain('a duration is a number and m, h or d');
    expect(answers.noDuration).toContain('Usage: `silence &lt;target|*&gt; &lt;duration&gt; [reason]`');
    expect(answers.offWithReason).toContain('`off` takes no reason');
    expect(answers.huge).toContain('too long');
    for (const a of Object.values(answers)) {
      inert(a);
      expect(a).toContain(a === answers.noDuration ? 'Usage' : 'Nothing changed');
    }
    expect(await h.redis.exists(silencesKey())).toBe(0);

    // An approver silences delta for an hour, with the hostile reason: stored, audited, answered escaped.
    const set = await say(`silence delta 1h ${HOSTILE}`, 'U0BOSS');
    expect(set).toContain('is silenced until');
    expect(set).toContain('&lt;!channel&gt;');
    inert(set);
    const stored = JSON.parse((await h.redis.hget(silencesKey(), 'delta'))!) as { by: string; until: number; reason: string };
    expect(stored.by).toBe('U0BOSS');
    expect(stored.until - Date.now()).toBeGreaterThan(3500_000);
    expect(stored.reason).not.toContain('\u202e');
    const silenced = (await auditRecords(h.redis, h.prefix)).filter((r) => r.event === 'silenced');
    expect(silenced).toEqual([expect.objectContaining({ by: 'U0BOSS', target: 'delta', outcome: 'silenced', channel: 'C0OPS' })]);

    // Listed for whoever may diagnose, in `silences` and in `status`; the audit trail shows it to approvers.
    const list = await say('silences', 'U0ALICE');
    expect(list).toContain('`delta` silenced by <@U0BOSS>');
    inert(list);
    const status = await say('status', 'U0ALICE');
    expect(status).toContain('*Silenced*');
    expect(status).toContain('`delta`');
    inert(status);
    const trail = await say('audit', 'U0BOSS');
    expect(trail).toContain('*silenced*');
    expect(trail).toContain('*command-refused*');
    inert(trail);

    // delta goes down: still probed, its incident open, and no alert for four ticks past the alert threshold.
    await delta.down();
    s = await pollUntil(async () => {
      const st = await readState(h.redis, h.prefix, 'delta');
      return st?.status === 'down' && st.incident ? st : undefined;
    }, { what: 'delta down with an incident', timeoutMs: 60_000, intervalMs: 100 });
    for (let i = 0; i < 4; i++) s = await nextTick(h.redis, h.prefix, 'delta', s.lastTick, 30_000);
    expect(s.status).toBe('down');
    expect(alertsOf(h.double, 'delta')).toHaveLength(0);
    expect(h.double.ok('chat.postMessage').filter((c) => c.body.channel === CHANNEL)).toHaveLength(0);

    // Ended early by an approver: audited; the incident, still open, is alerted once.
    const off = await say('silence delta off', 'U0BOSS');
    expect(off).toContain('is ended');
    expect(await h.redis.hexists(silencesKey(), 'delta')).toBe(0);
    expect((await auditRecords(h.redis, h.prefix)).filter((r) => r.event === 'unsilenced')).toEqual([expect.objectContaining({ by: 'U0BOSS', target: 'delta' })]);
    await h.double.waitFor('the delta alert after the silence', () => alertsOf(h.double, 'delta').length > 0, 40_000);
    const ticked = await nextTick(h.redis, h.prefix, 'delta', (await readState(h.redis, h.prefix, 'delta'))?.lastTick, 30_000);
    await nextTick(h.redis, h.prefix, 'delta', ticked.lastTick, 30_000);
    expect(alertsOf(h.double, 'delta')).toHaveLength(1);
    expect(alertsOf(h.double, 'delta')[0]!.body.text).toContain('delta is down');
    expect(await say('silences', 'U0ALICE')).toContain('No target is silenced');
  }, 240_000);
});
