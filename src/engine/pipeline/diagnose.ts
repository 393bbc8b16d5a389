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
import { runRemote, type RemoteOutcome } from './remote-phase.js';
import { StepRecorder } from './steps.js';
import { now, since } from '../shared/clock.js';
import { ALERT_WAIT_MAX_MS } from '../probes/tls-alert.js';
import { VERSION } from '../../version.js';

/**
 * The longest chain of network steps, one after the other: dns, tcp-connect,
 * tls-handshake and redis-handshake at one timeout each, then tls-alert (at
 * most ALERT_WAIT_MAX_MS). The other chains are shorter: tls-sniff or
 * plaintext-ping take the place of a step that ended early, and after a
 * refused connect the neighbour scan and loopback probe run side by side
 * within one timeout.
 */
function runDeadlineMs(timeoutMs: number): number {
  return timeoutMs * 4 + ALERT_WAIT_MAX_MS;
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
  const runMs = runDeadlineMs(timeoutMs);
  const deadlineAt = start + runMs;
  if (options.signal?.aborted) throw abortError(options.signal);

  const controller = new AbortController();
  // The neighbour scan alone listens with a dozen probes at once; that is by design, not a leak.
  setMaxListeners(64, controller.signal);
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
  try {
    // Aborted by the caller only: the probes' deadline (hardStop) is shorter than the SSH phase bound.
    const remote: Promise<RemoteOutcome> | undefined = options.ssh
      ? runRemote(options.ssh, info, timeoutMs, options.signal ?? new AbortController().signal)
      : undefined;
    await runNetworkProbes({
      obs,
      options,
      steps,
      signal: controller.signal,
      budget: () => Math.max(0, Math.min(timeoutMs, deadlineAt - now())),
    });
    if (remote) {
      const outcome = await remote;
      obs.remote = outcome.observation;
      steps.add(outcome.checks);
    }
  } finally {
    clearTimeout(hardStop);
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (options.signal?.aborted) throw abortError(options.signal);

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
  return new Redactor().add(options.credentials?.password).redactDeep(diagnosis);
}
