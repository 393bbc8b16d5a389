import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/host-unreachable.js';
import { healthy, refused } from '../fixtures.js';

describe('host-unreachable', () => {
  it('fires on EHOSTUNREACH and explains the ICMP answer', () => {
    const obs = refused();
    obs.tcp = { ok: false, address: '10.0.0.5', port: 6379, code: 'EHOSTUNREACH', message: 'connect EHOSTUNREACH 10.0.0.5:6379', durationMs: 3 };
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('host-unreachable');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('10.0.0.5:6379 is unreachable from here (EHOSTUNREACH)');
    expect(f?.evidence[0]).toContain('EHOSTUNREACH — ICMP host unreachable or administratively prohibited');
    expect(f?.remediations.map((r) => r.id)).toEqual(['check-network-path', 'open-firewall-port']);
  });

  it('fires on ENETUNREACH', () => {
    const obs = refused();
    obs.tcp = { ...obs.tcp!, code: 'ENETUNREACH' };
    expect(rule.evaluate(obs)?.evidence[0]).toContain('no route to that network');
  });

  it('does not fire on refused, timed out or healthy connections', () => {
    expect(rule.evaluate(refused())).toBeUndefined();
    const timeout = refused();
    timeout.tcp = { ...timeout.tcp!, code: 'ETIMEDOUT' };
    expect(rule.evaluate(timeout)).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});
