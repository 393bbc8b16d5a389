/**
 * Something other than Redis answers on the port: the bytes that came back
 * to PING (or to a TLS ClientHello) are not RESP. A Redis server answers any
 * command with a RESP line (+, -, $, *, :), even when it refuses it.
 * Known banners are named so the evidence says what is there instead.
 * Excerpts are printable forms: CR LF appear as the four characters \r\n.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Observations } from '../model/types.js';
import { clip, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const PROTOCOLS: { name: string; what: string; re: RegExp }[] = [
  { name: 'ssh', what: 'an SSH server', re: /^SSH-\d/ },
  { name: 'http', what: 'an HTTP server', re: /^HTTP\/\d|^<!DOCTYPE|^<html/i },
  // SMTP and FTP greet with "220 "; memcached answers an unknown "PING" with "ERROR".
  { name: 'smtp-ftp', what: 'an SMTP or FTP server', re: /^220[ -]/ },
  { name: 'memcached', what: 'memcached', re: /^ERROR(\\r\\n|$)/ },
  { name: 'mysql', what: 'a MySQL server', re: /mysql_native_password|caching_sha2_password/ },
];

function foreignBytes(obs: Observations): { excerpt: string; http: boolean } | undefined {
  const n = obs.resp?.nonResp;
  if (n && !n.looksLikeTls) return { excerpt: n.excerpt, http: n.looksLikeHttp };
  const plain = obs.tls?.plaintextReply;
  if (obs.tls && !obs.tls.ok && plain !== undefined && !/^[-+$*:]/.test(plain)) return { excerpt: plain, http: false };
  return undefined;
}

export const rule = defineRule({
  cause: 'not-redis',
  impact: 'unusable',
  evaluate(obs) {
    const bytes = foreignBytes(obs);
    if (!bytes) return undefined;
    const known = bytes.http ? PROTOCOLS[1] : PROTOCOLS.find((p) => p.re.test(bytes.excerpt));
    const label = targetLabel(obs);
    const t = fixTarget(obs);
    const evidence = [`${label} answered with bytes that are not RESP: "${clip(bytes.excerpt, 100)}"${known ? ` — ${known.what}` : ''}`];
    const redisHere = obs.neighbours?.found.find((f) => f.redis && f.port !== obs.target.port);
    if (redisHere) evidence.push(`Redis answered on port ${redisHere.port}${redisHere.reply ? `: ${clip(redisHere.reply, 60)}` : ''}`);
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: known ? `${label} is ${known.what}, not Redis` : `${label} is not a Redis server`,
      evidence,
      remediations: redisHere
        ? [REMEDIATIONS['use-correct-port'](t, { port: redisHere.port, ...(redisHere.tls !== undefined ? { tls: redisHere.tls } : {}) }), REMEDIATIONS['identify-listener'](t)]
        : [REMEDIATIONS['identify-listener'](t), REMEDIATIONS['use-correct-port'](t)],
      details: { protocol: known?.name ?? 'unknown', ...(redisHere ? { suggestedPort: redisHere.port } : {}) },
    };
  },
});
