import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/connection-timeout.js';
import { healthy, refused, session } from '../fixtures.js';

describe('connection-timeout', () => {
  it('fires when the TCP connect got no answer within the bound', () => {
    const obs = refused();
    obs.tcp = { ok: false, address: '10.0.0.5', port: 6379, code: 'ETIMEDOUT', message: 'no answer within 2000 ms', durationMs: 2001 };
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('connection-timeout');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence[0]).toBe('TCP connect to 10.0.0.5:6379 got no answer within 2001 ms (ETIMEDOUT; bound 2000 ms): SYNs are dropped on the way or by the host');
    expect(f?.remediations.map((r) => r.id)).toEqual(['check-network-path', 'open-firewall-port']);
    expect(f?.details).toEqual({ stage: 'tcp', timeoutMs: 2000 });
  });

  it('fires when TCP was accepted but PING got no byte back', () => {
    const obs = healthy();
    obs.resp = session([['PING', undefined]], { timedOut: true, noReply: true });
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('10.0.0.5:6379 accepted the connection but never answered PING');
    expect(f?.remediations.map((r) => r.id)).toEqual(['check-server-responsiveness', 'identify-listener']);
  });

  it('fires when a TLS handshake got no answer', () => {
    const obs = healthy();
    obs.target.tls = true;
    obs.tls = { ok: false, durationMs: 2000, code: 'ETIMEDOUT', message: 'no TLS handshake answer within 2000 ms (no bytes)' };
    delete obs.resp;
    const f = rule.evaluate(obs);
    expect(f?.details?.['stage']).toBe('tls');
    expect(f?.remediations[0]?.id).toBe('use-plaintext');
  });

  it('does not fire on refused or healthy connections', () => {
    expect(rule.evaluate(refused())).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});
