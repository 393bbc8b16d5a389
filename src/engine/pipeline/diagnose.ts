/**
 * diagnose(target, options) → Diagnosis: runs the probes, the remote checks
 * when SSH is configured, then the rules. Bounded: every network step gets
 * at most `timeoutMs` and the whole run has a deadline, so a misbehaving
 * server or step cannot hold it. `options.signal` aborts the run (the
 * promise rejects with the signal's reason).
 *
 * The SSH checks, when configured, run next to the probes with a bound of
 * their own (remote-run.ts), which the run's deadline does not cut: the
 * diagnosis ends when both are done.
 *
 * Secrets: the password only travels to the RESP session; the returned
 * document is scrubbed of it once more before it leaves.
 */
import { setMaxListeners } from 'node:events';
import { DEFAULT_TIMEOUT_MS, type DiagnoseOptions, type DiagnoseTarget } from '../model/options.js';
import type { Diagnosis, Observations, TargetInfo } from '../model/types.js';
import { Redactor } from '../shared/redact.js';
import { hideUrlPassword } from '../model/target.js';
import { evaluate } from './evaluate.js';
import { runNetworkProbes } from './network-probes.js';
import { runRemote, withOomNote, type RemoteOutcome } from './remote-phase.js';
import { finishDockerPhase, startDockerPhase } from './docker-phase.js';
import { StepRecorder } from './steps.js';
import { now, since } from '../shared/clock.js';
import { ALERT_WAIT_MAX_MS } from '../probes/tls-alert.js';
import { FOLLOW_HOP_TIMEOUTS, HELLO_WAIT_MAX_MS } from './topology-phase.js';
import { VERSION } from '../../version.js';

/**
 * The longest chain of network steps, one after the other: dns, tcp-connect,
 * tls-handshake and redis-handshake at one timeout each, then tls-alert (at
 * most ALERT_WAIT_MAX_MS). The other chains are shorter: tls-sniff or
 * plaintext-ping take the place of a step that ended early, and after a
 * refused connect the neighbour scan and loopback probe run side by side
 * within one timeout.
 *
 * The topology phase adds to it, explicitly: the follow-up round trip (one
 * timeout), the listen for Sentinel hellos when a Sentinel master is named
 * (HELLO_WAIT_MAX_MS), and the follow hop, bounded as a whole by
 * FOLLOW_HOP_TIMEOUTS timeouts (its probes run side by side). tls-alert and the
 * topology phase never both run: one needs a session that got no reply, the
 * other one that answered; the bound adds them anyway, for simplicity.
 */
export function runDeadlineMs(timeoutMs: number, options: Pick<DiagnoseOptions, 'topology'> = {}): number {
  const topology = options.topology?.follow === false
    ? timeoutMs
    : timeoutMs * (1 + FOLLOW_HOP_TIMEOUTS) + (options.topology?.sentinelMaster ? HELLO_WAIT_MAX_MS : 0);
  return timeoutMs * 4 + ALERT_WAIT_MAX_MS + topology;
}

function publicTarget(target: DiagnoseTarget): TargetInfo {
  const out: TargetInfo = {
    // A URL password in the input string is replaced even if the caller forgot.
    input: hideUrlPassword(target.input),
    host: target.host,
    port: target.port,
    tls: target.tls,
  };
  if (target.name !== undefined) out.name = target.name;
  if (target.user !== undefined) out.user = target.user;
  if (target.db !== undefined) out.db = target.db;
  return out;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The diagnosis was aborted', 'AbortError');
}

export async function diagnose(target: DiagnoseTarget, options: DiagnoseOptions = {}): Promise<Diagnosis> {
  const startedAt = new Date().toISOString();
  const start = now();
  const timeoutMs = options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : DEFAULT_TIMEOUT_MS;
  const runMs = runDeadlineMs(timeoutMs, options);
  const deadlineAt = start + runMs;
  if (options.signal?.aborted) throw abortError(options.signal);

  const controller = new AbortController();
  // The neighbour scan listens with a dozen probes at once, the follow hop with one or two per
  // followed node (at most MAX_FOLLOWED_NODES, and their bus ports); that is by design, not a leak.
  setMaxListeners(128, controller.signal);
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const hardStop = setTimeout(() => controller.abort(new Error('deadline')), runMs);

  const info = publicTarget(target);
  const user = options.credentials?.user ?? target.user;
  const obs: Observations = {
    target: info,
    client: { authProvided: Boolean(options.credentials?.password), ...(user ? { user } : {}), remote: false, timeoutMs },
    ...(options.history ? { history: options.history } : {}),
  };
  const steps = new StepRecorder(options.onProgress);
  // Secrets are replaced in outside text where it enters (server replies in the probes, host output
  // in the remote module, the observations below), never in the tool's own words: a password
  // "redis" leaves "redis-cli" in a remediation alone. The tool's texts never carry a password.
  const redactor = new Redactor().add(options.credentials?.password);
  try {
    // Aborted by the caller only: the probes' deadline (hardStop) is shorter than the SSH phase bound.
    const remote: Promise<RemoteOutcome> | undefined = options.ssh
      ? runRemote(options.ssh, info, timeoutMs, options.signal ?? new AbortController().signal, (t) => redactor.redact(t), options.history?.lastAnsweredAt)
      : undefined;
    // Docker's state (issue #19): bounded by its own phase bound, aborted with the caller.
    const docker = startDockerPhase(obs, options, timeoutMs, options.signal ?? new AbortController().signal);
    await runNetworkProbes({
      obs,
      options,
      steps,
      signal: controller.signal,
      budget: () => Math.max(0, Math.min(timeoutMs, deadlineAt - now())),
      remaining: () => Math.max(0, deadlineAt - now()),
      timeoutMs,
    });
    if (remote) {
      const outcome = await remote;
      obs.remote = outcome.observation;
      steps.add(withOomNote(outcome.checks, obs));
    }
    steps.add(finishDockerPhase(await docker, obs, options));
  } finally {
    clearTimeout(hardStop);
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (options.signal?.aborted) throw abortError(options.signal);
  redactObservations(obs, redactor);

  const { findings, primaryCause, verdict } = evaluate(obs);
  const diagnosis: Diagnosis = {
    target: info,
    verdict,
    primaryCause,
    findings,
    checks: steps.checks,
    durationMs: since(start),
    startedAt,
    version: VERSION,
  };
  return diagnosis;
}

/** What the probes saw: outside text through and through (the target, client and history are the caller's). */
const OUTSIDE: readonly (keyof Observations)[] = ['dns', 'tcp', 'tls', 'tlsSniff', 'plaintextPing', 'resp', 'info', 'config', 'neighbours', 'loopback', 'remote', 'docker', 'topology', 'latency', 'slowlog', 'latencyEvents', 'clients', 'connections'];

function redactObservations(obs: Observations, redactor: Redactor): void {
  const o = obs as unknown as Record<string, unknown>;
  for (const key of OUTSIDE) if (o[key] !== undefined) o[key] = redactor.redactDeep(o[key]);
}
