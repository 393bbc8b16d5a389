/**
 * The server keeps restarting: each start drops every connection, loads the
 * dataset again (-LOADING meanwhile) or starts empty. Evidence:
 *  - INFO server uptime_in_seconds below RECENT_S: it (re)started a moment ago;
 *  - systemd's NRestarts of the unit whose MainPID serves the port (its
 *    automatic restarts since the unit was started), with Result and
 *    ExecMainStatus of the last exit — over SSH, tied by pid;
 *  - a container's RestartCount (docker inspect; the container that publishes
 *    the target port, or whose Docker evidence is attached);
 *  - the monitor's history: run_id values its earlier probes saw
 *    (TargetHistory.previousRunIds): a new run_id is a new process.
 * Honesty: a restart is not a loop. A small uptime with one restart counted
 * (or one other run_id) is an info note, `possible`. A loop takes LOOP
 * restarts (NRestarts / RestartCount) or LOOP + 1 distinct run_ids with the
 * uptime small: a warning, `confirmed` from the supervisor's own count,
 * `likely` from run_ids alone. A small uptime and nothing else is a note only
 * when the caller saw the target answer before this process started
 * (history.lastAnsweredAt earlier than now − uptime, by the server's clock):
 * a first diagnosis of a server just started says nothing about restarts.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { info, infoNumber, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';
import { hostName, remoteOf } from './helpers/host.js';
import { servingUnit } from './helpers/serving.js';

export const RECENT_S = 600;
export const LOOP = 2;
/** Clock skew between the caller's record and the server's clock tolerated (s). */
const SLACK_S = 5;
/** A unit or container name put into a shell line of a fix: plain characters only. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9@._:-]{0,99}$/;

export const rule = defineRule({
  cause: 'restart-loop',
  impact: 'degrading',
  evaluate(obs) {
    const uptime = infoNumber(obs, 'uptime_in_seconds');
    const small = uptime !== undefined && uptime >= 0 && uptime < RECENT_S;
    const evidence: string[] = [];
    const unit = servingUnit(obs);
    const remote = remoteOf(obs);
    const port = obs.target.port;
    const container = (remote?.docker?.containers ?? []).find((c) => c.restartCount !== undefined && c.ports.some((p) => p.hostPort === port));
    const supervisor = Math.max(unit?.nRestarts ?? 0, container?.restartCount ?? 0);
    const rawRunId = info(obs, 'run_id');
    // Outside text: a run_id is 40 hex digits or it is not one.
    const runId = rawRunId !== undefined && /^[0-9a-f]{40}$/.test(rawRunId.slice(0, 41)) ? rawRunId : undefined;
    const seen = (obs.history?.previousRunIds ?? []).filter((r) => /^[0-9a-f]{40}$/.test(r));
    const distinct = new Set([...seen, ...(runId ? [runId] : [])]).size;
    const loop = small && (supervisor >= LOOP || distinct >= LOOP + 1);
    // The caller saw it answer before this process started (the monitor's last good probe): it restarted since.
    const nowSec = obs.latencyEvents?.nowSec ?? obs.slowlog?.nowSec;
    const lastAnswered = Date.parse(obs.history?.lastAnsweredAt ?? '');
    const since = small && nowSec !== undefined && Number.isFinite(lastAnswered) && lastAnswered / 1000 < nowSec - uptime! - SLACK_S;
    const note = small && (supervisor >= 1 || distinct >= 2 || since);
    const past = !small && supervisor >= LOOP;
    if (!loop && !note && !past) return undefined;
    if (uptime !== undefined) evidence.push(`INFO server uptime_in_seconds:${uptime}${runId ? ` run_id:${runId.slice(0, 12)}…` : ''}${small ? ' — this process started a moment ago' : ''}`);
    if (unit && remote) evidence.push(`systemctl show ${unit.id} on ${hostName(remote)}: NRestarts=${unit.nRestarts ?? '?'}${unit.result ? ` Result=${unit.result}` : ''}${unit.execMainStatus !== undefined ? ` ExecMainStatus=${unit.execMainStatus}` : ''} (MainPID ${unit.mainPid} listens on port ${port})`);
    if (container) evidence.push(`docker inspect ${container.name}: RestartCount ${container.restartCount} (publishes port ${port}; ${container.status})`);
    if (since) evidence.push(`the monitor's last answer from this target was at ${obs.history!.lastAnsweredAt!.slice(0, 40)}, before this process started`);
    if (seen.length) evidence.push(`the monitor's earlier probes saw ${distinct} different run_id${distinct === 1 ? '' : 's'} (a new one each time the server starts)`);
    if (!loop) evidence.push(supervisor >= LOOP ? `restarted ${supervisor} times since its supervisor started it, but it has been up ${uptime ?? '?'} s now: a past loop` : 'one restart is not a loop: diagnose again in a few minutes to see whether uptime_in_seconds keeps growing');
    const t = fixTarget(obs);
    return {
      severity: loop ? 'warning' : 'info',
      confidence: loop ? (supervisor >= LOOP ? 'confirmed' : 'likely') : 'possible',
      title: loop
        ? `${targetLabel(obs)} keeps restarting${supervisor >= LOOP ? ` (${supervisor} restarts counted by ${unit ? `systemd unit ${unit.id}` : `container ${container!.name}`})` : ` (${distinct} server processes seen by the monitor)`}: every restart drops all clients`
        : small ? `${targetLabel(obs)} restarted ${uptime} s ago: clients were disconnected then` : `${targetLabel(obs)} was restarted ${supervisor} times by its supervisor`,
      evidence,
      remediations: [REMEDIATIONS['find-restart-cause'](t, { ...(unit && SAFE_NAME.test(unit.id) ? { unit: unit.id } : {}), ...(container && SAFE_NAME.test(container.name) ? { container: container.name } : {}) })],
      details: { uptime: uptime ?? -1, restarts: supervisor, runIds: distinct, loop },
    };
  },
});
