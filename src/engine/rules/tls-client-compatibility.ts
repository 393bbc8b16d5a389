/**
 * A TLS port this client got a session from, that older clients would not
 * (probes/tls-variants.ts: handshakes without SNI, and with TLS 1.2 at most):
 *   - no SNI: the handshake fails, or the server sends another certificate
 *     (a proxy or managed endpoint that picks its certificate by name) →
 *     likely: SNI was the only difference, but nothing names it;
 *   - TLS 1.2 at most: the server answers with a protocol_version alert (Redis
 *     `tls-protocols "TLSv1.3"`) → confirmed: the alert names it. Any other
 *     failure (a client certificate required, a reset) says nothing about
 *     versions and is not reported.
 * An info note: the diagnosing client works; the note says which clients
 * would not.
 */
import type { TlsObservation, TlsVariant } from '../model/types.js';
import { REMEDIATIONS, fixTarget } from '../remediations/index.js';
import { hostPort } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

// OpenSSL reasons for "no protocol in common": the server's protocol_version alert, or our own refusal.
const VERSION_REFUSED = /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE/;

function variant(tls: TlsObservation, kind: TlsVariant['kind']): TlsVariant | undefined {
  return tls.variants?.find((v) => v.kind === kind);
}

export const rule = defineRule({
  cause: 'tls-client-compatibility',
  impact: 'degrading',
  evaluate(obs) {
    const tls = obs.tls;
    if (!tls?.ok || !tls.variants?.length) return undefined;
    const where = hostPort(obs.target.host, obs.target.port);
    const noSni = variant(tls, 'no-sni');
    const sniFails = noSni !== undefined && noSni.code !== 'ABORTED' && (!noSni.ok || (noSni.fingerprint !== undefined && tls.fingerprint !== undefined && noSni.fingerprint !== tls.fingerprint));
    const tls12 = variant(tls, 'tls12');
    const only13 = tls12 !== undefined && !tls12.ok && VERSION_REFUSED.test(tls12.code ?? '');
    if (!sniFails && !only13) return undefined;
    const t = fixTarget(obs);
    const evidence = [`TLS handshake as this client made it (SNI ${obs.target.host}): ${tls.protocol ?? 'TLS'}, ok`];
    if (sniFails && noSni) {
      evidence.push(noSni.ok
        ? `the same handshake without SNI: ok, but a different certificate (${noSni.fingerprint?.slice(0, 23)}… instead of ${tls.fingerprint?.slice(0, 23)}…): clients without SNI get a certificate that may not name ${obs.target.host}`
        : `the same handshake without SNI: ${noSni.code} — clients that send no SNI (redis-cli before 6.2 or without --sni, any client given the IP address) fail`);
    }
    if (only13 && tls12) evidence.push(`a handshake with TLS 1.2 at most: ${tls12.code} — the server accepts TLS 1.3 only; clients on OpenSSL before 1.1.1, Java 8 before 8u261 or older .NET fail`);
    const title = sniFails && only13
      ? `${where} needs SNI and TLS 1.3: older clients cannot connect`
      : sniFails ? `${where} needs SNI: clients that do not send it ${noSni?.ok ? 'get another certificate' : 'cannot connect'}` : `${where} accepts TLS 1.3 only: TLS 1.2 clients cannot connect`;
    return {
      severity: 'info',
      confidence: only13 ? 'confirmed' : 'likely',
      title,
      evidence,
      remediations: [...(sniFails ? [REMEDIATIONS['send-sni'](t)] : []), ...(only13 ? [REMEDIATIONS['allow-tls12-clients'](t)] : [])],
      details: { needsSni: sniFails, tls13Only: only13 },
    };
  },
});
