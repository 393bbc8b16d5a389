/** The pure parts of the receiver: payload checks, target mapping, alert keys and labels, and the external transitions on a target state. */
import { describe, expect, it } from 'vitest';
import { alertKey, alertLabel, instanceAddress, targetMapper, timeOf } from '../../src/alertmanager/mapping.js';
import { parsePayload } from '../../src/alertmanager/payload.js';
import { authorized } from '../../src/alertmanager/route.js';
import { end, fire } from '../../src/monitor/external.js';
import { transition } from '../../src/monitor/state-machine.js';
import { payload } from './helpers.js';

const config = { targets: [
  { name: 'cache', url: 'redis://10.0.0.5:6379' },
  { name: 'sessions', url: 'rediss://Redis.Example:6380/2' },
  { name: 'v6', url: 'redis://[::1]:7000' },
] } as Parameters<typeof targetMapper>[0];

describe('Alertmanager payload and mapping', () => {
  it('parses version 4 and refuses the rest without echoing values', () => {
    expect(parsePayload(payload([{ labels: { alertname: 'X' } }])).ok).toBe(true);
    const bad = parsePayload(JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: '<!channel>', labels: {}, startsAt: '' }] }));
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).not.toContain('<!channel>');
    expect(parsePayload('{"version":"4"').ok).toBe(false);
    expect(parsePayload(JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { x: 'y'.repeat(5000) }, startsAt: '' }] })).ok).toBe(false);
  });

  it('maps by the target label, else by the instance label host:port', () => {
    const byLabel = targetMapper(config, 'redis_doctor_target');
    expect(byLabel.targetOf({ redis_doctor_target: 'cache' })).toBe('cache');
    expect(byLabel.targetOf({ redis_doctor_target: 'nope', instance: '10.0.0.5:6379' })).toBeUndefined();
    expect(byLabel.targetOf({ instance: 'redis.example:6380' })).toBe('sessions');
    const byInstance = targetMapper(config, undefined);
    expect(byInstance.targetOf({ instance: '10.0.0.5:6379' })).toBe('cache');
    expect(byInstance.targetOf({ instance: 'redis://10.0.0.5:6379/0' })).toBe('cache');
    expect(byInstance.targetOf({ instance: '10.0.0.5' })).toBe('cache');
    expect(byInstance.targetOf({ instance: '10.0.0.5:6380' })).toBeUndefined();
    expect(byInstance.targetOf({ instance: '[::1]:7000' })).toBe('v6');
    expect(byInstance.targetOf({ instance: 'x:99999' })).toBeUndefined();
    // Hostile sizes are cut before any scan; junk maps to nothing.
    expect((instanceAddress(':'.repeat(100_000)) ?? '').length).toBeLessThanOrEqual(310);
    expect(byInstance.targetOf({ instance: ':'.repeat(100_000) })).toBeUndefined();
  });

  it('keys an alert by fingerprint and start; shows only a cleaned alert name', () => {
    const a = { fingerprint: 'abc', labels: {}, startsAt: '2026-01-01T00:00:00Z' };
    expect(alertKey(a)).toBe(alertKey({ ...a }));
    expect(alertKey(a)).not.toBe(alertKey({ ...a, startsAt: '2026-01-01T00:00:01Z' }));
    expect(alertLabel({ alertname: 'RedisDown <!channel> \u202E<@U1>' })).toBe('alert RedisDownchannelU1');
    expect(alertLabel({})).toBe('an alert without a name');
    expect(timeOf('0001-01-01T00:00:00Z', 5)).toBe(5);
  });

  it('compares the bearer token', () => {
    expect(authorized('Bearer s3cret', 's3cret')).toBe(true);
    expect(authorized('Bearer s3cre', 's3cret')).toBe(false);
    expect(authorized('s3cret', 's3cret')).toBe(false);
    expect(authorized(undefined, 's3cret')).toBe(false);
  });
});

describe('external alerts on the target state', () => {
  const T = { failuresBeforeAlert: 2, successesBeforeRecovery: 2, intervalSeconds: 5 };
  const alert = { key: 'k1', startsAt: 1000, label: 'alert RedisDown' };

  it('opens once, counts a repeat as a duplicate, joins an open incident, resolves when the last alert ends', () => {
    const o = fire(undefined, alert, 2000, 'cache');
    expect(o.outcome).toBe('opened');
    expect(o.next!.incident).toMatchObject({ reason: 'down', source: 'alertmanager', firstFailure: { at: 1000, code: 'ALERT' } });
    expect(fire(o.next, alert, 3000, 'cache').outcome).toBe('duplicate');
    const j = fire(o.next, { ...alert, key: 'k2' }, 3000, 'cache');
    expect(j.outcome).toBe('joined');
    expect(j.next!.incident!.id).toBe(o.next!.incident!.id);
    const e1 = end(j.next, 'k1', 4000, false);
    expect(e1.outcome).toBe('ended');
    expect(e1.next!.incident).toBeDefined();
    const e2 = end(e1.next, 'k2', 5000, false);
    expect(e2.outcome).toBe('resolved');
    expect(e2.closed).toMatchObject({ resolvedAt: 5000, downtimeMs: 4000 });
    expect(end(e2.next, 'k2', 6000, false).outcome).toBe('duplicate');
    expect(fire(e2.next, { ...alert, key: 'k2' }, 7000, 'cache').outcome).toBe('ended-before');
    expect(end(e2.next, 'zz', 6000, false).outcome).toBe('not-firing');
  });

  it('a probed target: the probe never resolves while an alert fires; after it ends, the probe does', () => {
    let s = fire(undefined, alert, 2000, 'cache').next!;
    for (let i = 1; i <= 5; i++) {
      const r = transition(s, { ok: true, at: 2000 + i * 5000 }, T, 'cache');
      expect(r.events.map((e) => e.kind)).not.toContain('resolved');
      s = r.next;
    }
    s = end(s, 'k1', 30_000, true).next!;
    expect(s.incident).toBeDefined();
    expect(transition(s, { ok: true, at: 35_000 }, T, 'cache').events.map((e) => e.kind)).toEqual(['resolved']);
  });
});
