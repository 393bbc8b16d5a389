/**
 * Redis is loading its RDB/AOF into memory and answers every command that
 * is not flagged ok-loading — PING included on 7.0 — with
 *   -LOADING Redis is loading the dataset in memory
 * INFO (ok-loading) still answers: loading:1 with loading_loaded_perc,
 * loading_eta_seconds, loading_loaded_bytes and loading_total_bytes.
 * (async_loading:1 is a replica loading in the background while serving the
 * old data: not a failure.)
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Observations } from '../model/types.js';
import { firstError, info, infoNumber, infoQuote, replyEvidence } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

/** loading_eta_seconds when it is an estimate; otherwise why it is not one. */
export type LoadingEta = { seconds: number } | { unknown: string } | undefined;

/**
 * Redis 7.0 (server.c, genRedisInfoString) computes, in whole seconds:
 *   elapsed = time(NULL) - loading_start_time
 *   eta = 1 when elapsed == 0 ("a fake 1 second figure if we don't have enough info"),
 *         else elapsed * remaining_bytes / (loaded_bytes + 1)
 * with remaining_bytes = 1 when loading_total_bytes is 0 (size unknown).
 * So a 1 in the first second is a placeholder, not a forecast.
 */
export function loadingEta(obs: Observations): LoadingEta {
  const eta = infoNumber(obs, 'loading_eta_seconds');
  if (eta === undefined || eta < 0) return undefined;
  if (infoNumber(obs, 'loading_total_bytes') === 0) return { unknown: 'loading_total_bytes:0: the size is unknown, so loading_eta_seconds is no estimate' };
  const nowUsec = infoNumber(obs, 'server_time_usec');
  const start = infoNumber(obs, 'loading_start_time');
  if (nowUsec !== undefined && start !== undefined) {
    const elapsed = nowUsec / 1e6 - start;
    if (elapsed >= 1) return { seconds: eta };
    return { unknown: `loading_eta_seconds:${eta} is Redis's placeholder, not an estimate: loading started ${Math.max(0, elapsed).toFixed(1)} s before INFO` };
  }
  if (eta !== 1) return { seconds: eta };
  // No server clock: after a whole second, an eta of 1 needs remaining < 2 × (loaded + 1),
  // i.e. about a third loaded. With less loaded, the 1 can only be the placeholder.
  const perc = info(obs, 'loading_loaded_perc');
  const placeholder = { unknown: `loading_eta_seconds:1 is Redis's first-second placeholder, not an estimate${perc ? `: only ${perc} % is loaded` : ''}` };
  const loaded = infoNumber(obs, 'loading_loaded_bytes');
  const total = infoNumber(obs, 'loading_total_bytes');
  if (loaded !== undefined && total !== undefined) return total - loaded >= 2 * (loaded + 1) ? placeholder : { seconds: eta };
  const percent = infoNumber(obs, 'loading_loaded_perc');
  return percent === undefined || percent < 100 / 3 ? placeholder : { seconds: eta };
}

export const rule = defineRule({
  cause: 'loading-dataset',
  impact: 'unusable',
  evaluate(obs) {
    const reply = firstError(obs, /^LOADING\b/i);
    const loading = info(obs, 'loading') === '1';
    if (!reply && !loading) return undefined;
    const percent = info(obs, 'loading_loaded_perc');
    const estimate = loadingEta(obs);
    const eta = estimate && 'seconds' in estimate ? estimate.seconds : undefined;
    const evidence: string[] = [];
    if (reply) evidence.push(replyEvidence(reply));
    const progress = infoQuote(obs, ['loading', 'loading_loaded_perc', 'loading_eta_seconds', 'loading_loaded_bytes', 'loading_total_bytes']);
    if (progress) evidence.push(progress);
    if (estimate && 'unknown' in estimate) evidence.push(estimate.unknown);
    const known = eta !== undefined;
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: `Redis is loading its dataset into memory${percent ? ` (${percent} % done${known ? `, about ${eta} s left` : ''})` : ''}`,
      evidence,
      remediations: [REMEDIATIONS['wait-for-loading'](fixTarget(obs), { ...(known ? { etaSeconds: eta } : {}), ...(percent ? { percent } : {}) })],
      details: { ...(percent ? { loadedPercent: Number(percent) } : {}), ...(known ? { etaSeconds: eta } : {}) },
    };
  },
});
