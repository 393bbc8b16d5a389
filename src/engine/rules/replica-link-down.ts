/**
 * A replica that lost its primary. INFO replication on the replica:
 *   role:slave  master_host:…  master_port:…  master_link_status:down
 *   master_link_down_since_seconds:N   (-1 on 7.0: never connected since start)
 * With replica-serve-stale-data yes (default) it keeps serving old data: a
 * warning. With "no", every command that is not ok-stale — PING included —
 * gets (server.c):
 *   -MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { firstError, info, infoNumber, infoQuote, replyEvidence } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'replica-link-down',
  impact: 'degrading',
  evaluate(obs) {
    const masterdown = firstError(obs, /^MASTERDOWN\b/i);
    const role = info(obs, 'role');
    const linkDown = (role === 'slave' || role === 'replica') && info(obs, 'master_link_status') === 'down';
    if (!masterdown && !linkDown) return undefined;
    const masterHost = info(obs, 'master_host');
    const masterPort = infoNumber(obs, 'master_port');
    const since = infoNumber(obs, 'master_link_down_since_seconds');
    const evidence: string[] = [];
    if (masterdown) evidence.push(replyEvidence(masterdown));
    const fields = infoQuote(obs, ['role', 'master_host', 'master_port', 'master_link_status', 'master_link_down_since_seconds', 'master_sync_in_progress']);
    if (fields) evidence.push(fields);
    if (since === -1) evidence.push('master_link_down_since_seconds:-1: the link has not come up since the replica started');
    const t = fixTarget(obs);
    const primary = masterHost ? `${masterHost}:${masterPort ?? 6379}` : 'its primary';
    const down = since !== undefined && since >= 0 ? ` for ${since} s` : '';
    return {
      severity: masterdown ? 'critical' : 'warning',
      confidence: 'confirmed',
      title: masterdown
        ? `Replica refuses commands: its link to ${primary} is down`
        : `Replica lost its link to ${primary}${down} and serves stale data`,
      evidence,
      remediations: [
        REMEDIATIONS['fix-replica-link'](t, { ...(masterHost ? { masterHost } : {}), ...(masterPort !== undefined ? { masterPort } : {}) }),
        REMEDIATIONS['promote-replica'](t),
      ],
      details: { ...(masterHost ? { masterHost } : {}), ...(masterPort !== undefined ? { masterPort } : {}), ...(since !== undefined ? { downSinceSeconds: since } : {}) },
    };
  },
});
