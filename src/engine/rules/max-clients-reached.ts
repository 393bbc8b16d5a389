/**
 * Every client slot is taken. Redis writes, right after accept and before
 * reading a command, then closes (networking.c acceptCommonHandler):
 *   -ERR max number of clients reached
 * When maxclients itself looks cut down by the open-files limit
 * (fd-limit-too-low), raising the limit comes first.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { firstError, infoNumber, infoQuote, replyEvidence } from './helpers/observed.js';
import { fdLimited } from './fd-limit-too-low.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'max-clients-reached',
  impact: 'unusable',
  evaluate(obs) {
    const full = firstError(obs, /max number of clients reached/i);
    if (!full) return undefined;
    const t = fixTarget(obs);
    const maxclients = infoNumber(obs, 'maxclients');
    const evidence = [replyEvidence(full)];
    const clients = infoQuote(obs, ['connected_clients', 'maxclients']);
    if (clients) evidence.push(clients);
    const to = Math.max(10000, (maxclients ?? 0) * 2);
    const fd = fdLimited(obs);
    const remediations = [REMEDIATIONS['raise-maxclients'](t, { to }), REMEDIATIONS['find-client-leak'](t), REMEDIATIONS['set-idle-timeout'](t)];
    if (fd) remediations.unshift(REMEDIATIONS['raise-nofile-limit'](t, { current: fd.nofile }));
    else remediations.push(REMEDIATIONS['raise-nofile-limit'](t));
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: `Redis refuses new clients: all ${maxclients !== undefined ? `${maxclients} ` : ''}client slots are taken`,
      evidence,
      remediations,
      ...(maxclients !== undefined ? { details: { maxclients } } : {}),
    };
  },
});
