/**
 * The SSH checks, started next to the network probes when `options.ssh` is
 * set. The remote module is loaded on demand so a CLI run without --ssh
 * never loads ssh2. Whatever happens there (a throw, a hang), the diagnosis
 * gets a RemoteObservation: a failed session with a reason, never an exception.
 *
 * The SSH phase has its own bound (remote/bound.ts: --ssh-timeout, default
 * the larger of 10 s and 5 × the step timeout), which the remote module keeps
 * itself so that the sections that answered survive a cut. The deadline here
 * is only a safety net a little beyond it.
 */
import type { SshTargetOptions } from '../model/options.js';
import { sshPhaseBoundMs } from '../remote/bound.js';
import type { RemoteFailureReason, RemoteObservation } from '../remote/types.js';
import type { Check, Observations, TargetInfo } from '../model/types.js';
import { unlinkedOomNote } from '../rules/helpers/oom-link.js';
import { now, since } from '../shared/clock.js';

export interface RemoteOutcome {
  observation: RemoteObservation;
  checks: Check[];
}

function failed(ssh: SshTargetOptions, reason: RemoteFailureReason, message: string, durationMs: number): RemoteOutcome {
  return {
    observation: { session: { ok: false, failureReason: reason, message, host: ssh.host, port: ssh.port, durationMs }, commands: [] },
    checks: [{ id: 'ssh-connect', status: 'fail', durationMs, detail: `${message} (${reason})` }],
  };
}

/** How long past the phase bound the remote module may take to close its channels and report. */
const SAFETY_MARGIN_MS = 1500;

export async function runRemote(ssh: SshTargetOptions, target: TargetInfo, timeoutMs: number, signal: AbortSignal, redact?: (text: string) => string, lastAnsweredAt?: string): Promise<RemoteOutcome> {
  const start = now();
  const deadlineMs = sshPhaseBoundMs(ssh, timeoutMs) + SAFETY_MARGIN_MS;
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<RemoteOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('deadline'));
      resolve(failed(ssh, 'timeout', `remote checks did not finish within ${Math.round(deadlineMs)} ms`, since(start)));
    }, Math.max(0, deadlineMs));
  });
  const work = (async (): Promise<RemoteOutcome> => {
    try {
      const remote = await import('../remote/index.js');
      return await remote.runRemoteChecks(ssh, { target, timeoutMs, signal: controller.signal, ...(redact ? { redact } : {}), ...(lastAnsweredAt ? { lastAnsweredAt } : {}) });
    } catch (err) {
      if (controller.signal.aborted) return failed(ssh, 'aborted', 'the diagnosis was aborted', since(start));
      // A bug in the remote module, not a fact about the host. Only the error's class
      // goes into the report: a message could quote a command line.
      return failed(ssh, 'protocol-error', `remote checks failed internally (${err instanceof Error ? err.name : 'error'})`, since(start));
    }
  })();
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The kernel log is host-wide: kills of a redis-server that no pid, cgroup or time ties to the
 * target are said on the ssh-kernel-oom check (pid, cgroup, time), not as a finding.
 */
export function withOomNote(checks: Check[], obs: Observations): Check[] {
  const note = unlinkedOomNote(obs);
  if (!note) return checks;
  return checks.map((c) => (c.id === 'ssh-kernel-oom' ? { ...c, detail: `${c.detail}; ${note}` } : c));
}
