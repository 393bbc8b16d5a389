import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/tls-certificate-rejected.js';
import type { Observations, TlsObservation } from '../../../src/engine/model/types.js';
import { healthy, session } from '../fixtures.js';

const CERT = {
  subject: 'CN=localhost',
  issuer: 'CN=redis-doctor lab CA',
  validFrom: 'Nov 25 02:23:03 2026 GMT',
  validTo: 'Nov 27 02:23:03 2026 GMT',
  subjectAltName: 'IP Address:127.0.0.1, DNS:localhost',
};

/** rediss://10.0.0.5:6380 whose handshake failed certificate verification (as probeTls records it). */
function rejected(code: string, message: string, serverCertificate = CERT): Observations {
  const obs = healthy();
  obs.target = { input: 'rediss://10.0.0.5:6380', host: '10.0.0.5', port: 6380, tls: true };
  obs.tcp = { ...obs.tcp!, port: 6380 };
  obs.tls = { ok: false, durationMs: 3, code, message, authorized: false, authorizationError: code, serverCertificate };
  delete obs.resp;
  delete obs.info;
  return obs;
}

/** tls-auth-clients yes under TLS 1.3: handshake done, session dropped, the alert probe heard alert 116. */
function clientCertRequired(): Observations {
  const obs = healthy();
  obs.target = { input: 'rediss://10.0.0.5:6380', host: '10.0.0.5', port: 6380, tls: true };
  obs.tls = { ok: true, durationMs: 4, protocol: 'TLSv1.3', authorized: true, alertAfterHandshake: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' };
  obs.resp = session([['PING', undefined]], { closedByServer: true, noReply: true, socketError: 'ECONNRESET' });
  delete obs.info;
  return obs;
}

const ids = (obs: Observations) => rule.evaluate(obs)?.remediations.map((r) => r.id);

describe('tls-certificate-rejected: the client does not trust the server certificate', () => {
  it('an unknown CA: quotes the code, the certificate, and offers --tls-ca / tlsCaPath', () => {
    const f = rule.evaluate(rejected('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'));
    expect(f?.cause).toBe('tls-certificate-rejected');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('The TLS certificate of 10.0.0.5:6380 is not signed by a CA the client trusts (SELF_SIGNED_CERT_IN_CHAIN)');
    expect(f?.evidence).toEqual([
      'TLS handshake with 10.0.0.5:6380 failed after 3 ms: SELF_SIGNED_CERT_IN_CHAIN (self-signed certificate in certificate chain)',
      'server certificate: subject CN=localhost; issuer CN=redis-doctor lab CA; valid Nov 25 02:23:03 2026 GMT to Nov 27 02:23:03 2026 GMT; names IP Address:127.0.0.1, DNS:localhost',
    ]);
    expect(f?.details).toEqual({ reason: 'untrusted-ca', code: 'SELF_SIGNED_CERT_IN_CHAIN', verificationSkipped: false });
    expect(f?.remediations.map((r) => r.id)).toEqual(['trust-server-ca', 'diagnose-tls-insecure']);
    const trust = f!.remediations[0]!;
    expect(trust.title).toBe('Verify 10.0.0.5:6380 against the CA that signed its certificate (CN=redis-doctor lab CA)');
    expect(trust.steps.join('\n')).toContain('redis-doctor: diagnose rediss://10.0.0.5:6380 --tls-ca /path/to/ca.crt, or tlsCaPath: /path/to/ca.crt');
    expect(trust.steps[0]).toBe('See who issued it: openssl s_client -connect 10.0.0.5:6380 -showcerts </dev/null 2>/dev/null | openssl x509 -noout -subject -issuer');
    const insecure = f!.remediations[1]!;
    expect(insecure.steps[0]).toMatch(/^redis-doctor diagnose rediss:\/\/10\.0\.0\.5:6380 --tls-insecure — a diagnostic step only/);
    expect(insecure.steps.join('\n')).toContain('would receive the password');
  });

  it('every code of the untrusted family, a self-signed leaf gets its own advice', () => {
    for (const [code, message] of [
      ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'],
      ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'],
      ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'],
    ] as const) {
      expect(rule.evaluate(rejected(code, message))?.details, code).toMatchObject({ reason: 'untrusted-ca', code });
    }
    const selfSigned = rule.evaluate(rejected('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', { ...CERT, issuer: 'CN=localhost' }));
    expect(selfSigned?.remediations[0]?.steps.join('\n')).toContain('The certificate is self-signed (its own issuer)');
    const chain = rule.evaluate(rejected('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'));
    expect(chain?.remediations[0]?.steps.join('\n')).not.toContain('The certificate is self-signed');
  });

  it('a host name the certificate does not list: fix the SAN or use a listed name', () => {
    const obs = rejected('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: Host: cache.example. is not in the cert's altnames: IP Address:127.0.0.1, DNS:localhost");
    obs.target = { ...obs.target, input: 'rediss://cache.example:6380', host: 'cache.example' };
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('The TLS certificate of cache.example:6380 (10.0.0.5) does not list the name cache.example (ERR_TLS_CERT_ALTNAME_INVALID)');
    expect(f?.evidence[0]).toContain("Host: cache.example. is not in the cert's altnames: IP Address:127.0.0.1, DNS:localhost");
    expect(f?.details).toMatchObject({ reason: 'name-mismatch' });
    expect(ids(obs)).toEqual(['fix-certificate-names', 'diagnose-tls-insecure']);
    const steps = f!.remediations[0]!.steps.join('\n');
    expect(steps).toContain('this one lists IP Address:127.0.0.1, DNS:localhost');
    expect(steps).toContain('subjectAltName including DNS:cache.example');
    expect(steps).toContain('-servername cache.example');
  });

  it('expired and not yet valid: renew, with the dates quoted', () => {
    const expired = rule.evaluate(rejected('CERT_HAS_EXPIRED', 'certificate has expired'));
    expect(expired?.title).toBe('The TLS certificate of 10.0.0.5:6380 has expired (Nov 27 02:23:03 2026 GMT)');
    expect(expired?.details).toMatchObject({ reason: 'expired', code: 'CERT_HAS_EXPIRED' });
    expect(expired?.remediations.map((r) => r.id)).toEqual(['renew-certificate', 'diagnose-tls-insecure']);
    expect(expired?.remediations[0]?.title).toBe('Renew the expired certificate of 10.0.0.5:6380 (expired Nov 27 02:23:03 2026 GMT)');
    const early = rule.evaluate(rejected('CERT_NOT_YET_VALID', 'certificate is not yet valid'));
    expect(early?.title).toBe('The TLS certificate of 10.0.0.5:6380 is not valid yet (from Nov 25 02:23:03 2026 GMT)');
    expect(early?.details).toMatchObject({ reason: 'not-yet-valid' });
    expect(early?.remediations[0]?.steps.join('\n')).toContain('makes a good certificate look not yet valid');
  });

  it('without a certificate seen, the code alone is the evidence', () => {
    const obs = rejected('CERT_HAS_EXPIRED', 'certificate has expired');
    delete obs.tls!.serverCertificate;
    const f = rule.evaluate(obs);
    expect(f?.evidence).toEqual(['TLS handshake with 10.0.0.5:6380 failed after 3 ms: CERT_HAS_EXPIRED (certificate has expired)']);
    expect(f?.title).toBe('The TLS certificate of 10.0.0.5:6380 has expired');
  });

  it('--tls-insecure: the session works, the rejected certificate is info only', () => {
    const obs = healthy();
    obs.target = { ...obs.target, tls: true };
    obs.tls = { ok: true, durationMs: 2, protocol: 'TLSv1.3', authorized: false, authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN', serverCertificate: CERT };
    const f = rule.evaluate(obs);
    expect(f?.severity).toBe('info');
    expect(f?.evidence[0]).toBe('TLS handshake with 10.0.0.5:6379 succeeded only because certificate verification was skipped (--tls-insecure): SELF_SIGNED_CERT_IN_CHAIN');
    expect(f?.details).toMatchObject({ verificationSkipped: true });
    expect(f?.remediations.map((r) => r.id)).toEqual(['trust-server-ca']);
  });
});

describe('tls-certificate-rejected: the server requires a client certificate', () => {
  it('the alert after the handshake names tls-auth-clients; fixes: a client certificate, or relax it (with the tradeoff)', () => {
    const f = rule.evaluate(clientCertRequired());
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('10.0.0.5:6380 requires a TLS client certificate (tls-auth-clients) and the client sent none');
    expect(f?.evidence).toEqual([
      'TLS handshake with 10.0.0.5:6380 completed (TLSv1.3), then the server dropped the session without answering PING (ECONNRESET)',
      'a second handshake that sent nothing received the alert ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: the server requires a client certificate and none was presented',
    ]);
    expect(f?.details).toEqual({ reason: 'client-certificate-required', code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    expect(f?.remediations.map((r) => r.id)).toEqual(['provide-client-certificate', 'relax-tls-auth-clients']);
    const [provide, relax] = f!.remediations;
    expect(provide?.steps[1]).toBe(
      'Issue a client certificate from that CA (extendedKeyUsage=clientAuth) and test: redis-cli -h 10.0.0.5 -p 6380 --tls --cacert ca.crt --cert client.crt --key client.key PING',
    );
    expect(provide?.steps.join('\n')).toContain('redis-doctor cannot present a client certificate yet');
    expect(relax?.risk).toBe('high');
    expect(relax?.mode).toBe('guided');
    expect(relax?.steps[0]).toMatch(/^Security tradeoff: .*the password or ACL users are the only gate/);
    expect(relax?.steps.join('\n')).toContain('CONFIG SET tls-auth-clients optional');
  });

  it('the alert during the handshake itself counts too', () => {
    const obs = clientCertRequired();
    obs.tls = { ok: false, durationMs: 5, code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: 'tlsv13 alert certificate required' };
    delete obs.resp;
    expect(rule.evaluate(obs)?.evidence).toEqual([
      'TLS handshake with 10.0.0.5:6380 failed after 5 ms: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED — the server requires a client certificate and none was presented',
    ]);
  });
});

describe('tls-certificate-rejected: does not fire', () => {
  it('on a verified session, a TLS handshake that failed for other reasons, a drop without an alert, or plaintext', () => {
    const verified = healthy();
    verified.target = { ...verified.target, tls: true };
    verified.tls = { ok: true, durationMs: 2, protocol: 'TLSv1.3', authorized: true };
    expect(rule.evaluate(verified)).toBeUndefined();
    const timeout = rejected('ETIMEDOUT', 'no TLS handshake answer within 2000 ms (no bytes)');
    delete timeout.tls!.authorizationError;
    expect(rule.evaluate(timeout)).toBeUndefined();
    const wrongVersion: TlsObservation = { ok: false, durationMs: 2, code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' };
    expect(rule.evaluate({ ...rejected('x', 'x'), tls: wrongVersion })).toBeUndefined();
    const quiet = clientCertRequired();
    delete quiet.tls!.alertAfterHandshake;
    expect(rule.evaluate(quiet)).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});
