/**
 * Redis cannot persist. Replies (server.c, 7.0):
 *   -MISCONF Redis is configured to save RDB snapshots, but it's currently unable
 *    to persist to disk. Commands that may modify the data set are disabled, …
 *   -MISCONF Errors writing to the AOF file: <reason>
 * MISCONF is given to writes and to PING (processCommand treats PING like a
 * write so health checks notice), so the server is unusable for clients.
 * INFO persistence: rdb_last_bgsave_status:err refuses writes while
 * stop-writes-on-bgsave-error is yes (the default) and save points exist;
 * aof_last_write_status:err refuses writes; aof_last_bgrewrite_status:err
 * alone does not (the old AOF keeps being appended): a warning.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Remediation } from '../model/types.js';
import { config, firstError, info, infoQuote, replyEvidence } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'persistence-failing',
  impact: 'degrading',
  evaluate(obs) {
    const misconf = firstError(obs, /^MISCONF\b/i);
    const rdbErr = info(obs, 'rdb_last_bgsave_status') === 'err';
    const aofWriteErr = info(obs, 'aof_last_write_status') === 'err';
    const aofRewriteErr = info(obs, 'aof_last_bgrewrite_status') === 'err';
    if (!misconf && !rdbErr && !aofWriteErr && !aofRewriteErr) return undefined;
    // Redis stops writes only with the option on and at least one save point (CONFIG GET save not "").
    const stopsWrites = config(obs, 'stop-writes-on-bgsave-error') !== 'no' && config(obs, 'save') !== '';
    const critical = misconf !== undefined || aofWriteErr || (rdbErr && stopsWrites);
    const aof = aofWriteErr || aofRewriteErr || /AOF/i.test(misconf?.reply.text ?? '');
    const rdb = rdbErr || (misconf !== undefined && !aof);
    const evidence: string[] = [];
    if (misconf) evidence.push(replyEvidence(misconf));
    const fields = infoQuote(obs, [
      ...(rdbErr ? ['rdb_last_bgsave_status', 'rdb_changes_since_last_save', 'rdb_last_save_time'] : []),
      ...(aofWriteErr ? ['aof_last_write_status'] : []),
      ...(aofRewriteErr ? ['aof_last_bgrewrite_status'] : []),
    ]);
    if (fields) evidence.push(fields);
    const dir = config(obs, 'dir');
    const t = fixTarget(obs);
    const fixes: Remediation[] = [];
    if (rdb) fixes.push(REMEDIATIONS['fix-rdb-save'](t, dir ? { dir } : {}), REMEDIATIONS['retry-bgsave'](t));
    if (aof) fixes.push(REMEDIATIONS['fix-aof-write'](t, dir ? { dir } : {}));
    if (rdb && critical) fixes.push(REMEDIATIONS['allow-writes-on-save-error'](t));
    const what = rdb && aof ? 'RDB snapshots and the AOF' : aof ? 'the append-only file' : 'RDB snapshots';
    return {
      severity: critical ? 'critical' : 'warning',
      confidence: 'confirmed',
      title: critical ? `Redis cannot write ${what} to disk and refuses writes` : `Redis failed to write ${what}`,
      evidence,
      remediations: fixes,
      details: { rdb, aof },
    };
  },
});
