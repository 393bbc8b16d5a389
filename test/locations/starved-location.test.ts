/**
 * A location whose own host is starved must not page (issue #20; the front end's guard is
 * test/monitor/starved.test.ts). The 10,000-target bench SIGSTOPs the bot's processes between
 * rounds: a location worker stopped mid-probe sent its timeouts as failures when it resumed,
 * and 47 healthy targets were alerted. Now such a probe is sent as `inconclusive`: the front
 * end neither counts it nor takes the location for silent (LOCATION-SILENT would page too).
 *
 * Real parts: a location worker process in a network namespace (location-lab.ts) whose event
 * loop is blocked on purpose (test/lab/starve-loop.mjs: 1.5 s right after each connection to
 * the target's port, the probe's bound is 1 s), a real healthy redis-server, the real front end
 * (harness) with the Slack Web API double.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, need } from '../lab/guard.js';
import { pollUntil } from '../lab/poll.js';
import { alertsOf, readState } from '../monitor/helpers.js';
import { startOneLocation, type OneLocation } from './location-lab.js';

const CHANNEL = 'C0ALERTS';
const INTERVAL_S = 5;
const STARVE = pathToFileURL(join(import.meta.dirname, '..', 'lab', 'starve-loop.mjs')).href;

describeLab('a starved location does not page', [need.root(), need.netns(), need.binary('redis-server')], () => {
  let lab: OneLocation;
  beforeAll(async () => {
    lab = await startOneLocation({ targetName: 'far-healthy', channel: CHANNEL, intervalS: INTERVAL_S, tmpPrefix: 'locstarve', workerEnv: (target) => ({ STARVE_PORT: String(target.port), STARVE_MS: '1500', NODE_OPTIONS: `--import=${STARVE}` }) });
  }, 240_000);
  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it('its timed-out probes arrive as inconclusive: no DOWN, no LOCATION-SILENT, the starvation logged', async () => {
    const { h, q, worker } = lab;
    const key = `${h.prefix}:monitor:at:far-healthy`;
    const seen: { at: number; up: boolean; code?: string; inconclusive?: boolean }[] = [];
    // Five intervals of the location's outcomes: enough for two failed probes (an alert before the change)
    // and for the front end's staleness bound (2.5 intervals: LOCATION-SILENT had the location been mute).
    const until = Date.now() + 5 * INTERVAL_S * 1000;
    await pollUntil(async () => {
      const text = (await q.hgetall(key))['eu-vpc'];
      const o = text ? (JSON.parse(text) as (typeof seen)[number]) : undefined;
      if (o && !seen.some((s) => s.at === o.at)) seen.push(o);
      return Date.now() > until ? true : undefined;
    }, { what: 'five intervals of outcomes', timeoutMs: 60_000, intervalMs: 100 });
    // Nothing counted from the starved probes. While the worker started, before its first outcome arrived, the
    // front end may rightly have counted LOCATION-SILENT (no location had answered yet) and even alerted on it;
    // nothing after that: every alert's first failure is that silence, and the last failure counted came before
    // the outcomes began (a starved probe counted as failing would be a TIMEOUT after them).
    for (const alert of alertsOf(h.double, 'far-healthy')) expect(JSON.stringify(alert.body)).toContain('first failed probe: `LOCATION-SILENT`');
    const state = await readState(q, h.prefix, 'far-healthy');
    if (state?.lastFailure) {
      expect(state.lastFailure.code).toBe('LOCATION-SILENT');
      expect(state.lastFailure.at).toBeLessThan(seen[0]!.at + 1000);
    }
    expect(seen.length).toBeGreaterThanOrEqual(3);
    // The location was starved on every probe of the target (the preload's doing) and said so.
    expect(seen.every((o) => !o.up && (o.code === 'ETIMEDOUT' || o.code === 'TIMEOUT') && o.inconclusive === true)).toBe(true);
    expect(worker.lines().some((l) => l.includes('location monitor overloaded') || l.includes('location probes inconclusive'))).toBe(true);
  }, 120_000);
});
