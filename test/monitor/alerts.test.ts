/**
 * Proactive alerts end to end (issue #8): the real bot (Bolt HTTP receiver,
 * BullMQ `monitor` queue with a job scheduler per target on the queue Redis,
 * the inline worker), real redis-server targets stopped and started again on
 * their ports, `intervalSeconds: 5`, and the Slack Web API double.
 *
 * Three targets run their scenarios at the same time, each on its own clock
 * of ticks (read from its state in Redis):
 *  - alpha: one failed probe alerts nobody; then down → one alert naming the
 *    cause, findings in its thread; back up → a recovery reply and the parent
 *    updated to resolved;
 *  - flappy: down and up on every tick → one incident, said flapping once;
 *  - gamma: ack ("I'm on it") and snooze from the alert's controls; a snoozed
 *    target's next incident is silent until the snooze ends, then alerted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../lab/poll.js';
import { ackText, startHarness, type Harness } from '../slack/helpers/harness.js';
import { actionIds, blockIds, textOf, type Call } from '../slack/helpers/slack-double.js';
import { alertsOf, choose, nextTick, readState, replyWithBlock, repliesTo, Switchable } from './helpers.js';
import { AuditLog } from '../../src/stores/audit-log.js';

const CHANNEL = 'C0ALERTS';
const PASSWORD = 'gamma-secret-password-9';

describe('proactive alerts', () => {
  let alpha: Switchable;
  let flappy: Switchable;
  let gamma: Switchable;
  let h: Harness;

  beforeAll(async () => {
    [alpha, flappy, gamma] = await Promise.all([Switchable.start(), Switchable.start(), Switchable.start({ password: PASSWORD })]);
    h = await startHarness({
      config: [
        'targets:',
        `  - { name: alpha, url: "redis://127.0.0.1:${alpha.port}" }`,
        `  - { name: flappy, url: "redis://127.0.0.1:${flappy.port}" }`,
        `  - { name: gamma, url: "redis://127.0.0.1:${gamma.port}", passwordEnv: GAMMA_PASSWORD }`,
        `  - { name: unwatched, url: "redis://127.0.0.1:${alpha.port}" }`,
        'access:',
        '  diagnose: [U0ALICE, U0BOB]',
        'alerts:',
        `  channel: ${CHANNEL}`,
        '  intervalSeconds: 5',
        '  targets: [alpha, flappy, gamma]',
      ].join('\n'),
      env: { GAMMA_PASSWORD: PASSWORD },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await Promise.all([alpha?.stop(), flappy?.stop(), gamma?.stop()]);
  });

  const tick = (target: string, after: number | undefined) => nextTick(h.redis, h.prefix, target, after);
  const parentUpdates = (ts: string | undefined) => h.double.ok('chat.update').filter((c) => c.body.ts === ts);

  async function scenarioAlpha(): Promise<void> {
    let s = await tick('alpha', undefined);
    expect(s.status).toBe('up');
    // One failed probe: suspect, then up again, nothing posted.
    await alpha.down();
    s = await tick('alpha', s.lastTick);
    expect(s.status).toBe('suspect');
    await alpha.restart();
    s = await tick('alpha', s.lastTick);
    expect(s.status).toBe('up');
    expect(alertsOf(h.double, 'alpha')).toHaveLength(0);

    // Down for good: one alert, naming the cause, after the second failed probe.
    const lastOk = s.lastTick!;
    await alpha.down();
    await h.double.waitFor('the alpha alert', () => alertsOf(h.double, 'alpha').length > 0, 30_000);
    const parent = alertsOf(h.double, 'alpha')[0]!;
    expect(parent.body.channel).toBe(CHANNEL);
    expect(parent.body.text).toContain('alpha');
    expect(parent.body.text).toContain('connection-refused');
    expect(actionIds(parent)).toEqual([expect.stringMatching(/^recheck:i\.alpha-/), expect.stringMatching(/^ack:i\.alpha-/), expect.stringMatching(/^snooze:i\.alpha-/)]);
    // Since when, and what changed: the last good probe and the first failed one with its error.
    expect(textOf(parent)).toContain(`last good probe <!date^${Math.floor(lastOk / 1000)}`);
    expect(textOf(parent)).toContain('`connect ECONNREFUSED 127.0.0.1:');
    await h.double.waitFor('the findings in its thread', () => replyWithBlock(h.double, parent.ts, 'finding:connection-refused').length > 0);
    // The monitor told the engine the target answered until a moment ago: a neighbouring Redis
    // (the queue Redis on 6379) is only a possible wrong port, which its history argues against:
    // one line saying so, no second critical and no button moving clients to another Redis.
    await h.double.waitFor('the wrong-port finding', () => replyWithBlock(h.double, parent.ts, 'finding:wrong-port').length > 0);
    const wrongPort = replyWithBlock(h.double, parent.ts, 'finding:wrong-port')[0]!;
    expect(textOf(wrongPort)).toContain('_Possible but unlikely:_');
    expect(textOf(wrongPort)).toContain('this target answered at this address until <!date^');
    expect(wrongPort.body.blocks).toHaveLength(1);
    expect(actionIds(wrongPort)).toEqual([]);
    expect(textOf(wrongPort)).not.toContain('red_circle');

    // Still down two ticks later: still one alert.
    s = await tick('alpha', (await readState(h.redis, h.prefix, 'alpha'))!.lastTick);
    s = await tick('alpha', s.lastTick);
    expect(s.status).toBe('down');
    expect(alertsOf(h.double, 'alpha')).toHaveLength(1);

    // The recheck button of the alert: a fresh diagnosis in the alert's thread.
    await h.click(parent, actionIds(parent)[0]!, 'U0ALICE');
    await h.double.waitFor('the re-check in the thread', () => repliesTo(h.double, parent.ts).some((c) => blockIds(c).includes('progress')));

    // Back: a recovery reply, and the parent edited to resolved with the downtime.
    await alpha.restart();
    await h.double.waitFor('the recovery reply', () => replyWithBlock(h.double, parent.ts, 'recovered').length > 0, 30_000);
    expect(textOf(replyWithBlock(h.double, parent.ts, 'recovered')[0])).toMatch(/down for \d+ s/);
    // Broadcast to the channel: a thread reply alone reaches nobody's phone.
    // (the Web API client sends it form-encoded: `reply_broadcast=true`)
    expect(String(replyWithBlock(h.double, parent.ts, 'recovered')[0]!.body.reply_broadcast)).toBe('true');
    await h.double.waitFor('the parent resolved', () => parentUpdates(parent.ts).some((c) => textOf(c).includes('recovered')));
    // The findings' fix buttons are gone, their text kept, with a line saying why.
    const withButtons = repliesTo(h.double, parent.ts).filter((c) => c.method === 'chat.postMessage' && blockIds(c).some((id) => id.startsWith('finding:')) && actionIds(c).length > 0);
    expect(withButtons.length).toBeGreaterThan(0);
    for (const f of withButtons) {
      await h.double.waitFor('the stale buttons removed', () => parentUpdates(f.ts).some((c) => blockIds(c).includes('stale')));
      const edited = parentUpdates(f.ts).find((c) => blockIds(c).includes('stale'))!;
      expect(actionIds(edited)).toEqual([]);
      expect(blockIds(edited)[0]).toBe(blockIds(f)[0]);
      expect(edited.body.text).toBe(f.body.text);
    }
    const resolved = parentUpdates(parent.ts).at(-1)!;
    expect(blockIds(resolved)[0]).toBe('alert:alpha');
    expect(textOf(resolved)).toMatch(/\*recovered\* — was down \d+ s/);
    expect(actionIds(resolved)).toEqual([actionIds(parent)[0]]);
    expect(alertsOf(h.double, 'alpha')).toHaveLength(1);
    expect(replyWithBlock(h.double, parent.ts, 'recovered')).toHaveLength(1);
  }

  async function scenarioFlappy(): Promise<void> {
    let s = await tick('flappy', undefined);
    // Down on one tick, up on the next, eight times over.
    for (let i = 0; i < 8; i++) {
      if (flappy.up) await flappy.down();
      else await flappy.restart();
      s = await tick('flappy', s.lastTick);
    }
    expect(alertsOf(h.double, 'flappy')).toHaveLength(1);
    const parent = alertsOf(h.double, 'flappy')[0]!;
    await h.double.waitFor('the flapping note', () => replyWithBlock(h.double, parent.ts, 'flapping').length > 0);
    // Held up for the whole flap window (10 intervals: state-machine.ts flapHoldMs): resolved, once.
    if (!flappy.up) await flappy.restart();
    await h.double.waitFor('the flappy recovery', () => replyWithBlock(h.double, parent.ts, 'recovered').length > 0, 90_000);
    expect(alertsOf(h.double, 'flappy')).toHaveLength(1);
    expect(replyWithBlock(h.double, parent.ts, 'flapping')).toHaveLength(1);
  }

  async function scenarioGamma(): Promise<void> {
    await tick('gamma', undefined);
    await gamma.down();
    await h.double.waitFor('the gamma alert', () => alertsOf(h.double, 'gamma').length > 0, 30_000);
    const parent = alertsOf(h.double, 'gamma')[0]!;
    const [, ackId, snoozeId] = actionIds(parent) as [string, string, string];

    // Acknowledged: who, in the thread; the parent says so and drops the button.
    expect(await h.answer(await h.click(parent, ackId, 'U0MALLORY'))).toContain('not allowed');
    await h.click(parent, ackId, 'U0BOB');
    await h.double.waitFor('the ack note', () => replyWithBlock(h.double, parent.ts, 'acked').length > 0);
    expect(textOf(replyWithBlock(h.double, parent.ts, 'acked')[0])).toContain('<@U0BOB> is on it');
    expect(await h.answer(await h.click(parent, ackId, 'U0ALICE'))).toContain('<@U0BOB> is already on it');
    await h.double.waitFor('the parent acknowledged', () => parentUpdates(parent.ts).some((c) => !actionIds(c).includes(ackId)));
    // The headline says who acked, the push text too (as a mention).
    const acked = parentUpdates(parent.ts).find((c) => !actionIds(c).includes(ackId))!;
    expect(JSON.stringify(acked.body.blocks?.[0])).toContain('acked by <@U0BOB>');
    expect(acked.body.text).toContain('acked by <@U0BOB>');

    // Snoozed for an hour by Alice: who and until when in the thread and the audit trail.
    expect(await h.answer(await choose(h, parent, snoozeId, '1h', 'U0MALLORY'))).toContain('not allowed');
    expect(await h.answer(await choose(h, parent, snoozeId, '2y', 'U0ALICE'))).toContain('does not refer');
    const before = Date.now();
    expect(await h.answer(await choose(h, parent, snoozeId, '1h', 'U0ALICE'))).toContain('snoozed until');
    const note = replyWithBlock(h.double, parent.ts, 'snoozed');
    expect(note).toHaveLength(1);
    expect(textOf(note[0])).toContain('<@U0ALICE> snoozed alerts for *gamma* until <!date^');
    const audit = (await new AuditLog(h.redis, h.prefix).latest(10)).map((e) => e.record).filter((r) => r.event !== 'acked');
    expect(audit).toEqual([expect.objectContaining({ event: 'snoozed', by: 'U0ALICE', target: 'gamma', channel: CHANNEL, requestId: snoozeId.slice('snooze:'.length), outcome: 'snoozed' })]);
    const until = Date.parse(/until (\S+)$/.exec(audit[0]!.reason ?? '')?.[1] ?? '');
    expect(until).toBeGreaterThanOrEqual(before + 3_600_000 - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + 3_600_000);

    // The open incident still recovers (in its thread); the next one stays silent while snoozed.
    await gamma.restart();
    await h.double.waitFor('the gamma recovery', () => replyWithBlock(h.double, parent.ts, 'recovered').length > 0, 30_000);
    await gamma.down();
    let s = await pollUntil(async () => {
      const st = await readState(h.redis, h.prefix, 'gamma');
      return st?.status === 'down' && st.incident ? st : undefined;
    }, { what: 'gamma down again', timeoutMs: 30_000, intervalMs: 100 });
    s = await tick('gamma', s.lastTick);
    s = await tick('gamma', s.lastTick);
    expect(alertsOf(h.double, 'gamma')).toHaveLength(1);
    const silentIncident = s.incident!.id;

    // The snooze ends (its record says until when; here it is made to end in a second): the open incident is alerted.
    const key = `${h.prefix}:store:monitor:snooze:gamma`;
    const rec = JSON.parse((await h.redis.get(key))!) as { until: number };
    await h.redis.set(key, JSON.stringify({ ...rec, until: Date.now() + 1000 }), 'PX', 1000);
    await h.double.waitFor('the alert after the snooze', () => alertsOf(h.double, 'gamma').length === 2, 30_000);
    expect(actionIds(alertsOf(h.double, 'gamma')[1])[1]).toBe(`ack:i.${silentIncident}`);

    // The password of gamma (passwordEnv) is nowhere in what was posted or logged.
    const everything = JSON.stringify(h.double.calls) + h.logs.join('') + JSON.stringify(await h.redis.hgetall(`${h.prefix}:store:monitor:incident:${silentIncident}`));
    expect(everything).not.toContain(PASSWORD);
  }

  it('alerts once per incident with the cause, recovers, suppresses flapping, and honours ack and snooze', async () => {
    await Promise.all([scenarioAlpha(), scenarioFlappy(), scenarioGamma()]);

    const status = ackText((await h.command({ text: 'status', user: 'U0ALICE' })).json);
    expect(status).toMatch(/\*alpha\* .* · monitored: :large_green_circle: \*up\* since/);
    expect(status).toMatch(/\*gamma\* .* · monitored: :red_circle: \*down\* since .*\(`connection-refused`\)/);
    expect(status).not.toMatch(/\*unwatched\*.*monitored/);

    // The last recovery is counted once its stale buttons are taken away too (slack/alert-sink.ts): read until it is.
    const metrics = await pollUntil(async () => {
      const text = await (await fetch(`${h.url}/metrics`)).text();
      return /redis_doctor_alerts_total\{kind="recovery"\} 3/.test(text) ? text : undefined;
    }, { what: 'three recoveries counted', timeoutMs: 15_000 }).catch(async () => (await fetch(`${h.url}/metrics`)).text());
    expect(metrics).toMatch(/redis_doctor_target_up\{target="alpha"\} 1/);
    expect(metrics).toMatch(/redis_doctor_target_up\{target="gamma"\} 0/);
    expect(metrics).toMatch(/redis_doctor_alerts_total\{kind="alert"\} 4/);
    expect(metrics).toMatch(/redis_doctor_alerts_total\{kind="recovery"\} 3/);
  }, 180_000);

  it('never posts an alert for a target outside alerts.targets', () => {
    expect(alertsOf(h.double, 'unwatched')).toHaveLength(0);
    const every = h.double.ok('chat.postMessage').filter((c) => !c.body.thread_ts && blockIds(c)[0]?.startsWith('alert:')).map((c: Call) => blockIds(c)[0]);
    expect(new Set(every)).toEqual(new Set(['alert:alpha', 'alert:flappy', 'alert:gamma']));
  });
});
