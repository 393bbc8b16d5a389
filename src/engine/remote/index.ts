/**
 * Read-only remote checks over SSH (issues #3, #10): one connection, the fixed
 * catalogue as two scripts on at most two channels (catalogue-run.ts), each
 * command bounded on the host by the step timeout and the whole phase by the
 * SSH phase bound (bound.ts). Failures never throw: a session that could not
 * be opened comes back as `session.ok = false` with a reason, and the
 * diagnosis carries on with the network evidence.
 */
import { readFile } from 'node:fs/promises';
import type { SshTargetOptions } from '../model/options.js';
import type { Check, CheckStatus, TargetInfo } from '../model/types.js';
import { sshPhaseBoundMs } from './bound.js';
import { CATALOGUE } from './catalogue.js';
import { eventsWindow } from '../docker/events.js';
import { runCatalogue } from './catalogue-run.js';
import { SshSession } from './session.js';
import type { RemoteCommandId, RemoteCommandOutcome, RemoteCommandStatus, RemoteObservation } from './types.js';

export type { RemoteObservation } from './types.js';

export interface RemoteContext {
  target: TargetInfo;
  /** The step timeout: each command's bound on the host. The phase bound is `ssh.timeoutMs` (bound.ts). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Replaces the run's secrets in the host's output as it arrives. */
  redact?: (text: string) => string;
  /** The monitor's last good probe (ISO): Docker events are read since then (docker-events). */
  lastAnsweredAt?: string;
}

const FIREWALL_ORDER = ['ufw', 'firewalld', 'iptables', 'ip6tables', 'nft'];

const CHECK_STATUS: Record<RemoteCommandStatus, CheckStatus> = {
  ok: 'pass',
  missing: 'skip',
  unavailable: 'skip',
  denied: 'warn',
  failed: 'warn',
  timeout: 'warn',
};

async function readIfNeeded(content: string | undefined, path: string | undefined): Promise<string | undefined> {
  if (content) return content;
  if (!path) return undefined;
  return readFile(path, 'utf8');
}

function toCheck(o: RemoteCommandOutcome): Check {
  return { id: `ssh-${o.id}`, status: CHECK_STATUS[o.status], durationMs: o.durationMs, detail: o.detail };
}

/** The last good probe as epoch seconds (a second early, a day back at most: docker/events.ts eventsWindow). */
function eventsSince(lastAnsweredAt: string | undefined): { eventsSinceSec?: number } {
  const w = eventsWindow(lastAnsweredAt, Date.now());
  return w.sinceFrom === 'last-good-probe' ? { eventsSinceSec: Math.max(1, Math.floor(w.sinceMs / 1000)) } : {};
}

export async function runRemoteChecks(ssh: SshTargetOptions, ctx: RemoteContext): Promise<{ observation: RemoteObservation; checks: Check[] }> {
  const started = performance.now();
  const timeoutMs = Math.max(1, Math.round(ctx.timeoutMs));
  const boundMs = sshPhaseBoundMs(ssh, timeoutMs);
  const deadline = started + boundMs;
  const opts: SshTargetOptions = { ...ssh };
  const unreadable = (reason: 'known-hosts-unreadable' | 'key-unreadable', what: string, err: unknown) => {
    const session = { ok: false, failureReason: reason, message: `cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, host: ssh.host, port: ssh.port, user: ssh.user, durationMs: 0 } as const;
    return { observation: { session: { ...session }, commands: [] }, checks: [{ id: 'ssh-connect', status: 'fail' as const, durationMs: 0, detail: `${session.message} (${reason})` }] };
  };
  try {
    opts.knownHosts = (await readIfNeeded(ssh.knownHosts, ssh.knownHostsPath)) ?? '';
  } catch (err) {
    return unreadable('known-hosts-unreadable', 'the known_hosts file', err);
  }
  try {
    const key = await readIfNeeded(ssh.privateKey, ssh.privateKeyPath);
    if (key !== undefined) opts.privateKey = key;
  } catch (err) {
    return unreadable('key-unreadable', 'the SSH private key', err);
  }

  // Connecting is part of the phase: it gets what is left of the bound, not the step timeout.
  const { session, info } = await SshSession.open(opts, Math.max(1, Math.round(deadline - performance.now())), ctx.signal);
  const observation: RemoteObservation = { session: info, commands: [] };
  const connectDetail = info.ok
    ? `${info.user}@${info.host}:${info.port}: ${info.hostKey?.type ?? 'host'} key ${info.hostKey?.fingerprint ?? ''} matches known_hosts line ${info.hostKey?.line ?? '?'}`
    : `${info.user}@${info.host}:${info.port}: ${info.message ?? 'failed'} (${info.failureReason})`;
  const checks: Check[] = [{ id: 'ssh-connect', status: info.ok ? 'pass' : 'fail', durationMs: info.durationMs, detail: connectDetail }];
  if (!session) return { observation, checks };

  let outcomes: Map<RemoteCommandId, RemoteCommandOutcome>;
  try {
    outcomes = await runCatalogue(session, observation, {
      targetPort: ctx.target.port,
      stepTimeoutMs: timeoutMs,
      deadline,
      boundMs,
      sudo: opts.sudo === true,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.redact ? { redact: ctx.redact } : {}),
      ...eventsSince(ctx.lastAnsweredAt),
    });
  } finally {
    session.close();
  }
  // Completion order varies; reports should not.
  observation.firewall?.sort((a, b) => FIREWALL_ORDER.indexOf(a.tool) - FIREWALL_ORDER.indexOf(b.tool));
  for (const entry of CATALOGUE) {
    const o = outcomes.get(entry.id);
    if (!o) continue;
    observation.commands.push(o);
    checks.push(toCheck(o));
  }
  return { observation, checks };
}
