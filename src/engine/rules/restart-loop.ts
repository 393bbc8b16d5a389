/**
 * The server keeps starting again: each start is a new process with a new
 * INFO `run_id` (random, 40 hex characters) and `uptime_in_seconds` from 0.
 * A diagnosis is one look: it may catch the server up (a fresh uptime) or
 * down (refused) — neither says "loop". The monitor's ticks read run_id and
 * hand its changes in as history.runIdChanges (monitor/restarts.ts): LOOP or
 * more changes within its window are restarts seen, not inferred
 * (`confirmed`). The INFO of this diagnosis adds one when it shows a run_id
 * the monitor never read (uptime_in_seconds is quoted with it).
 *
 * Critical when the target does not answer now (a restart in progress is
 * what its clients meet); a warning when it answers, between restarts.
 * Ranked above server-not-running and connection-refused: it says why the
 * port refuses now and then. Why it exits (an OOM kill, a crash, a failing
 * load) is what the steps look for; oom-killed, ranked first, names the
 * kernel's kill when SSH shows it.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { info, infoNumber, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

/** Restarts within the monitor's window that make a loop. */
export const LOOP = 2;
const MAX_READ = 50;
const SHOWN = 5;

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : String(ms);
}

function minutes(ms: number): string {
  const m = Math.max(1, Math.round(ms / 60_000));
  return `${m} min`;
}

export const rule = defineRule({
  cause: 'restart-loop',
  impact: 'unusable',
  evaluate(obs) {
    const changes = (obs.history?.runIdChanges ?? []).slice(-MAX_READ).filter((c) => typeof c.runId === 'string' && Number.isFinite(c.at));
    if (changes.length === 0) return undefined;
    const runId = info(obs, 'run_id');
    const uptime = infoNumber(obs, 'uptime_in_seconds');
    const last = changes[changes.length - 1]!;
    // This diagnosis's INFO shows a process the monitor never read: run_ids are random, an ended process's never comes back.
    const unseen = runId !== undefined && /^[0-9a-f]{40}$/.test(runId) && !changes.some((c) => c.runId === runId);
    const restarts = changes.length + (unseen ? 1 : 0);
    if (restarts < LOOP) return undefined;
    const first = changes[0]!;
    const span = Math.max(0, last.at - (obs.history?.runIdsSince ?? first.at));
    const answering = obs.resp?.ok === true;
    const label = targetLabel(obs);
    const evidence = [
      ...changes.slice(-SHOWN).map((c) => `the monitor read a new run_id ${c.runId.slice(0, 12)}… at ${iso(c.at)}: a new process since its previous read`),
      ...(changes.length > SHOWN ? [`… and ${changes.length - SHOWN} earlier changes`] : []),
      ...(unseen ? [`this diagnosis read run_id ${runId!.slice(0, 12)}… with uptime_in_seconds ${uptime}: one more start since the monitor's last read`] : []),
      ...(!unseen && uptime !== undefined ? [`INFO server: uptime_in_seconds ${uptime}`] : []),
      answering ? 'it answers PING now: between two restarts' : 'it does not answer now: a restart in progress, or down for good',
      'each restart drops every client connection (and, without persistence, the data set)',
    ];
    const unit = obs.remote?.systemd?.units.find((u) => /redis/i.test(u.id))?.id;
    const t = fixTarget(obs);
    return {
      severity: answering ? 'warning' : 'critical',
      confidence: 'confirmed',
      title: `${label} restarted ${restarts} times${span > 0 ? ` within ${minutes(span)}` : ''} of monitoring (its run_id changed between probes): a restart loop`,
      evidence,
      remediations: [REMEDIATIONS['find-restart-cause'](t, unit && /^[A-Za-z0-9@._-]{1,100}$/.test(unit) ? { unit } : {})],
      details: { restarts, ...(uptime !== undefined ? { uptimeSeconds: uptime } : {}) },
    };
  },
});
