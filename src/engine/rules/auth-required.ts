/**
 * The server wants a password and the client sent none (or its AUTH failed,
 * which auth-failed reports and supersedes this). Redis 6+:
 *   -NOAUTH Authentication required.
 * Redis before 6 answered "-ERR operation not permitted" in some versions.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { firstError, replyEvidence } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'auth-required',
  impact: 'unusable',
  evaluate(obs) {
    const noauth = firstError(obs, /^NOAUTH\b|Authentication required|^ERR operation not permitted/i);
    if (!noauth) return undefined;
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: 'Redis requires a password and the client gave none',
      evidence: [replyEvidence(noauth), obs.client.authProvided ? 'credentials were supplied but not accepted' : 'no credentials were supplied'],
      remediations: [REMEDIATIONS['supply-password'](fixTarget(obs))],
    };
  },
});
