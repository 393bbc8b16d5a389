/**
 * AUTH was sent and refused. Texts (Redis 7.0):
 *   -WRONGPASS invalid username-password pair or user is disabled.
 *   -ERR invalid password                                   (Redis before 6)
 *   -ERR AUTH <password> called without any password configured for the
 *    default user. Are you sure your configuration is correct?
 * The last one is a different case: the server has no password at all and
 * keeps serving the client, so it is a warning about the client setup.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { firstError, replyEvidence } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const NO_PASSWORD = /called without any password configured/i;
const WRONG = /^WRONGPASS\b|invalid password|invalid username-password/i;

export const rule = defineRule({
  cause: 'auth-failed',
  impact: 'unusable',
  supersedes: ['auth-required'],
  evaluate(obs) {
    const t = fixTarget(obs);
    const user = obs.client.user ?? obs.target.user;
    const noPassword = firstError(obs, NO_PASSWORD);
    if (noPassword) {
      return {
        severity: 'warning',
        confidence: 'confirmed',
        title: 'A password was given but Redis has none configured',
        evidence: [replyEvidence(noPassword), 'the server accepts clients without a password; clients that treat this AUTH error as fatal will not connect'],
        remediations: [REMEDIATIONS['stop-sending-password'](t), REMEDIATIONS['set-requirepass'](t)],
        details: { reason: 'no-password-configured' },
      };
    }
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
