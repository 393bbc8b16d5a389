import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { rule } from '../../../src/engine/rules/remote-check-failed.js';
import type { RemoteObservation } from '../../../src/engine/remote/types.js';
import { healthy, refused } from '../fixtures.js';
import { listener, refusedWith, remote } from './remote-fixtures.js';

function failed(reason: NonNullable<RemoteObservation['session']['failureReason']>, message: string): RemoteObservation {
  return {
    session: { ok: false, failureReason: reason, message, host: 'cache-1', port: 22, user: 'doctor', durationMs: 12, authAttempted: false, ...(reason === 'host-key-mismatch' ? { hostKey: { status: 'mismatch' as const, type: 'ssh-ed25519', fingerprint: 'SHA256:Zm9v', line: 3 } } : {}) },
    commands: [],
  };
}

describe('remote-check-failed', () => {
  it('a host key mismatch is a warning with details.reason, and never hides the network cause', () => {
    const obs = refused();
    obs.remote = failed('host-key-mismatch', 'ssh-ed25519 key SHA256:Zm9v does not match known_hosts (line 3 lists another key for this host)');
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'remote-check-failed', severity: 'warning', details: { reason: 'host-key-mismatch', host: 'cache-1', port: 22, hostKey: 'mismatch' } });
    expect(f?.evidence).toEqual([
      'ssh doctor@cache-1:22: ssh-ed25519 key SHA256:Zm9v does not match known_hosts (line 3 lists another key for this host)',
      'the host key was refused during key exchange: no credentials were offered and no command ran',
    ]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['verify-ssh-host-key']);
    const e = evaluate(obs);
    expect(e.primaryCause).toBe('connection-refused');
    expect(e.findings.map((x) => x.cause)).toEqual(['connection-refused', 'remote-check-failed']);
  });

  it('with a healthy Redis, a host key mismatch still needs a look (degraded); other reasons are info only', () => {
    const obs = healthy();
    obs.remote = failed('host-key-mismatch', 'mismatch');
    expect(evaluate(obs)).toMatchObject({ verdict: 'degraded', primaryCause: 'remote-check-failed' });
    for (const reason of ['auth-failed', 'unreachable', 'timeout'] as const) {
      obs.remote = failed(reason, 'All configured authentication methods failed');
      const f = rule.evaluate(obs);
      expect(f).toMatchObject({ severity: 'info', details: { reason } });
      expect(f?.remediations.map((r) => r.id)).toEqual(['fix-ssh-access']);
      expect(evaluate(obs)).toMatchObject({ verdict: 'healthy', primaryCause: null });
    }
  });

  it('does not fire when the session ran or was not asked for', () => {
    const obs = healthy();
    expect(rule.evaluate(obs)).toBeUndefined();
    obs.remote = { session: { ok: true, host: 'cache-1', port: 22, durationMs: 3 }, commands: [] };
    expect(rule.evaluate(obs)).toBeUndefined();
  });

  it('the SSH phase bound cut the checks short: reason timeout, naming what did not answer; what answered still decides', () => {
    const r = remote({ listeners: [listener('0.0.0.0', 22, 'sshd', 640)] });
    r.commands = r.commands.map((c) => (c.id === 'iptables' ? { ...c, status: 'timeout', detail: 'no answer within 10000 ms (the SSH phase bound)' } : c));
    r.commands.push({ id: 'kubectl', status: 'timeout', durationMs: 9000, detail: 'no answer within 10000 ms (the SSH phase bound)' });
    r.cutOff = { boundMs: 10000, unanswered: ['kubectl', 'iptables'] };
    const obs = refusedWith(r);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({
      cause: 'remote-check-failed',
      severity: 'info',
      title: 'Remote checks on cache-1 cut short: no answer within 10000 ms from: kubectl, iptables',
      details: { reason: 'timeout', host: 'cache-1', port: 22, boundMs: 10000, unanswered: 'kubectl, iptables' },
    });
    expect(f?.evidence[0]).toBe('ssh doctor@cache-1:22: no answer within 10000 ms (the SSH phase bound) from: kubectl, iptables');
    expect(f?.evidence[1]).toMatch(/^8 other checks answered and count; .*--ssh-timeout/);
    // ss answered: nothing listens on 6379 and no redis-server anywhere.
    expect(evaluate(obs)).toMatchObject({ primaryCause: 'server-not-running' });
    expect(evaluate(obs).findings.map((x) => x.cause)).toEqual(['server-not-running', 'remote-check-failed']);
    delete r.cutOff;
    expect(rule.evaluate(obs)).toBeUndefined();
  });
});
