/**
 * Redis closes a client whose output buffer (replies queued, not yet read)
 * passes client-output-buffer-limit for its class: at once past the hard
 * limit, or after staying above the soft limit for its seconds
 * (networking.c checkClientOutputBufferLimits; the log says "Client … scheduled
 * to be closed ASAP for overcoming of output buffer limits"). A pub/sub
 * subscriber that cannot keep up (stopped, overloaded, a slow link) then
 * misses every message until it reconnects; a replica being synced is
 * dropped and the full sync starts over.
 *
 * Evidence:
 *  - INFO stats client_output_buffer_limit_disconnections (Redis ≥ 7.4):
 *    closures since the server started — `confirmed`, a warning;
 *  - CLIENT LIST: a pub/sub or replica client whose omem is at or above its
 *    class's soft limit, or NEAR_HARD of the hard limit: it is being (or about
 *    to be) closed — `likely`, a warning.
 *  - over SSH, the log of THIS server (helpers/server-log.ts: the `logfile` of
 *    the config of the process serving the port, or its unit's journal): the
 *    lines "Client … scheduled to be closed ASAP for overcoming of output
 *    buffer limits" in its last 256 kB — `confirmed`, a warning. Servers
 *    before 7.4 keep no counter, and CLIENT LIST no longer shows a client once
 *    it is closed: at 3 a.m. the log line is the only trace.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { BufferedClient, Remediation } from '../model/types.js';
import { parseOutputBufferLimits, type OutputBufferLimit } from '../probes/client-list.js';
import { config, humanBytes, infoNumber, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';
import { hostName } from './helpers/host.js';
import { logSpan, logUnread, tiedServerLog } from './helpers/server-log.js';
import type { LogClosure } from '../remote/types.js';
import { secondsBetween } from '../remote/parsers/redis-log.js';

export const NEAR_HARD = 0.5;
/** Closures only in the log, the last one older than this (by the host's clock): a past episode, an info note. */
export const OLD_LOG_S = 24 * 3600;

function ago(sec: number): string {
  if (sec < 120) return `${sec} s`;
  if (sec < 7200) return `${Math.round(sec / 60)} min`;
  if (sec < 172800) return `${Math.round(sec / 3600)} h`;
  return `${Math.round(sec / 86400)} days`;
}

const KIND: Record<LogClosure['kind'], string> = { pubsub: 'pub/sub subscriber', replica: 'replica', master: 'primary link', normal: 'normal client' };

/** `pub/sub ` or `replica ` when every closure listed is of that class. */
function classWord(closures: LogClosure[]): string {
  const kinds = new Set(closures.map((c) => c.kind));
  if (kinds.size !== 1) return '';
  return kinds.has('pubsub') ? 'pub/sub ' : kinds.has('replica') ? 'replica ' : '';
}

function closureText(c: LogClosure): string {
  return `${KIND[c.kind]} (flags=${c.flags})${c.addr ? ` ${c.addr}` : ''}${c.name ? ` (name "${c.name}")` : ''}${c.cmd ? `, last command ${c.cmd}` : ''}${c.pid !== undefined ? `, logged by pid ${c.pid}` : ''}`;
}

function atRisk(c: BufferedClient, limits: OutputBufferLimit[]): OutputBufferLimit | undefined {
  const l = limits.find((x) => x.class === c.kind);
  if (!l || c.kind === 'normal') return undefined;
  if (l.softBytes > 0 && c.omemBytes >= l.softBytes) return l;
  if (l.hardBytes > 0 && c.omemBytes >= l.hardBytes * NEAR_HARD) return l;
  return undefined;
}

function limitText(l: OutputBufferLimit): string {
  return `${l.class} hard ${l.hardBytes ? humanBytes(l.hardBytes) : 'none'}, soft ${l.softBytes ? `${humanBytes(l.softBytes)} for ${l.softSeconds} s` : 'none'}`;
}

