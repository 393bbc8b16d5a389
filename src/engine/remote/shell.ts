/**
 * The only values that are ever interpolated into a remote command line.
 * Every catalogue command is a constant string; the exceptions are numbers
 * (pids we parsed; the target port, which parseTarget made an integer, in
 * `/etc/redis/<port>.conf`; the step timeout in whole seconds), absolute paths
 * read from the host's own process list, systemd unit or redis.conf, and
 * container ids from `docker ps`. Each passes one of these validators or the
 * command is not built. No user text (target string, Slack text, config
 * strings) reaches this file.
 */
import { isSafeAbsolutePath } from '../shared/shell-words.js';

// The same grammar decides which host paths remediation steps may print (shared/shell-words.ts).
export { isSafeAbsolutePath };

export class UnsafeValueError extends Error {
  override name = 'UnsafeValueError';
}

/** A positive decimal integer up to max (pids, ports, seconds). */
export function safeInt(value: number, max = 4_194_304): string {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new UnsafeValueError(`not a safe integer: ${String(value)}`);
  return String(value);
}

/** A validated path, single-quoted (the validator already excludes quotes; quoting also stops globbing). */
export function safePath(path: string): string {
  if (!isSafeAbsolutePath(path)) throw new UnsafeValueError('not a safe absolute path');
  return `'${path}'`;
}

/** Docker container id: 12 to 64 lower-case hex digits. */
export function safeContainerId(id: string): string {
  if (!/^[0-9a-f]{12,64}$/.test(id)) throw new UnsafeValueError('not a container id');
  return id;
}

/** `sudo -n ` when the target is configured for it: -n never prompts, so a password prompt cannot hang us. */
export function sudoPrefix(enabled: boolean): string {
  return enabled ? 'sudo -n ' : '';
}
