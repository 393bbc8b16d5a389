/**
 * Fixes for a TLS certificate one side rejects: the client does not trust the
 * server's certificate (unknown CA, wrong name, out of its validity dates),
 * or the server wants a client certificate (Redis `tls-auth-clients yes`, the
 * default: "clients are required to authenticate with a valid certificate").
 * Redis 7 reloads its TLS material when a tls-* setting is set with CONFIG SET;
 * a changed file at the same path needs that CONFIG SET or a restart.
 */
import net from 'node:net';
import { hostPort } from '../shared/address.js';
import type { Remediation } from '../model/types.js';
import { inertText } from '../shared/shell-words.js';
import { cli, type FixTarget, keepSetting, RERUN, rerun, shellWord, url } from './fix-target.js';

function endpoint(t: FixTarget): string {
  return hostPort(t.host, t.port);
}

/** Prints the certificate the server presents: names, issuer and dates. */
function showCertificate(t: FixTarget, fields: string): string {
  const sni = net.isIP(t.host) ? '' : ` -servername ${shellWord(t.host)}`;
  return `openssl s_client -connect ${endpoint(t)}${sni} -showcerts </dev/null 2>/dev/null | openssl x509 -noout ${fields}`;
}

const TLS_CONF = "grep -nE '^\\s*tls-' /etc/redis/redis.conf";
const RELOAD =
  'Load it: redis-cli CONFIG SET tls-cert-file <file> (and tls-key-file) makes Redis reload its TLS files, CONFIG REWRITE keeps the setting; or sudo systemctl restart redis-server.';

