/**
 * The host name does not resolve. getaddrinfo codes (through dns.lookup):
 *   ENOTFOUND / EAI_NONAME / ENODATA  the name or its address records do not exist
 *   EAI_AGAIN / ETIMEOUT / ESERVFAIL  the resolver failed or did not answer in time
 * An IP literal is never looked up, so it never fires this rule.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { ms } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const TEMPORARY = new Set(['EAI_AGAIN', 'ETIMEOUT', 'ETIMEDOUT', 'ESERVFAIL', 'ECONNREFUSED', 'EAI_FAIL']);

export const rule = defineRule({
  cause: 'dns-resolution-failed',
  impact: 'unusable',
  evaluate(obs) {
    const dns = obs.dns;
    if (!dns?.lookedUp || (dns.ok && dns.addresses.length > 0)) return undefined;
    const code = dns.code ?? 'ENODATA';
    const temporary = TEMPORARY.has(code);
    const host = obs.target.host;
    return {
      severity: 'critical',
      // NXDOMAIN is the resolver's answer; a resolver that did not answer leaves the name's existence open.
      confidence: temporary ? 'likely' : 'confirmed',
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
});
