/**
 * The host name does not resolve. getaddrinfo codes (through dns.lookup):
 *   ENOTFOUND / EAI_NONAME / ENODATA  the name or its address records do not exist
 *   EAI_AGAIN / ETIMEOUT / ESERVFAIL  the resolver failed or did not answer in time
 * An IP literal is never looked up, so it never fires this rule.
 */
import { fixTarget, REMEDIATIONS } from '../remediations.js';
import type { Rule } from '../types.js';
import { ms } from './observed.js';

const TEMPORARY = new Set(['EAI_AGAIN', 'ETIMEOUT', 'ETIMEDOUT', 'ESERVFAIL', 'ECONNREFUSED', 'EAI_FAIL']);

export const rule: Rule = {
  cause: 'dns-resolution-failed',
  rank: 10,
  evaluate(obs) {
    const dns = obs.dns;
    if (!dns?.lookedUp || (dns.ok && dns.addresses.length > 0)) return undefined;
    const code = dns.code ?? 'ENODATA';
    const temporary = TEMPORARY.has(code);
    const host = obs.target.host;
    return {
      cause: 'dns-resolution-failed',
      severity: 'critical',
      title: temporary ? `DNS lookup of ${host} failed: the resolver did not answer (${code})` : `The host name ${host} does not resolve (${code})`,
      evidence: [
        temporary
          ? `lookup of "${host}" failed after ${ms(dns.durationMs)}: ${code} (temporary resolver failure or timeout)`
          : `lookup of "${host}" failed after ${ms(dns.durationMs)}: ${code} (no such name or no address records)`,
      ],
      remediations: [REMEDIATIONS['fix-dns'](fixTarget(obs), { temporary })],
      details: { code, temporary },
    };
  },
};
