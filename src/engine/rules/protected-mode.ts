/**
 * Protected mode: with no password for the default user, Redis 7 admits only
 * loopback clients and greets any other with (networking.c):
 *   -DENIED Redis is running in protected mode because protected mode is enabled
 *    and no password is set for the default user. In this mode connections are
 *    only accepted from the loopback interface. …
 * then closes the connection.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { firstError, replyEvidence, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'protected-mode',
  impact: 'unusable',
  evaluate(obs) {
    const denied = firstError(obs, /^DENIED\b.*protected mode/i);
    if (!denied) return undefined;
    const t = fixTarget(obs);
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: 'Redis refuses remote clients: protected mode',
      evidence: [replyEvidence(denied), `${targetLabel(obs)} admits only loopback clients while the default user has no password; this client is not on loopback`],
      remediations: [REMEDIATIONS['set-requirepass'](t), REMEDIATIONS['disable-protected-mode'](t)],
    };
  },
});
