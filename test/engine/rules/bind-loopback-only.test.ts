import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/bind-loopback-only.js';
import { refused } from '../fixtures.js';

describe('bind-loopback-only', () => {
  it('fires when the host address refused and loopback on the same port answers', () => {
    const obs = refused();
    obs.loopback = { address: '127.0.0.1', port: 6379, redis: true, reply: '+PONG', durationMs: 1 };
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('bind-loopback-only');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Redis listens on loopback only, not on 10.0.0.5');
    expect(f?.evidence).toEqual(['TCP connect to 10.0.0.5:6379 was refused (ECONNREFUSED)', 'on the same host, 127.0.0.1:6379 answers: +PONG']);
    expect(f?.remediations.map((r) => r.id)).toEqual(['bind-all-interfaces', 'set-requirepass', 'open-firewall-port']);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('bind 127.0.0.1 -::1 10.0.0.5');
  });

  it('does not fire when loopback is not Redis either, or the target is loopback', () => {
    const notRunning = refused();
    notRunning.loopback = { address: '127.0.0.1', port: 6379, redis: false, durationMs: 1 };
    expect(rule.evaluate(notRunning)).toBeUndefined();
    const local = refused();
    local.tcp = { ...local.tcp!, address: '127.0.0.1' };
    local.loopback = { address: '127.0.0.1', port: 6379, redis: true, reply: '+PONG', durationMs: 1 };
    expect(rule.evaluate(local)).toBeUndefined();
  });
});
