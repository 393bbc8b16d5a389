import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/idle-connections-closed.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { healthy } from '../fixtures.js';

function withConfig(config: Record<string, string>) {
  const obs = healthy();
  obs.config = config;
  return obs;
}

describe('idle-connections-closed', () => {
  it('timeout 3 (a few seconds): warning, likely, the value and tcp-keepalive quoted, pool settings below it', () => {
    const obs = withConfig({ timeout: '3', 'tcp-keepalive': '300' });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'idle-connections-closed', severity: 'warning', confidence: 'likely', details: { timeout: 3, tcpKeepalive: 300, source: 'config' } });
    expect(f?.evidence[0]).toBe('CONFIG GET timeout → 3 (seconds a client may stay idle; 0, the default, means never)');
    expect(f?.evidence[1]).toMatch(/^CONFIG GET tcp-keepalive → 300 /);
    expect(f?.remediations.map((r) => r.id)).toEqual(['keep-idle-connections-alive', 'disable-idle-timeout']);
    const steps = f!.remediations[0]!.steps.join('\n');
    expect(steps).toContain('below 3 s');
    expect(steps).toContain('pingInterval: 1000');
    expect(steps).toContain('health_check_interval=1');
    expect(steps).toContain('setTestWhileIdle(true)');
    expect(steps).toContain('ConnMaxIdleTime: 1 * time.Second');
    expect(f?.remediations[1]?.redisCommand).toEqual(['CONFIG', 'SET', 'timeout', '0']);
    expect(evaluate(obs)).toMatchObject({ verdict: 'degraded', primaryCause: 'idle-connections-closed' });
  });

  it('timeout 600: info, possible — the server closes, whether it hurts depends on the pool; the verdict stays healthy', () => {
    const obs = withConfig({ timeout: '600', 'tcp-keepalive': '0' });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'info', confidence: 'possible', details: { timeout: 600, tcpKeepalive: 0 } });
    expect(f?.evidence[1]).toMatch(/no TCP keepalive from the server/);
    expect(evaluate(obs).verdict).toBe('healthy');
  });

  it('does not fire on timeout 0 (the default), on CONFIG refused (no value), or on a value that is not a number', () => {
    expect(rule.evaluate(withConfig({ timeout: '0', 'tcp-keepalive': '300' }))).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
    expect(rule.evaluate(withConfig({ timeout: '3 s' }))).toBeUndefined();
    expect(rule.evaluate(withConfig({ timeout: '99999999999' }))).toBeUndefined();
  });
});

describe('idle-connections-closed from the monitor\'s idle watch', () => {
  it('timeout 0 and a held connection reset after 350 s: the path reaps it — warning, likely', () => {
    const obs = withConfig({ timeout: '0', 'tcp-keepalive': '300' });
    obs.history = { idleClosed: { how: 'reset', idleSeconds: 350.2, at: '2026-12-06T22:00:00.000Z' } };
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'warning', confidence: 'likely', details: { idleSeconds: 350, how: 'reset', source: 'idle-watch', timeout: 0 } });
    expect(f?.evidence[0]).toBe('a connection idle 350 s was closed by the path: it was reset (RST) (monitor idle watch, 2026-12-06T22:00:00.000Z)');
    expect(f?.evidence[1]).toMatch(/never closes idle clients: a NAT, load balancer or firewall state timeout did/);
    expect(f?.remediations.map((r) => r.id)).toEqual(['keep-idle-connections-alive']);
  });

  it('timeout 3 and a held connection closed after 3 s: the server did it', () => {
    const obs = withConfig({ timeout: '3' });
    obs.history = { idleClosed: { how: 'closed', idleSeconds: 3.4, at: '2026-12-06T22:00:00.000Z' } };
    const f = rule.evaluate(obs);
    expect(f?.evidence[0]).toMatch(/^a connection idle 3 s was closed by the server/);
    expect(f?.remediations.map((r) => r.id)).toEqual(['keep-idle-connections-alive', 'disable-idle-timeout']);
  });

  it('a silent drop is told as such; without a record and with timeout 0 nothing fires', () => {
    const obs = withConfig({ timeout: '0' });
    obs.history = { idleClosed: { how: 'silent', idleSeconds: 900, at: '2026-12-06T22:00:00.000Z' } };
    expect(rule.evaluate(obs)?.title).toMatch(/went silent$/);
    obs.history = {};
    expect(rule.evaluate(obs)).toBeUndefined();
  });
});
