/**
 * The container that publishes (or published) the target's port is not running (issue #19):
 * exited, restarting (its restart policy starts it again and again), dead, created and
 * never started, or paused. Docker's state says so (rules/helpers/containers.ts): a stopped
 * container keeps its HostConfig.PortBindings, so the binding still names the port.
 * `details`: state, exit code, restart count, the last log lines (redacted where they
 * entered: docker/log-tail.ts). A `FATAL CONFIG FILE ERROR` in the log is quoted as the
 * reason. A running container whose RestartCount is high while Redis does not answer is
 * restarting between two probes: reported as restarting.
 * Confirmed when the binding (or the target's docker.container) names the container; likely
 * for the only Redis container of the engine.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Remediation } from '../model/types.js';
import type { DockerContainer } from '../remote/types.js';
import { bindingsOf, bindingText, redisAnswered, targetContainer } from './helpers/containers.js';
import { defineRule } from './helpers/define.js';
import { containerEvents, containerEventsLine, eventsWindowText } from './helpers/container-events.js';
import { isSafeContainerName } from '../shared/shell-words.js';

/** Restarts seen on a running container before it counts as a loop caught between two starts. */
export const LOOP_RESTARTS = 3;

/** The config error Redis printed before exiting: the FATAL line and the two that name the directive. */
export function configError(log: readonly string[] | undefined): string | undefined {
  if (!log) return undefined;
  const at = log.findIndex((l) => l.includes('FATAL CONFIG FILE ERROR'));
  if (at < 0) return undefined;
  return log
    .slice(at + 1, at + 4)
    .map((l) => l.trim())
    .filter((l) => l && !/^\*{3}/.test(l))
    .join(' ')
    .slice(0, 300) || 'FATAL CONFIG FILE ERROR';
}

/** Restarts seen in Docker events since the last good probe that make a loop of a running container. */
export const LOOP_EVENT_RESTARTS = 2;

function stateOf(c: DockerContainer, eventRestarts: number): string | undefined {
  if (c.state === 'restarting') return 'restarting';
  if (!c.running) return c.state ?? 'exited';
  if (c.state === 'paused') return 'paused';
  if ((c.restartCount ?? 0) >= LOOP_RESTARTS || eventRestarts >= LOOP_EVENT_RESTARTS) return 'restarting';
  return undefined;
}

export const rule = defineRule({
  cause: 'container-not-running',
  impact: 'unusable',
  supersedes: ['connection-refused', 'connection-timeout', 'server-not-running', 'container-port-not-published', 'bind-loopback-only', 'wrong-port'],
  evaluate(obs) {
    if (redisAnswered(obs)) return undefined;
    const tc = targetContainer(obs);
    if (!tc) return undefined;
    const c = tc.container;
    const ce = containerEvents(obs, c);
    const state = stateOf(c, ce?.restarts ?? 0);
    if (!state) return undefined;
    // An unnamed, unbound Redis container that stopped says little when others run: only when it is the one.
    if (tc.how === 'redis' && tc.view.containers.some((o) => o !== c && o.redis && o.running)) return undefined;
    const error = configError(c.logTail);
    const ports = bindingsOf(c).map(bindingText).join(', ');
    const evidence = [
      `${tc.view.where}: container ${c.name} (${c.image}) is ${state}${c.status ? ` ("${c.status}")` : ''}${ports ? `, it publishes ${ports}` : ''}`,
      `State: ${[
        c.state ? `Status ${c.state}` : undefined,
        c.exitCode !== undefined ? `ExitCode ${c.exitCode}` : undefined,
        c.oomKilled !== undefined ? `OOMKilled ${c.oomKilled}` : undefined,
        c.restartCount !== undefined ? `RestartCount ${c.restartCount}` : undefined,
        c.restartPolicy ? `restart policy ${c.restartPolicy}` : undefined,
        c.finishedAt ? `FinishedAt ${c.finishedAt}` : undefined,
        c.error ? `Error "${c.error}"` : undefined,
      ].filter(Boolean).join(', ') || 'not inspected'}`,
    ];
    if (error) evidence.push(`its log: FATAL CONFIG FILE ERROR — ${error}`);
    const eventsLine = containerEventsLine(obs, c);
    if (eventsLine) evidence.push(eventsLine);
    if (c.logTail?.length) evidence.push(`last log lines (docker logs --tail ${c.logTail.length}, redacted): ${c.logTail.slice(-6).join(' ⏎ ')}`);
    const t = fixTarget(obs);
    const remediations: Remediation[] = [
      REMEDIATIONS['start-container'](t, {
        container: c.name,
        state,
        ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
        ...(c.restartCount !== undefined ? { restartCount: c.restartCount } : {}),
        ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}),
        ...(error ? { configError: error } : {}),
      }),
    ];
    if (c.oomKilled) remediations.push(REMEDIATIONS['raise-container-memory'](t, { container: c.name, ...(c.memoryBytes !== undefined ? { memoryBytes: c.memoryBytes } : {}) }));
    // Docker refuses such a name: one outside its grammar means the engine's answer was forged (issue #16).
    const named = isSafeContainerName(c.name);
    if (!named) evidence.push('the container name above is not one Docker accepts ([a-zA-Z0-9][a-zA-Z0-9_.-]+): it is quoted, not repeated in any command');
    return {
      severity: 'critical',
      confidence: named ? tc.confidence : 'possible',
      title: state === 'restarting'
        ? `Container ${c.name} keeps restarting${c.restartCount !== undefined ? ` (RestartCount ${c.restartCount}${ce && ce.restarts > 0 ? `, ${ce.restarts} ${eventsWindowText(ce)}` : ''})` : ''}${error ? ': Redis rejects its configuration' : ''}; nothing serves port ${obs.target.port}`
        : `Container ${c.name}${tc.bindings.length ? `, which publishes port ${obs.target.port},` : ''} is ${state}${c.exitCode !== undefined && state === 'exited' ? ` (exit code ${c.exitCode})` : ''}`,
      evidence,
      remediations,
      details: {
        container: c.name,
        state,
        ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
        ...(c.restartCount !== undefined ? { restartCount: c.restartCount } : {}),
        ...(c.oomKilled !== undefined ? { oomKilled: c.oomKilled } : {}),
        ...(c.logTail?.length ? { logTail: c.logTail.slice(-10).join('\n') } : {}),
        ...(error ? { configError: error } : {}),
        ...(ce?.read.ok ? { eventsSince: ce.read.since, restartsSince: ce.restarts, ...(ce.deaths.length ? { lastDiedAt: new Date(ce.deaths[ce.deaths.length - 1]!.at).toISOString(), ...(ce.deaths[ce.deaths.length - 1]!.exitCode !== undefined ? { lastDieExitCode: ce.deaths[ce.deaths.length - 1]!.exitCode! } : {}), ...(ce.deaths[ce.deaths.length - 1]!.oom ? { lastDieOom: true } : {}) } : {}) } : {}),
      },
    };
  },
});