export const rule = defineRule({
  cause: 'output-buffer-disconnects',
  impact: 'degrading',
  evaluate(obs) {
    const closed = infoNumber(obs, 'client_output_buffer_limit_disconnections');
    const raw = config(obs, 'client-output-buffer-limit');
    const limits = parseOutputBufferLimits(raw);
    const risky = (obs.clients?.buffered ?? []).map((c) => ({ c, l: atRisk(c, limits) })).filter((x) => x.l !== undefined);
    const tied = tiedServerLog(obs);
    const log = tied?.log?.status === 'read' ? tied.log : undefined;
    const logged = log && log.bufferClosures > 0 ? log : undefined;
    if ((closed === undefined || closed <= 0) && risky.length === 0 && !logged) return undefined;
    const evidence: string[] = [];
    if (closed !== undefined && closed > 0) {
      const up = infoNumber(obs, 'uptime_in_seconds');
      evidence.push(`INFO stats client_output_buffer_limit_disconnections:${closed} — clients closed for exceeding client-output-buffer-limit${up !== undefined ? ` in ${up} s since the server started` : ''}`);
    }
    const lastLogged = logged?.closures.at(-1);
    const age = logged ? secondsBetween(lastLogged?.at, logged.hostNow) : undefined;
    const when = lastLogged?.at ? `${lastLogged.at}${age !== undefined && age >= 0 ? `, ${ago(age)} ago by the host's clock` : ''}` : undefined;
    if (logged) {
      const last = lastLogged;
      const byKind = (['pubsub', 'replica', 'master', 'normal'] as const).map((k) => [k, logged.closures.filter((c) => c.kind === k).length] as const).filter(([, n]) => n > 0);
      evidence.push(
        `server log ${tied!.name} on ${hostName(tied!.remote)} (${tied!.tie}): ${logged.bufferClosures} client${logged.bufferClosures === 1 ? '' : 's'} closed "for overcoming of output buffer limits" in ${logSpan(logged)}` +
          (last ? `; the last at ${when ?? 'a time the log does not show in Redis\' format'}: ${closureText(last)}` : '') +
          (byKind.length > 1 || logged.bufferClosures > logged.closures.length ? `; of the last ${logged.closures.length}: ${byKind.map(([k, n]) => `${n} ${k}`).join(', ')}` : ''),
      );
    }
    for (const { c, l } of risky.slice(0, 3)) {
      evidence.push(`CLIENT LIST: ${c.kind === 'pubsub' ? 'pub/sub subscriber' : 'replica'} ${c.addr}${c.name ? ` (name "${c.name}")` : ''} has ${humanBytes(c.omemBytes)} waiting in its output buffer (omem=${c.omemBytes} oll=${c.oll}); limit ${limitText(l!)}`);
    }
    // Outside text: quoted only when it is the plain words and numbers Redis prints.
    if (raw !== undefined && /^[A-Za-z0-9 ]{1,160}$/.test(raw.slice(0, 161))) evidence.push(`CONFIG GET client-output-buffer-limit: ${raw}`);
    const unread = tied && logUnread(tied);
    if (!logged && log) evidence.push(`server log ${tied!.name} (${tied!.tie}): no such closure in ${logSpan(log)}`);
    else if (unread) evidence.push(`server log ${unread}`);
    else if (closed === undefined && !logged) evidence.push('this server keeps no count of such closures (INFO client_output_buffer_limit_disconnections is Redis ≥ 7.4): closed clients show only in its log ("scheduled to be closed ASAP for overcoming of output buffer limits"; read over SSH with --ssh)');
    const kinds = new Set<string>(risky.map((x) => x.c.kind));
    // Closed earlier, no longer listed: the log says which class.
    if (risky.length === 0) for (const c of logged?.closures ?? []) if (c.kind === 'pubsub' || c.kind === 'replica') kinds.add(c.kind);
    const t = fixTarget(obs);
    const pubsubLimit = limits.find((l) => l.class === 'pubsub');
    const replicaLimit = limits.find((l) => l.class === 'replica');
    const remediations: Remediation[] = [];
    if (kinds.has('pubsub') || kinds.size === 0) remediations.push(REMEDIATIONS['fix-slow-subscribers'](t, { clients: risky.filter((x) => x.c.kind === 'pubsub').map((x) => x.c.addr).slice(0, 3), ...(pubsubLimit ? { limit: `pubsub ${pubsubLimit.hardBytes} ${pubsubLimit.softBytes} ${pubsubLimit.softSeconds}` } : {}) }));
    if (kinds.has('replica') || (kinds.size === 0 && infoNumber(obs, 'connected_slaves'))) remediations.push(REMEDIATIONS['raise-replica-output-buffer'](t, replicaLimit ? { limit: `replica ${replicaLimit.hardBytes} ${replicaLimit.softBytes} ${replicaLimit.softSeconds}` } : {}));
    const who = kinds.has('replica') && !kinds.has('pubsub') ? 'replica' : 'pub/sub';
    // Only the log says so, and the last closure is a day old or more: a past episode.
    const past = (closed === undefined || closed <= 0) && risky.length === 0 && age !== undefined && age > OLD_LOG_S;
    return {
      severity: past ? 'info' : 'warning',
      confidence: (closed !== undefined && closed > 0) || logged ? 'confirmed' : 'likely',
      title: closed !== undefined && closed > 0
        ? `${targetLabel(obs)} closed ${closed} client${closed === 1 ? '' : 's'} for exceeding client-output-buffer-limit: they lost their messages and reconnected`
        : logged && risky.length === 0
          ? `${targetLabel(obs)} closed ${logged.bufferClosures} ${classWord(logged.closures)}client${logged.bufferClosures === 1 ? '' : 's'} for exceeding client-output-buffer-limit (its log${when ? `, the last at ${when}` : ''}): they lost their messages and reconnected`
          : `${targetLabel(obs)} is about to close ${risky.length === 1 ? `a ${who} client` : `${risky.length} ${who} clients`} that cannot keep up: ${risky[0]!.c.addr} has ${humanBytes(risky[0]!.c.omemBytes)} queued, over its client-output-buffer-limit`,
      evidence,
      remediations,
      details: { closed: closed ?? -1, atRisk: risky.length, kinds: [...kinds].join(',') || 'unknown', ...(logged ? { logged: logged.bufferClosures } : {}) },
    };
  },
});
