/**
 * Redis is loading its RDB/AOF into memory and answers every command that
 * is not flagged ok-loading — PING included on 7.0 — with
 *   -LOADING Redis is loading the dataset in memory
 * INFO (ok-loading) still answers: loading:1 with loading_loaded_perc,
 * loading_eta_seconds, loading_loaded_bytes and loading_total_bytes.
 * (async_loading:1 is a replica loading in the background while serving the
 * old data: not a failure.)
 */
import { fixTarget, REMEDIATIONS } from '../remediations.js';
import type { Rule } from '../types.js';
import { firstError, info, infoNumber, infoQuote, replyEvidence } from './observed.js';

export const rule: Rule = {
  cause: 'loading-dataset',
  rank: 30,
  evaluate(obs) {
    const reply = firstError(obs, /^LOADING\b/i);
    const loading = info(obs, 'loading') === '1';
    if (!reply && !loading) return undefined;
    const percent = info(obs, 'loading_loaded_perc');
    const eta = infoNumber(obs, 'loading_eta_seconds');
    const evidence: string[] = [];
    if (reply) evidence.push(replyEvidence(reply));
    const progress = infoQuote(obs, ['loading', 'loading_loaded_perc', 'loading_eta_seconds', 'loading_loaded_bytes', 'loading_total_bytes']);
    if (progress) evidence.push(progress);
    const known = eta !== undefined && eta >= 0;
    return {
      cause: 'loading-dataset',
      severity: 'critical',
      title: `Redis is loading its dataset into memory${percent ? ` (${percent} % done${known ? `, about ${eta} s left` : ''})` : ''}`,
      evidence,
      remediations: [REMEDIATIONS['wait-for-loading'](fixTarget(obs), { ...(known ? { etaSeconds: eta } : {}), ...(percent ? { percent } : {}) })],
      details: { ...(percent ? { loadedPercent: Number(percent) } : {}), ...(known ? { etaSeconds: eta } : {}) },
    };
  },
};
