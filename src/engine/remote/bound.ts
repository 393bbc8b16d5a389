/**
 * The time bounds of the SSH phase (issue #10). Kept apart from the session
 * code so remote-run.ts can use them without loading ssh2.
 *
 * - The whole phase (connect, host key, authentication, both scripts) has one
 *   bound: `--ssh-timeout` / `ssh.timeoutMs`, default the larger of 10 s and
 *   5 × the step timeout. A login shell whose rc file takes a second is slow,
 *   not broken; the per-step bound (2 s by default) would call it a failure.
 * - Each command on the host stays bounded by the step timeout (timeout(1) in
 *   whole seconds, rounded up), so one hung tool cannot eat the phase; at
 *   least HOST_TIMEOUT_MIN_SEC, because reading a few config files on a loaded
 *   2-core host can take more than a second, and a bound meant for hung tools
 *   must not cut healthy ones (the phase bound still ends everything).
 */
import type { SshTargetOptions } from '../model/options.js';

export const MIN_SSH_PHASE_MS = 10_000;
export const SSH_PHASE_STEPS = 5;

export function sshPhaseBoundMs(ssh: Pick<SshTargetOptions, 'timeoutMs'>, stepTimeoutMs: number): number {
  if (ssh.timeoutMs !== undefined && ssh.timeoutMs > 0) return Math.round(ssh.timeoutMs);
  return Math.max(MIN_SSH_PHASE_MS, SSH_PHASE_STEPS * Math.round(stepTimeoutMs));
}

/** timeout(1) on the host for each command, and kubectl's --request-timeout. */
export const HOST_TIMEOUT_MIN_SEC = 3;

export function hostTimeoutSec(stepTimeoutMs: number): number {
  return Math.max(HOST_TIMEOUT_MIN_SEC, Math.ceil(stepTimeoutMs / 1000));
}
