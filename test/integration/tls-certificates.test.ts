/**
 * A real redis-server --tls-port whose certificate one side rejects: the
 * client lacks the CA, the certificate names another host, or the server
 * wants a client certificate (tls-auth-clients yes, the Redis default).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { createTlsMaterial, type TlsMaterial } from '../lab/tls.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';

describeLab('TLS certificate rejected', [need.binary('redis-server'), need.binary('openssl')], () => {
  let material: TlsMaterial;
  let otherNames: TlsMaterial;
  let tlsRedis: RedisServer;
  let mtlsRedis: RedisServer;
  let misnamedRedis: RedisServer;

  beforeAll(async () => {
    [material, otherNames] = await Promise.all([createTlsMaterial(), createTlsMaterial({ ips: ['198.18.0.1'], dns: ['cache.example'] })]);
    [tlsRedis, mtlsRedis, misnamedRedis] = await Promise.all([
      startRedis({ tls: material }),
      startRedis({ tls: material, args: ['--tls-auth-clients', 'yes'] }),
      startRedis({ tls: otherNames }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([tlsRedis?.stop(), mtlsRedis?.stop(), misnamedRedis?.stop()]);
    await Promise.all([material?.remove(), otherNames?.remove()]);
  });

  it('no --tls-ca: the lab CA is unknown → tls-certificate-rejected, quoting the code and the certificate', async () => {
    const d = await diagnose(targetOf(tlsRedis.host, tlsRedis.port, true), { timeoutMs: 1000, credentials: { password: 'never-sent-unverified' } });
    expectDiagnosis(d, { primaryCause: 'tls-certificate-rejected', verdict: 'unreachable', evidence: /failed after \d+ ms: SELF_SIGNED_CERT_IN_CHAIN/ });
    const f = d.findings[0]!;
    expect(f.details).toEqual({ reason: 'untrusted-ca', code: 'SELF_SIGNED_CERT_IN_CHAIN', verificationSkipped: false });
    expect(f.evidence[1]).toMatch(/^server certificate: subject CN=localhost; issuer CN=redis-doctor lab CA; valid .+ GMT to .+ GMT; names IP Address:127\.0\.0\.1, DNS:localhost$/);
    expect(f.remediations.map((r) => r.id)).toEqual(['trust-server-ca', 'diagnose-tls-insecure']);
    expect(d.findings).toHaveLength(1);
    // The certificate failed, so nothing went further: no RESP session, no plaintext PING.
    expect(d.checks.map((c) => c.id)).toEqual(['dns', 'tcp-connect', 'tls-handshake']);
  });

  it('with the CA, the same server is healthy (the rule does not fire on a verified certificate)', async () => {
    const d = await diagnose(targetOf(tlsRedis.host, tlsRedis.port, true), { timeoutMs: 1000, tls: { ca: material.ca } });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(d.findings.map((f) => f.cause)).not.toContain('tls-certificate-rejected');
  });

  it('--tls-insecure: the server answers, the untrusted certificate stays as an info finding', async () => {
    const d = await diagnose(targetOf(tlsRedis.host, tlsRedis.port, true), { timeoutMs: 1000, tls: { insecure: true } });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(d.findings.map((f) => [f.cause, f.severity])).toEqual([['tls-certificate-rejected', 'info']]);
  });

  it('a certificate for other names → tls-certificate-rejected (name-mismatch)', async () => {
    const d = await diagnose(targetOf(misnamedRedis.host, misnamedRedis.port, true), { timeoutMs: 1000, tls: { ca: otherNames.ca } });
    expectDiagnosis(d, { primaryCause: 'tls-certificate-rejected', verdict: 'unreachable', evidence: /ERR_TLS_CERT_ALTNAME_INVALID \(.*IP: 127\.0\.0\.1 is not in the cert's list: 198\.18\.0\.1\)/ });
    expect(d.findings[0]?.details?.reason).toBe('name-mismatch');
    expect(d.findings[0]?.evidence[1]).toContain('names IP Address:198.18.0.1, DNS:cache.example');
  });

  it('tls-auth-clients yes and no client certificate → tls-certificate-rejected (client certificate required)', async () => {
    const d = await diagnose(targetOf(mtlsRedis.host, mtlsRedis.port, true), { timeoutMs: 1000, tls: { ca: material.ca } });
    expectDiagnosis(d, { primaryCause: 'tls-certificate-rejected', verdict: 'unreachable', evidence: /received the alert ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED/ });
    expect(d.findings[0]?.details).toEqual({ reason: 'client-certificate-required', code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    expect(d.findings[0]?.remediations.map((r) => r.id)).toEqual(['provide-client-certificate', 'relax-tls-auth-clients']);
    expect(d.findings).toHaveLength(1);
  });
});
