import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/tls-client-compatibility.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { Observations, TlsVariant } from '../../../src/engine/model/types.js';
import { healthy } from '../fixtures.js';

const FP = 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99';

function overTls(variants: TlsVariant[]): Observations {
  const obs = healthy();
  obs.target = { input: 'rediss://cache.example:6380', host: 'cache.example', port: 6380, tls: true };
  obs.tls = { ok: true, durationMs: 3, protocol: 'TLSv1.3', authorized: true, fingerprint: FP, variants };
  return obs;
}

describe('tls-client-compatibility', () => {
  it('TLS 1.2 refused with a protocol_version alert → info, confirmed; the verdict stays healthy', () => {
    const obs = overTls([{ kind: 'tls12', ok: false, code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', durationMs: 2 }]);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'info', confidence: 'confirmed', details: { needsSni: false, tls13Only: true } });
    expect(f?.title).toBe('cache.example:6380 accepts TLS 1.3 only: TLS 1.2 clients cannot connect');
    expect(f?.remediations.map((r) => r.id)).toEqual(['allow-tls12-clients']);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('tls-protocols "TLSv1.2 TLSv1.3"');
    expect(evaluate(obs)).toMatchObject({ verdict: 'healthy', primaryCause: null });
  });

  it('no SNI → handshake failure, or another certificate → likely', () => {
    const failed = rule.evaluate(overTls([{ kind: 'no-sni', ok: false, code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', durationMs: 2 }]));
    expect(failed).toMatchObject({ confidence: 'likely', details: { needsSni: true } });
    expect(failed?.title).toBe('cache.example:6380 needs SNI: clients that do not send it cannot connect');
    expect(failed?.remediations[0]?.steps[0]).toContain('--sni cache.example');
    const other = rule.evaluate(overTls([{ kind: 'no-sni', ok: true, protocol: 'TLSv1.3', fingerprint: `11${FP.slice(2)}`, durationMs: 2 }]));
    expect(other?.title).toBe('cache.example:6380 needs SNI: clients that do not send it get another certificate');
    const both = rule.evaluate(overTls([
      { kind: 'no-sni', ok: false, code: 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME', durationMs: 2 },
      { kind: 'tls12', ok: false, code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', durationMs: 2 },
    ]));
    expect(both?.title).toBe('cache.example:6380 needs SNI and TLS 1.3: older clients cannot connect');
    expect(both?.remediations.map((r) => r.id)).toEqual(['send-sni', 'allow-tls12-clients']);
  });

  it('does not fire when the variants pass, fail for another reason, were aborted, or did not run', () => {
    expect(rule.evaluate(overTls([{ kind: 'no-sni', ok: true, fingerprint: FP, durationMs: 1 }, { kind: 'tls12', ok: true, protocol: 'TLSv1.2', durationMs: 1 }]))).toBeUndefined();
    // A client certificate required (tls-auth-clients yes) says nothing about versions.
    expect(rule.evaluate(overTls([{ kind: 'tls12', ok: false, code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', durationMs: 1 }]))).toBeUndefined();
    expect(rule.evaluate(overTls([{ kind: 'no-sni', ok: false, code: 'ABORTED', durationMs: 1 }]))).toBeUndefined();
    expect(rule.evaluate(overTls([]))).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});
