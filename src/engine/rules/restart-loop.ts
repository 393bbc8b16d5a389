/**
 * The server keeps restarting: each start is a new process with a new INFO
 * `run_id` (random, 40 hex characters) and `uptime_in_seconds` from 0; it
 * drops every connection, loads the dataset again (-LOADING meanwhile) or
 * starts empty. Evidence:
 *  - the monitor's history (TargetHistory.runIdChanges, monitor/restarts.ts):
 *    each run_id its ticks read that differed from the one before — restarts
 *    seen, not inferred. This diagnosis's INFO adds one when it shows a run_id
 *    the monitor never read (run_ids are random: an ended process's never
 *    comes back);
 *  - systemd's NRestarts of the unit whose MainPID serves the port (over SSH,
 *    tied by pid), with Result and ExecMainStatus of the last exit;
 *  - a container's RestartCount (the container that publishes the port);
 *  - Docker's events of that container since the last good probe: each die followed by a
 *    start is a restart seen (docker/events.ts), as the monitor's run_id changes are;
 *  - INFO server uptime_in_seconds below RECENT_S: it (re)started a moment ago.
 *
 * Honesty: a restart is not a loop. A loop takes LOOP restarts seen by the
 * monitor (`confirmed`), or a small uptime with LOOP restarts counted by the
 * supervisor (`confirmed`). One restart, or a small uptime when the monitor
 * saw the target answer before this process started, is an info note
 * (`possible`). A small uptime and nothing else says nothing: a first
 * diagnosis of a server just started is not a restart.
 *
 * Critical when the target does not answer now (a restart in progress is what
 * its clients meet); a warning when it answers, between restarts. Ranked with
 * the servers that are gone (above server-not-running and connection-refused):
 * it says why the port refuses now and then. Why it exits (an OOM kill, a
 * crash, a failing load) is what the steps look for; oom-killed, ranked
 * first, names the kernel's kill when SSH shows it.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { info, infoNumber, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';
import { hostName, remoteOf } from './helpers/host.js';
import { servingUnit } from './helpers/serving.js';
import { targetContainer } from './helpers/containers.js';
import { containerEvents, containerEventsLine, eventsWindowText } from './helpers/container-events.js';

export const RECENT_S = 600;
/** Restarts that make a loop. */
export const LOOP = 2;
const MAX_READ = 50;
const SHOWN = 5;
/** Clock skew between the caller's record and the server's clock tolerated (s). */
const SLACK_S = 5;
/** A unit or container name put into a shell line of a fix: plain characters only. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9@._:-]{0,99}$/;
const RUN_ID = /^[0-9a-f]{40}$/;

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : String(ms);
}

function minutes(ms: number): string {
  return `${Math.max(1, Math.round(ms / 60_000))} min`;
}

export const rule = defineRule({
  cause: 'restart-loop',
  impact: 'unusable',
  evaluate(obs) {
    const uptime = infoNumber(obs, 'uptime_in_seconds');
    const small = uptime !== undefined && uptime >= 0 && uptime < RECENT_S;
    const rawRunId = info(obs, 'run_id');
    // Outside text: a run_id is 40 hex digits or it is not one.
    const runId = rawRunId !== undefined && RUN_ID.test(rawRunId.slice(0, 41)) ? rawRunId : undefined;

    // What the monitor saw.
    const changes = (obs.history?.runIdChanges ?? []).slice(-MAX_READ).filter((c) => typeof c.runId === 'string' && RUN_ID.test(c.runId) && Number.isFinite(c.at));
    const unseen = changes.length > 0 && runId !== undefined && !changes.some((c) => c.runId === runId);
    const seenRestarts = changes.length + (unseen ? 1 : 0);

    // What the supervisor counted.
    const unit = servingUnit(obs);
    const remote = remoteOf(obs);
    const port = obs.target.port;
    // The container that publishes the port (Engine API or docker inspect over SSH: helpers/containers.ts).
    const bound = targetContainer(obs);
    const container = bound && bound.how === 'binding' && bound.container.restartCount !== undefined ? bound.container : undefined;
    const supervisor = Math.max(unit?.nRestarts ?? 0, container?.restartCount ?? 0);
    // Docker's own events of that container since the last good probe: each die then start is a restart seen, not inferred.
    const ce = bound && bound.how !== 'redis' ? containerEvents(obs, bound.container) : undefined;
    const eventRestarts = ce?.restarts ?? 0;

    const loop = seenRestarts >= LOOP || eventRestarts >= LOOP || (small && supervisor >= LOOP);
    // The caller saw it answer before this process started (the monitor's last good probe): it restarted since.
    const nowSec = obs.latencyEvents?.nowSec ?? obs.slowlog?.nowSec;
    const lastAnswered = Date.parse(obs.history?.lastAnsweredAt ?? '');
    const since = small && nowSec !== undefined && Number.isFinite(lastAnswered) && lastAnswered / 1000 < nowSec - uptime! - SLACK_S;
    const note = (small && (supervisor >= 1 || seenRestarts >= 1 || since)) || eventRestarts === 1;
    const past = !small && supervisor >= LOOP;
    if (!loop && !note && !past) return undefined;

    const answering = obs.resp?.ok === true;
    const evidence: string[] = [
      ...changes.slice(-SHOWN).map((c) => `the monitor read a new run_id ${c.runId.slice(0, 12)}… at ${iso(c.at)}: a new process since its previous read`),
      ...(changes.length > SHOWN ? [`… and ${changes.length - SHOWN} earlier changes`] : []),
      ...(unseen ? [`this diagnosis read run_id ${runId!.slice(0, 12)}… with uptime_in_seconds ${uptime ?? '?'}: one more start since the monitor's last read`] : []),
    ];
    if (!unseen && uptime !== undefined) evidence.push(`INFO server uptime_in_seconds:${uptime}${runId ? ` run_id:${runId.slice(0, 12)}…` : ''}${small ? ' — this process started a moment ago' : ''}`);
    if (unit && remote) evidence.push(`systemctl show ${unit.id} on ${hostName(remote)}: NRestarts=${unit.nRestarts ?? '?'}${unit.result ? ` Result=${unit.result}` : ''}${unit.execMainStatus !== undefined ? ` ExecMainStatus=${unit.execMainStatus}` : ''} (MainPID ${unit.mainPid} listens on port ${port})`);
    if (container) evidence.push(`docker inspect ${container.name}: RestartCount ${container.restartCount} (publishes port ${port}; ${container.status})`);
    if (ce && eventRestarts > 0) evidence.push(containerEventsLine(obs, bound!.container)!);
    if (since) evidence.push(`the monitor's last answer from this target was at ${obs.history!.lastAnsweredAt!.slice(0, 40)}, before this process started`);
    if (loop) {
      evidence.push(answering ? 'it answers PING now: between two restarts' : 'it does not answer now: a restart in progress, or down for good');
      evidence.push('each restart drops every client connection (and, without persistence, the data set)');
    } else {
      evidence.push(supervisor >= LOOP ? `restarted ${supervisor} times since its supervisor started it, but it has been up ${uptime ?? '?'} s now: a past loop` : 'one restart is not a loop: diagnose again in a few minutes to see whether uptime_in_seconds keeps growing');
    }

    const counted = seenRestarts >= LOOP
      ? `restarted ${seenRestarts} times${changes.length ? ` within ${minutes(Math.max(0, changes[changes.length - 1]!.at - (obs.history?.runIdsSince ?? changes[0]!.at)))}` : ''} of monitoring (its run_id changed between probes)`
      : ce && eventRestarts >= LOOP
        ? `restarted ${eventRestarts} times ${eventsWindowText(ce)} (Docker events of container ${bound!.container.name}: die, then start)`
        : `keeps restarting (${supervisor} restarts counted by ${unit ? `systemd unit ${unit.id}` : `container ${container?.name ?? '?'}`})`;
    const t = fixTarget(obs);
    return {
      severity: loop ? (answering ? 'warning' : 'critical') : 'info',
      confidence: loop ? 'confirmed' : 'possible',
      title: loop
        ? `${targetLabel(obs)} ${counted}: a restart loop, every restart drops all clients`
        : small ? `${targetLabel(obs)} restarted ${uptime} s ago: clients were disconnected then` : eventRestarts === 1 && supervisor < LOOP ? `Container ${bound!.container.name} of ${targetLabel(obs)} restarted once ${eventsWindowText(ce!)}: clients were disconnected then` : `${targetLabel(obs)} was restarted ${supervisor} times by its supervisor`,
      evidence,
      remediations: [REMEDIATIONS['find-restart-cause'](t, { ...(unit && SAFE_NAME.test(unit.id) ? { unit: unit.id } : {}), ...(container && SAFE_NAME.test(container.name) ? { container: container.name } : ce && SAFE_NAME.test(bound!.container.name) ? { container: bound!.container.name } : {}) })],
      details: { uptime: uptime ?? -1, restarts: Math.max(seenRestarts, supervisor, eventRestarts), runIds: seenRestarts, loop, ...(ce?.read.ok ? { eventRestarts } : {}) },
    };
  },
});
