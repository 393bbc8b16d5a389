/**
 * A script, function or module command holds Redis' single thread longer
 * than busy-reply-threshold (lua-time-limit, 5 s by default); every other
 * command, PING included, gets one of (server.h shared replies, 7.0):
 *   -BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.
 *   -BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.
 *   -BUSY Redis is busy running a module command.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { errorText, firstError, replyEvidence } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'busy-script',
  impact: 'unusable',
  evaluate(obs) {
    const busy = firstError(obs, /^BUSY\b/i);
    if (!busy) return undefined;
    const text = errorText(busy.reply);
    const kind = /FUNCTION KILL/i.test(text) ? 'function' : /module/i.test(text) ? 'module' : 'script';
    const t = fixTarget(obs);
    const remediations =
      kind === 'module'
        ? [REMEDIATIONS['shutdown-nosave'](t)]
        : [REMEDIATIONS['kill-busy-script'](t, { kind }), REMEDIATIONS['shutdown-nosave'](t)];
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: kind === 'module' ? 'Redis is blocked by a long-running module command' : `Redis is blocked by a long-running ${kind === 'function' ? 'function' : 'Lua script'}`,
      evidence: [replyEvidence(busy)],
      remediations,
      details: { kind },
    };
  },
});
