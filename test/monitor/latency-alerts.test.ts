/**
 * The monitor's latency alert and restart-loop cause end to end (issue 18):
 * the real bot (Bolt HTTP receiver, BullMQ `monitor` queue on the queue Redis
 * with its own prefix, the inline worker, the real diagnosis), real
 * redis-server targets, `intervalSeconds: 5`, `latencyMs: 50`, the Slack Web
 * API double. Both scenarios run at the same time, each on its own ticks:
 *
 *  - slowpoke: another client keeps the server busy (DEBUG SLEEP 0.2 in a
 *    loop, as a KEYS over a big keyspace would): the tick's PINGs wait, p99
 *    over 50 ms for failuresBeforeAlert ticks → one alert that says slow,
 *    names the measured p99 and the threshold and the cause the diagnosis
 *    found in SLOWLOG (slow-commands); redis_doctor_target_up stays 1 and
 *    redis_doctor_target_latency_p99_ms shows the p99. The loop stops →
 *    recovery after successesBeforeRecovery fast ticks.
 *  - looper: a small supervisor restarts redis-server on the same port in a
 *    bounded loop (up ~5.5 s, down ~5.5 s): the ticks read a new run_id after
 *    each start; the incident (flapping) is diagnosed with those changes and
 *    its alert names restart-loop.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { blockIds, textOf } from '../slack/helpers/slack-double.js';
import { describeLab, need } from '../lab/guard.js';
import { alertsOf, nextTick, replyWithBlock, Switchable } from './helpers.js';

const CHANNEL = 'C0ALERTS';

describeLab('monitor latency alerts and restart loops', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let slowpoke: Switchable;
  let looper: Switchable;
  let h: Harness;

  beforeAll(async () => {
    [slowpoke, looper] = await Promise.all([Switchable.start(), Switchable.start()]);
    h = await startHarness({
      config: [
        'targets:',
        `  - { name: slowpoke, url: "redis://127.0.0.1:${slowpoke.port}" }`,
        `  - { name: looper, url: "redis://127.0.0.1:${looper.port}" }`,
        'access:',
        '  diagnose: [U0ALICE]',
        'alerts:',
        `  channel: ${CHANNEL}`,
        '  intervalSeconds: 5',
        '  failuresBeforeAlert: 3',
        '  latencyMs: 50',
        '  targets: [slowpoke, looper]',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await h?.stop();
    await Promise.all([slowpoke?.stop(), looper?.stop()]);
  });

  const metrics = async () => (await fetch(`${h.url}/metrics`)).text();

  async function scenarioSlow(): Promise<void> {
    let s = await nextTick(h.redis, h.prefix, 'slowpoke', undefined);
    expect(s.status).toBe('up');
    expect(s.latency!.p99Ms).toBeLessThan(50);
    expect(s.runs?.runId).toMatch(/^[0-9a-f]{40}$/);

    const blocker = new Redis({ host: '127.0.0.1', port: slowpoke.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await blocker.connect();
    let running = true;
    const started = Date.now();
    // Bounded: stops when told, or after 120 s whatever happens.
    const loop = (async () => {
      while (running && Date.now() - started < 120_000) await blocker.call('DEBUG', 'SLEEP', '0.2');
    })();
    let parentTs: string | undefined;
    try {
      await h.double.waitFor('the slowpoke alert', () => alertsOf(h.double, 'slowpoke').length > 0, 60_000);
      const parent = alertsOf(h.double, 'slowpoke')[0]!;
      parentTs = parent.ts;
      const text = textOf(parent);
      expect(parent.body.text).toMatch(/^slowpoke is slow: slow-commands/);
      expect(parent.body.text).toMatch(/p99 \d+ ms over 50 ms \(alerts\.latencyMs\)/);
      expect(text).toContain('is *slow*');
      expect(text).toMatch(/SLOW.*p99 \d+ ms over 50 ms/);
      expect(text).toContain('alerted after 3 slow probes in a row');
      await h.double.waitFor('the slow-commands finding', () => replyWithBlock(h.double, parent.ts, 'finding:slow-commands').length > 0, 30_000);
      const m = await metrics();
      expect(m).toMatch(/redis_doctor_target_up\{target="slowpoke"\} 1\b/);
      const p99 = Number(/redis_doctor_target_latency_p99_ms\{target="slowpoke"\} ([\d.]+)/.exec(m)?.[1]);
      expect(p99).toBeGreaterThan(50);
    } finally {
      running = false;
      await loop.catch(() => undefined);
      blocker.disconnect();
    }
    s = await nextTick(h.redis, h.prefix, 'slowpoke', undefined);
    await h.double.waitFor('the slowpoke recovery', () => replyWithBlock(h.double, parentTs, 'recovered').length > 0, 60_000);
    expect(textOf(replyWithBlock(h.double, parentTs, 'recovered')[0])).toMatch(/is fast again: recovered .*slow for \d+ s/);
    expect(alertsOf(h.double, 'slowpoke')).toHaveLength(1);
  }

  async function scenarioLoop(): Promise<void> {
    await nextTick(h.redis, h.prefix, 'looper', undefined);
    let running = true;
    // The supervisor: start, run ~5.5 s, stop, wait ~5.5 s, start again — at most 14 cycles (bounded in count and time).
    const supervisor = (async () => {
      for (let cycle = 0; running && cycle < 14; cycle++) {
        await new Promise((r) => setTimeout(r, 5500));
        if (!running) break;
        await looper.down();
        await new Promise((r) => setTimeout(r, 5500));
        if (!running) break;
        await looper.restart();
      }
    })();
    try {
      await h.double.waitFor('the looper alert naming restart-loop', () => alertsOf(h.double, 'looper').some((c) => String(c.body.text).includes('restart-loop')) || replyWithBlock(h.double, alertsOf(h.double, 'looper')[0]?.ts, 'finding:restart-loop').length > 0, 150_000);
    } finally {
      running = false;
      await supervisor.catch(() => undefined);
      await looper.restart();
    }
    const parent = alertsOf(h.double, 'looper')[0]!;
    expect(blockIds(parent)[0]).toBe('alert:looper');
    expect(parent.body.text).toContain('restart-loop');
    expect(textOf(parent)).toMatch(/restarted \d+ times/);
    expect(alertsOf(h.double, 'looper')).toHaveLength(1);
  }

  it('slow → one alert naming p99, threshold and cause, target_up 1, recovery; a restart loop → its alert names restart-loop', async () => {
    await Promise.all([scenarioSlow(), scenarioLoop()]);
  }, 240_000);
});
