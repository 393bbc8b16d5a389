/**
 * The intake's bounds, with an incidents object that holds each alert until
 * released (the real one — the state in Redis, diagnoses, Slack — is in
 * endpoint.test.ts and real-alertmanager.test.ts): at most MAX_PENDING wait,
 * the rest are dropped and counted; at most `concurrency` targets at once;
 * one target's alerts in the order received. And the `alertmanager:` config.
 */
import { describe, expect, it } from 'vitest';
import { AlertIntake, MAX_PENDING } from '../../src/alertmanager/intake.js';
import { alertKey, targetMapper } from '../../src/alertmanager/mapping.js';
import { parsePayload } from '../../src/alertmanager/payload.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { Logger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { ExternalIncidents } from '../../src/monitor/external.js';
import { payload } from './helpers.js';

describe('the Alertmanager intake', () => {
  it('bounds what waits and what runs, counts drops, keeps each target in order', async () => {
    const targets = Array.from({ length: 10 }, (_, i) => ({ name: `t${i}`, url: `redis://10.0.0.${i + 1}:6379` }));
    const metrics = new Metrics();
    const log = new Logger('error', 'test', () => undefined);
    let running = 0;
    let most = 0;
    const seen = new Map<string, string[]>();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => { release = r; });
    const incidents = {
      fire: async (target: string, a: { key: string }) => {
        running += 1;
        most = Math.max(most, running);
        await gate;
        seen.set(target, [...(seen.get(target) ?? []), a.key]);
        running -= 1;
        return 'opened' as const;
      },
      end: async () => 'ended' as const,
    } as unknown as ExternalIncidents;
    const intake = new AlertIntake({ incidents, mapper: targetMapper({ targets } as never, undefined), metrics, log, concurrency: 3 });
    const alerts = Array.from({ length: MAX_PENDING + 500 }, (_, i) => ({ labels: { alertname: 'X', instance: `10.0.0.${(i % 10) + 1}:6379` }, fingerprint: `f${i}` }));
    const p = parsePayload(payload(alerts));
    if (!p.ok) throw new Error(p.error);
    const r = intake.accept(p.payload);
    expect(r).toEqual({ queued: MAX_PENDING, unknown: 0, dropped: 500 });
    expect(intake.size).toBe(MAX_PENDING);
    release();
    await intake.stop(20_000);
    expect(intake.size).toBe(0);
    expect(most).toBe(3);
    const text = await metrics.registry.metrics();
    expect(text).toContain('redis_doctor_alertmanager_alerts_total{outcome="dropped"} 500');
    expect(text).toContain(`redis_doctor_alertmanager_alerts_total{outcome="opened"} ${MAX_PENDING}`);
    // Each target's alerts in the order they came.
    const keysOf = (t: number) => p.payload.alerts.filter((_, i) => i % 10 === t && i < MAX_PENDING).map((a) => alertKey(a));
    for (let t = 0; t < 10; t++) expect(seen.get(`t${t}`)).toEqual(keysOf(t));
  });
});

describe('the alertmanager: config', () => {
  const targets = 'targets:\n  - { name: cache, url: "redis://10.0.0.5:6379" }\n';
  it('takes targetLabel and channel; needs a channel from somewhere', () => {
    expect(parseConfig(`${targets}alertmanager:\n  targetLabel: redis_doctor_target\n  channel: C0123ABCD\n`, 't.yaml').alertmanager).toEqual({ targetLabel: 'redis_doctor_target', channel: 'C0123ABCD' });
    expect(parseConfig(`${targets}alerts:\n  channel: C0123ABCD\nalertmanager: {}\n`, 't.yaml').alertmanager).toEqual({});
    expect(() => parseConfig(`${targets}alertmanager: {}\n`, 't.yaml')).toThrow(/alertmanager\.channel/);
    expect(() => parseConfig(`${targets}alertmanager:\n  targetLabel: "bad label"\n  channel: C0123ABCD\n`, 't.yaml')).toThrow(ConfigError);
  });
});
