/**
 * The run_ids a target's ticks read (INFO server, engine probes/up-sample.ts):
 * a run_id differs from the one read before only when the process started
 * again in between. The changes within RESTART_WINDOW_MS (at most
 * MAX_CHANGES) are kept in the target's monitor state and handed to the
 * incident's diagnosis as history.runIdChanges: two or more is a restart loop
 * the diagnosis alone, one look at a server that happens to be up, cannot see
 * (engine rules/restart-loop.ts). Pure.
 */
import type { ServerIdentity, TargetHistory } from '../engine/index.js';
import type { RunHistory } from './state-machine.js';

export const RESTART_WINDOW_MS = 60 * 60_000;
export const MAX_CHANGES = 10;

/** The history with this tick's run_id; unchanged when the tick read none (down, INFO denied, no sample). */
export function withRun(prev: RunHistory | undefined, server: ServerIdentity | undefined, at: number): RunHistory | undefined {
  const runId = server?.runId;
  if (runId === undefined) return prev;
  if (!prev) return { runId, at, since: at, changes: [] };
  const recent = prev.changes.filter((c) => c.at >= at - RESTART_WINDOW_MS);
  const changes = prev.runId === runId ? recent : [...recent, { at, runId }].slice(-MAX_CHANGES);
  return { runId, at, since: prev.since, changes };
}

/** What the incident's diagnosis is told of the target's restarts. */
export function restartHistory(runs: RunHistory | undefined): Pick<TargetHistory, 'runIdChanges' | 'runIdsSince'> {
  if (!runs) return {};
  return { runIdChanges: runs.changes.map((c) => ({ ...c })), runIdsSince: runs.since };
}