export const certificateFixes = {
  'trust-server-ca': (t: FixTarget, p: { issuer?: string; selfSigned?: boolean } = {}): Remediation => ({
    id: 'trust-server-ca',
    title: `Verify ${endpoint(t)} against the CA that signed its certificate${p.issuer ? ` (${inertText(p.issuer, 'the issuer in the evidence')})` : ''}`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `See who issued it: ${showCertificate(t, '-subject -issuer')}`,
      `On ${t.host}, find the files Redis uses: ${TLS_CONF} — tls-cert-file is the server certificate; its CA is often the tls-ca-cert-file (or your organisation's CA bundle).`,
      ...(p.selfSigned ? ['The certificate is self-signed (its own issuer): give clients that certificate itself as the CA file, or better, reissue it from a CA.'] : []),
      `redis-doctor: diagnose ${url({ ...t, tls: true }, { auth: false })} --tls-ca /path/to/ca.crt, or tlsCaPath: /path/to/ca.crt for a target in the config file.`,
      `Clients: redis-cli --tls --cacert /path/to/ca.crt; ioredis tls: { ca: fs.readFileSync('/path/to/ca.crt') }; redis-py ssl_ca_certs='/path/to/ca.crt'; or add the CA to the system trust store (update-ca-certificates).`,
    ],
    verify: `${RERUN} (redis-doctor diagnose ${url({ ...t, tls: true }, { auth: false })} --tls-ca /path/to/ca.crt): the TLS handshake reports "certificate verified".`,
  }),

  'fix-certificate-names': (t: FixTarget, p: { subjectAltName?: string } = {}): Remediation => {
    const san = net.isIP(t.host) ? `IP:${t.host}` : `DNS:${t.host}`;
    return {
      id: 'fix-certificate-names',
      title: `Make the certificate of ${endpoint(t)} name ${t.host}, or connect by a name it lists`,
      risk: 'medium',
      mode: 'guided',
      steps: [
        `Clients check the subjectAltName, not the CN${p.subjectAltName ? `; this one lists ${inertText(p.subjectAltName, 'the names quoted in the evidence', 1000)}` : ''}. Read it: ${showCertificate(t, '-ext subjectAltName')}`,
        `Quick fix: connect by a name the certificate lists (rediss://<name-in-certificate>:${t.port}), provided it resolves to this server.`,
        `Lasting fix: reissue the server certificate from the same CA with subjectAltName including ${san} (openssl x509 -req … -extfile with subjectAltName=${san},<the other names>), install it as tls-cert-file/tls-key-file on ${t.host}.`,
        RELOAD,
      ],
      verify: rerun({ ...t, tls: true }, 'the TLS handshake reports "certificate verified".'),
    };
  },

  'renew-certificate': (t: FixTarget, p: { notYetValid?: boolean; validFrom?: string; validTo?: string } = {}): Remediation => ({
    id: 'renew-certificate',
    title: p.notYetValid
      ? `Fix the validity dates of the certificate of ${endpoint(t)}${p.validFrom ? ` (not valid before ${inertText(p.validFrom, 'the date in the evidence')})` : ''}`
      : `Renew the expired certificate of ${endpoint(t)}${p.validTo ? ` (expired ${inertText(p.validTo, 'see the evidence')})` : ''}`,
    risk: 'medium',
    mode: 'guided',
    steps: [
      `Read the dates: ${showCertificate(t, '-subject -dates')} (notBefore / notAfter).`,
      `Compare clocks: date -u here and on ${t.host} (timedatectl; sudo timedatectl set-ntp true) — a clock off by days makes a good certificate look ${p.notYetValid ? 'not yet valid' : 'expired'}.`,
      `Issue a new certificate from the same CA with the same subjectAltName and install it as tls-cert-file/tls-key-file on ${t.host} (an expired CA in tls-ca-cert-file or the clients' CA bundle needs renewing too).`,
      RELOAD,
      'Automate renewal and alert before notAfter (cert-manager, certbot, step-ca, your PKI).',
    ],
    verify: rerun({ ...t, tls: true }, 'the TLS handshake reports "certificate verified".'),
  }),

  'provide-client-certificate': (t: FixTarget): Remediation => {
    const withCert = `${cli({ ...t, tls: true })} --cacert ca.crt --cert client.crt --key client.key`;
    return {
      id: 'provide-client-certificate',
      title: `Give the client a certificate signed by the CA ${endpoint(t)} trusts`,
      risk: 'low',
      mode: 'guided',
      steps: [
        `With tls-auth-clients yes (the Redis default) every TLS client must present a certificate signed by tls-ca-cert-file (or tls-ca-cert-dir). On ${t.host}: ${TLS_CONF}`,
        `Issue a client certificate from that CA (extendedKeyUsage=clientAuth) and test: ${withCert} PING`,
        "Configure the application with it: ioredis tls: { ca, cert, key }; redis-py ssl_certfile=…, ssl_keyfile=…, ssl_ca_certs=…; Jedis/Lettuce: a key store holding the client key.",
        'redis-doctor cannot present a client certificate yet, so it keeps reporting this for such a server: confirm the fix with the redis-cli line above.',
      ],
      verify: `${withCert} PING answers PONG.`,
    };
  },

  'relax-tls-auth-clients': (t: FixTarget): Remediation => ({
    id: 'relax-tls-auth-clients',
    title: `Stop requiring client certificates on ${endpoint(t)} (tls-auth-clients optional)`,
    risk: 'high',
    mode: 'guided',
    steps: [
      `Security tradeoff: a required client certificate keeps everyone without one from even reaching AUTH. With optional (a certificate is verified only if one is sent) or no, anyone who reaches port ${t.port} gets a session, and the password or ACL users are the only gate: set requirepass or ACL users and firewall the port to the application hosts first. Prefer giving the clients certificates (provide-client-certificate).`,
      `Over a connection Redis accepts (the Unix socket, a plaintext port on loopback, or redis-cli with a client certificate) on ${t.host}: redis-cli CONFIG SET tls-auth-clients optional.`,
      keepSetting(t, 'redis-cli', 'tls-auth-clients optional'),
      'Or in /etc/redis/redis.conf: tls-auth-clients optional (no: never ask for a certificate), then sudo systemctl restart redis-server.',
    ],
    verify: rerun({ ...t, tls: true }, 'the session is no longer dropped after the handshake.'),
  }),

  'diagnose-tls-insecure': (t: FixTarget): Remediation => ({
    id: 'diagnose-tls-insecure',
    title: 'Diagnose once without certificate checks (--tls-insecure) to see what else is wrong',
    risk: 'medium',
    mode: 'guided',
    steps: [
      `redis-doctor diagnose ${url({ ...t, tls: true }, { auth: false })} --tls-insecure — a diagnostic step only: it shows whether the Redis behind the certificate is healthy.`,
      `Run it without --password-env first: unverified, whoever answers on ${endpoint(t)} may be an impostor and would receive the password.`,
      'Never leave clients unverified (redis-cli --insecure, rejectUnauthorized: false, ssl_cert_reqs=none): fix the certificate or the CA instead.',
    ],
    verify: 'The certificate finding stays (as info) until the certificate is fixed; any other finding is about the server itself.',
  }),
} as const;
