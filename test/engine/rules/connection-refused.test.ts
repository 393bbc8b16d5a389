import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/connection-refused.js';
import { healthy, refused, session } from '../fixtures.js';

describe('connection-refused', () => {
  it('fires on ECONNREFUSED with the address and code as evidence', () => {
    const obs = refused();
    obs.neighbours = { scanned: [6378, 6380, 6381], found: [], durationMs: 4, truncated: false };
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('connection-refused');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence[0]).toBe('TCP connect to 10.0.0.5:6379 was refused: ECONNREFUSED after 1 ms (the host answered with a reset)');
    expect(f?.evidence[1]).toBe('no Redis answered on the neighbouring ports 6378, 6380, 6381');
    expect(f?.remediations.map((r) => r.id)).toEqual(['start-redis', 'bind-all-interfaces', 'open-firewall-port', 'use-correct-port']);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('sudo systemctl status redis-server');
  });

  it('offers no bind/firewall fixes to a client on the same host', () => {
    const obs = refused();
    obs.client.remote = false;
    expect(rule.evaluate(obs)?.remediations.map((r) => r.id)).toEqual(['start-redis', 'use-correct-port']);
  });

  it('fires when the port accepts and closes without a byte', () => {
    const obs = healthy();
    obs.resp = session([['PING', undefined]], { closedByServer: true, noReply: true, socketError: 'ECONNRESET' });
    delete obs.info;
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('10.0.0.5:6379 accepts connections but closes them at once');
    expect(f?.evidence[0]).toContain('closed the connection without a byte (ECONNRESET)');
  });

  it('does not call a TLS session dropped after the handshake a refusal (client certificate required)', () => {
    const obs = healthy();
    obs.target.tls = true;
    obs.tls = { ok: true, durationMs: 4, protocol: 'TLSv1.3', authorized: true };
    obs.resp = session([['PING', undefined]], { closedByServer: true, noReply: true, socketError: 'ECONNRESET' });
    delete obs.info;
    expect(rule.evaluate(obs)).toBeUndefined();
  });

  it('does not fire on a working session or a timeout', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
    const obs = refused();
    obs.tcp = { ...obs.tcp!, code: 'ETIMEDOUT' };
    expect(rule.evaluate(obs)).toBeUndefined();
  });
});
