/**
 * A certificate was refused, so no Redis session exists:
 *  - the client did not trust the server's certificate: OpenSSL/Node verify
 *    codes for an unknown issuer (redis-server sends its CA along with the
 *    leaf, so an unknown private CA shows as SELF_SIGNED_CERT_IN_CHAIN), a
 *    name the certificate does not list, or a date outside its validity;
 *  - the server wants a client certificate: Redis's default `tls-auth-clients
 *    yes`. Under TLS 1.3 the client's handshake completes first, then the
 *    server sends alert 116 "certificate required" and closes; the tls-alert
 *    probe records it (obs.tls.alertAfterHandshake).
 * With --tls-insecure the client skips verification and the session works:
 * the verify code is then reported as info (clients that verify would fail).
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { CertificateSummary, FindingDraft, Observations, Severity, TlsObservation } from '../model/types.js';
import { clip, ms, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

type Reason = 'untrusted-ca' | 'name-mismatch' | 'expired' | 'not-yet-valid' | 'client-certificate-required';

const VERIFY_CODES: Record<string, Exclude<Reason, 'client-certificate-required'>> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted-ca',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted-ca',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted-ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted-ca',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted-ca',
  CERT_UNTRUSTED: 'untrusted-ca',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name-mismatch',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
};

/** Node names TLS 1.3 alert 116 ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED. */
const CERTIFICATE_REQUIRED = /ALERT_CERTIFICATE_REQUIRED$/;

function certificateLine(c: CertificateSummary | undefined): string | undefined {
  if (!c) return undefined;
  const parts: string[] = [];
  if (c.subject) parts.push(`subject ${c.subject}`);
  if (c.issuer) parts.push(`issuer ${c.issuer}`);
  if (c.validFrom || c.validTo) parts.push(`valid ${c.validFrom ?? '?'} to ${c.validTo ?? '?'}`);
  if (c.subjectAltName) parts.push(`names ${c.subjectAltName}`);
  return parts.length > 0 ? clip(`server certificate: ${parts.join('; ')}`, 300) : undefined;
}

function clientCertificateRequired(obs: Observations, tls: TlsObservation): FindingDraft | undefined {
  const alert = [tls.alertAfterHandshake, tls.code].find((c) => c !== undefined && CERTIFICATE_REQUIRED.test(c));
  if (!alert) return undefined;
  const label = targetLabel(obs);
  const evidence: string[] = [];
  if (tls.ok) {
    const dropped = obs.resp?.socketError ? ` (${obs.resp.socketError})` : '';
    evidence.push(`TLS handshake with ${label} completed${tls.protocol ? ` (${tls.protocol})` : ''}, then the server dropped the session without answering PING${dropped}`);
    evidence.push(`a second handshake that sent nothing received the alert ${alert}: the server requires a client certificate and none was presented`);
  } else {
    evidence.push(`TLS handshake with ${label} failed after ${ms(tls.durationMs)}: ${alert} — the server requires a client certificate and none was presented`);
  }
  const t = fixTarget(obs);
  return {
    severity: 'critical',
    confidence: 'confirmed',
    title: `${label} requires a TLS client certificate (tls-auth-clients) and the client sent none`,
    evidence,
    remediations: [REMEDIATIONS['provide-client-certificate'](t), REMEDIATIONS['relax-tls-auth-clients'](t)],
    details: { reason: 'client-certificate-required', code: alert },
  };
}

function title(reason: Reason, label: string, code: string, c: CertificateSummary | undefined, host: string): string {
  switch (reason) {
    case 'untrusted-ca':
      return `The TLS certificate of ${label} is not signed by a CA the client trusts (${code})`;
    case 'name-mismatch':
      return `The TLS certificate of ${label} does not list the name ${host} (${code})`;
    case 'expired':
      return `The TLS certificate of ${label} has expired${c?.validTo ? ` (${c.validTo})` : ''}`;
    case 'not-yet-valid':
      return `The TLS certificate of ${label} is not valid yet${c?.validFrom ? ` (from ${c.validFrom})` : ''}`;
    default:
      return `The TLS certificate of ${label} was rejected (${code})`;
  }
}

function serverCertificateRejected(obs: Observations, tls: TlsObservation): FindingDraft | undefined {
  const code = tls.authorizationError ?? (tls.ok ? undefined : tls.code);
  const reason = code === undefined ? undefined : VERIFY_CODES[code];
  if (code === undefined || reason === undefined) return undefined;
  // ok with a verify code: only --tls-insecure lets a handshake through an unverified certificate.
  const skipped = tls.ok;
  const label = targetLabel(obs);
  const c = tls.serverCertificate;
  const evidence = [
    skipped
      ? `TLS handshake with ${label} succeeded only because certificate verification was skipped (--tls-insecure): ${code}`
      : `TLS handshake with ${label} failed after ${ms(tls.durationMs)}: ${code}${tls.message ? ` (${clip(tls.message, 200)})` : ''}`,
  ];
  const cert = certificateLine(c);
  if (cert) evidence.push(cert);
  const t = fixTarget(obs);
  const fix =
    reason === 'untrusted-ca'
      ? REMEDIATIONS['trust-server-ca'](t, { ...(c?.issuer ? { issuer: c.issuer } : {}), selfSigned: code === 'DEPTH_ZERO_SELF_SIGNED_CERT' })
      : reason === 'name-mismatch'
        ? REMEDIATIONS['fix-certificate-names'](t, c?.subjectAltName ? { subjectAltName: c.subjectAltName } : {})
        : REMEDIATIONS['renew-certificate'](t, {
            notYetValid: reason === 'not-yet-valid',
            ...(c?.validFrom ? { validFrom: c.validFrom } : {}),
            ...(c?.validTo ? { validTo: c.validTo } : {}),
          });
  const severity: Severity = skipped ? 'info' : 'critical';
  return {
    severity,
    confidence: 'confirmed',
    title: skipped ? `${title(reason, label, code, c, obs.target.host)}; verification was skipped` : title(reason, label, code, c, obs.target.host),
    evidence,
    remediations: skipped ? [fix] : [fix, REMEDIATIONS['diagnose-tls-insecure'](t)],
    details: { reason, code, verificationSkipped: skipped },
  };
}

export const rule = defineRule({
  cause: 'tls-certificate-rejected',
  impact: 'unusable',
  evaluate(obs) {
    const tls = obs.tls;
    if (!obs.target.tls || !tls) return undefined;
    return clientCertificateRequired(obs, tls) ?? serverCertificateRejected(obs, tls);
  },
});
