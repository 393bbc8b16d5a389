/**
 * AUTH was sent and refused. Texts (Redis 7.0):
 *   -WRONGPASS invalid username-password pair or user is disabled.
 *   -ERR invalid password                                   (Redis before 6)
 * Not this rule's: "-ERR AUTH <password> called without any password
 * configured for the default user …" — the server has no password at all and
 * keeps serving, so the client holds a password for some other server, or a
 * stray one: wrong-instance owns that reply (issue #12).
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { firstError, replyEvidence } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const WRONG = /^WRONGPASS\b|invalid password|invalid username-password/i;

export const rule = defineRule({
  cause: 'auth-failed',
  impact: 'unusable',
  supersedes: ['auth-required'],
  evaluate(obs) {
    const t = fixTarget(obs);
    const user = obs.client.user ?? obs.target.user;
    const wrong = firstError(obs, WRONG);
    if (!wrong) return undefined;
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: user ? `Authentication failed for user "${user}": wrong password, or the user is disabled` : 'Authentication failed: wrong password',
      evidence: [replyEvidence(wrong), ...(user ? [`user: ${user}`] : [])],
      remediations: [REMEDIATIONS['supply-password'](t)],
      details: { reason: 'wrong-password' },
    };
  },
});
