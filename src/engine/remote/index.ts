/**
 * Read-only remote checks over SSH (issue #3): one connection, the fixed
 * catalogue as parallel channels (a command that needs another's parsed
 * output starts when that one is back), every step bounded by the
 * timeout. Failures never throw: a session that could not be opened comes back
 * as `session.ok = false` with a reason, and the diagnosis carries on with the
 * network evidence.
 */
import { readFile } from 'node:fs/promises';
import type { SshTargetOptions } from '../model/options.js';
import type { Check, CheckStatus, TargetInfo } from '../model/types.js';
import { CATALOGUE, planPhase2, type CatalogueEntry } from './catalogue.js';
import { CHANNEL_REFUSED, outcomeOf } from './outcome.js';
import { preamble } from './scripts.js';
import { SshSession, type ExecResult } from './session.js';
import type { RemoteCommandId, RemoteCommandOutcome, RemoteCommandStatus, RemoteObservation } from './types.js';

export type { RemoteObservation } from './types.js';

export interface RemoteContext {
  target: TargetInfo;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** sshd's MaxSessions defaults to 10 sessions per connection (sshd_config(5)). */
const MAX_PARALLEL_CHANNELS = 10;

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

/**
 * Runs the catalogue over one session: every command whose `needs` are parsed
 * starts at once, at most `limit` channels at a time. A channel the server
 * refused while others were open (sshd's MaxSessions, 10 by default) goes back
 * in the queue, and the limit drops to what was in flight: it runs again once
 * a channel that was admitted has finished. Only a refusal with nothing else
 * in flight counts as the command's failure. Bounded: after a refusal no
 * channel opens until an admitted one completes, so there are at most as many
 * new attempts as completed commands.
 */
function schedule(entries: readonly CatalogueEntry[], limit: number, run: (e: CatalogueEntry) => Promise<RemoteCommandOutcome>): Promise<Map<RemoteCommandId, RemoteCommandOutcome>> {
  const done = new Map<RemoteCommandId, RemoteCommandOutcome>();
  const waiting = [...entries];
  let inFlight = 0;
  let max = limit;
  return new Promise((resolve) => {
    const pump = () => {
      for (let i = 0; i < waiting.length && inFlight < max; ) {
        const e = waiting[i]!;
        if (!e.needs.every((n) => done.has(n))) {
          i++;
          continue;
        }
        waiting.splice(i, 1);
        inFlight++;
        void run(e).then((o) => {
          inFlight--;
          if (o.status === 'failed' && o.detail.startsWith(CHANNEL_REFUSED) && inFlight > 0) {
            max = Math.max(1, Math.min(max, inFlight));
            waiting.unshift(e);
          } else {
            done.set(e.id, o);
          }
          pump();
        });
      }
      if (inFlight === 0) resolve(done);
    };
    pump();
  });
}

function toCheck(o: RemoteCommandOutcome): Check {
  return { id: `ssh-${o.id}`, status: CHECK_STATUS[o.status], durationMs: o.durationMs, detail: o.detail };
}

export async function runRemoteChecks(ssh: SshTargetOptions, ctx: RemoteContext): Promise<{ observation: RemoteObservation; checks: Check[] }> {
  const timeoutMs = Math.max(1, Math.round(ctx.timeoutMs));
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

  const { session, info } = await SshSession.open(opts, timeoutMs, ctx.signal);
  const observation: RemoteObservation = { session: info, commands: [] };
  const connectDetail = info.ok
    ? `${info.user}@${info.host}:${info.port}: ${info.hostKey?.type ?? 'host'} key ${info.hostKey?.fingerprint ?? ''} matches known_hosts line ${info.hostKey?.line ?? '?'}`
    : `${info.user}@${info.host}:${info.port}: ${info.message ?? 'failed'} (${info.failureReason})`;
  const checks: Check[] = [{ id: 'ssh-connect', status: info.ok ? 'pass' : 'fail', durationMs: info.durationMs, detail: connectDetail }];
  if (!session) return { observation, checks };

  const prefix = preamble(opts.sudo === true);
  const timeoutSec = Math.max(1, Math.floor(timeoutMs / 1000));
  const run = async (entry: CatalogueEntry): Promise<RemoteCommandOutcome> => {
    let script: string | null;
    try {
      script = entry.script(planPhase2(observation, ctx.target.port, timeoutSec));
    } catch {
      // A value failed validation (shell.ts): the command is not built at all.
      return { id: entry.id, status: 'failed', durationMs: 0, detail: 'not run: a value failed validation' };
    }
    if (script === null) return { id: entry.id, status: 'unavailable', durationMs: 0, detail: 'nothing to inspect' };
    const res = ctx.signal?.aborted ? abortedResult() : await session.exec(`${prefix}\n${script}`, timeoutMs);
    // Parsed as soon as it is back: the commands that need it are planned from the observation.
    return outcomeOf(entry, res, observation);
  };
  let outcomes: Map<RemoteCommandId, RemoteCommandOutcome>;
  try {
    outcomes = await schedule(CATALOGUE, MAX_PARALLEL_CHANNELS, run);
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

function abortedResult(): ExecResult {
  return { stdout: '', stderr: 'aborted', exitCode: null, timedOut: true, openFailed: false, truncated: false, durationMs: 0 };
}
