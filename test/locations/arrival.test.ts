/**
 * A location-only target (probeFrom without `local`) is evaluated as its
 * location's outcomes arrive (issue #20): the alert comes within one interval
 * of the failuresBeforeAlert-th failed probe, not at the front end's own tick
 * (up to about two intervals before). Real parts: a location worker in a
 * network namespace (location-lab.ts) probing a real redis-server, cut off by
 * iptables in that namespace; the real front end (harness) with the Slack
 * Web API double.
 *
 * Besides the bound (a functional requirement, generous: interval + 2 s), the
 * incident's first failure carries the location's probe time — the front end
 * counted the outcome it received, not a probe time of its own.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, need } from '../lab/guard.js';
import { pollUntil } from '../lab/poll.js';
import { textOf } from '../slack/helpers/slack-double.js';
import { alertsOf, readState } from '../monitor/helpers.js';
import { startOneLocation, type OneLocation } from './location-lab.js';

const CHANNEL = 'C0ALERTS';
const INTERVAL_S = 5;

describeLab('a location-only target is evaluated as its outcomes arrive', [need.root(), need.netns(), need.binary('redis-server'), need.binary('iptables')], () => {
  let lab: OneLocation;
  beforeAll(async () => {
    lab = await startOneLocation({ targetName: 'far-only', channel: CHANNEL, intervalS: INTERVAL_S, tmpPrefix: 'locarr' });
  }, 240_000);
  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it('alerts within one interval of the location\'s 2nd failed outcome, with the location\'s probe times', async () => {
    const { h, q, eu, target } = lab;
    const key = `${h.prefix}:monitor:at:far-only`;
    const outcome = async () => {
      const text = (await q.hgetall(key))['eu-vpc'];
      return text ? (JSON.parse(text) as { at: number; up: boolean; code?: string }) : undefined;
    };
    await pollUntil(async () => ((await outcome())?.up === true ? true : undefined), { what: 'an up outcome from eu-vpc', timeoutMs: 60_000, intervalMs: 200 });
    // Counted up at the front end. (While the location worker was starting, no location answered: the front end may
    // have alerted LOCATION-SILENT — rightly — and resolved it since: only the alerts after the cut are this test's.)
    await pollUntil(async () => {
      const s = await readState(q, h.prefix, 'far-only');
      return s?.status === 'up' && !s.incident ? true : undefined;
    }, { what: 'far-only up at the front end', timeoutMs: 60_000, intervalMs: 100 });
    const before = alertsOf(h.double, 'far-only').length;
    expect(alertsOf(h.double, 'far-only').map(textOf).every((t) => /LOCATION-SILENT|no location has probed/.test(t))).toBe(true);

    const rule = ['-d', eu.hostAddress, '-p', 'tcp', '--dport', String(target.port), '-j', 'REJECT', '--reject-with', 'tcp-reset'];
    await eu.iptables(['-I', 'OUTPUT', ...rule]);
    try {
      // Every failed outcome eu-vpc sends, as the front end stores it (its probe time).
      const failed = new Set<number>();
      await pollUntil(async () => {
        const o = await outcome();
        if (o && !o.up) failed.add(o.at);
        return alertsOf(h.double, 'far-only').length > before ? true : undefined;
      }, { what: 'the alert', timeoutMs: 60_000, intervalMs: 50 });
      const alert = alertsOf(h.double, 'far-only')[before]!;
      const times = [...failed].sort((a, b) => a - b);
      expect(times.length).toBeGreaterThanOrEqual(2);
      expect(textOf(alert)).toMatch(/down from eu-vpc \(ECONNREFUSED/);
      // The front end counted eu-vpc's outcomes with their probe times: the first failure is eu-vpc's first failed probe.
      const state = await readState(q, h.prefix, 'far-only');
      expect(state?.incident?.firstFailure.at).toBe(times[0]);
      expect(times).toContain(state?.lastTick);
      // Within one interval of the 2nd failed probe (generous: interval + 2 s; the diagnosis runs at eu-vpc in between).
      expect(alert.at - times[1]!).toBeLessThanOrEqual(INTERVAL_S * 1000 + 2000);
    } finally {
      await eu.iptables(['-D', 'OUTPUT', ...rule]).catch(() => undefined);
    }
  }, 180_000);
});
