/**
 * Fixes for a TLS port that modern clients use and older ones cannot: the
 * server needs SNI, or accepts TLS 1.3 only. Facts relied on: redis-cli sends
 * SNI with --sni (6.2+); ioredis passes `tls.servername`, node-redis
 * `socket.servername`, to Node's tls.connect; Redis chooses its protocols
 * with `tls-protocols` (default "TLSv1.2 TLSv1.3") and can change them with
 * CONFIG SET at runtime; TLS 1.3 needs OpenSSL 1.1.1+, Java 11 or 8u261+.
 */
import type { Remediation } from '../model/types.js';
import { cli, type FixTarget, rerun } from './fix-target.js';

export const tlsClientFixes = {
  'send-sni': (t: FixTarget): Remediation => ({
    id: 'send-sni',
    title: `Make every client send SNI (server name ${t.host})`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `Connect by name, not by IP address: a client given an IP literal sends no SNI. redis-cli 6.2+: ${cli(t)} --sni ${t.host}`,
      `ioredis: tls: { servername: '${t.host}' } — node-redis: socket: { tls: true, servername: '${t.host}' } — redis-py: connect by host name (server_hostname is the host), Jedis/Lettuce: a recent version with the host name in the URI.`,
      'Upgrade clients whose TLS library sends no SNI (redis-cli before 6.2 has no --sni; very old OpenSSL/Java builds).',
    ],
    verify: rerun(t, 'the tls-variants check shows the handshake without SNI is no longer needed, or every client sends it.'),
  }),

  'allow-tls12-clients': (t: FixTarget): Remediation => ({
    id: 'allow-tls12-clients',
    title: 'Let TLS 1.2 clients in, or upgrade them to TLS 1.3',
    risk: 'low',
    mode: 'guided',
    steps: [
      'Prefer upgrading the clients: TLS 1.3 needs OpenSSL 1.1.1+, Java 11 (or 8u261+), .NET on an OS with TLS 1.3 (Windows Server 2022, recent Linux).',
      `If old clients must connect: in redis.conf set tls-protocols "TLSv1.2 TLSv1.3" (Redis's default), or at runtime ${cli(t)} CONFIG SET tls-protocols "TLSv1.2 TLSv1.3" then CONFIG REWRITE when the server was started from a config file. A managed service sets this in its console (minimum TLS version).`,
    ],
    verify: rerun(t, 'the tls-variants check shows a TLS 1.2 handshake succeeds.'),
  }),
};
