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
 * Servers before 7.4 keep no counter: a client already closed leaves nothing
 * but the server log line (read over SSH by the lead's log check when there).
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { BufferedClient, Remediation } from '../model/types.js';
import { parseOutputBufferLimits, type OutputBufferLimit } from '../probes/client-list.js';
import { config, humanBytes, infoNumber, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

export const NEAR_HARD = 0.5;

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
    if ((closed === undefined || closed <= 0) && risky.length === 0) return undefined;
    const evidence: string[] = [];
    if (closed !== undefined && closed > 0) {
      const up = infoNumber(obs, 'uptime_in_seconds');
      evidence.push(`INFO stats client_output_buffer_limit_disconnections:${closed} — clients closed for exceeding client-output-buffer-limit${up !== undefined ? ` in ${up} s since the server started` : ''}`);
    }
    for (const { c, l } of risky.slice(0, 3)) {
      evidence.push(`CLIENT LIST: ${c.kind === 'pubsub' ? 'pub/sub subscriber' : 'replica'} ${c.addr}${c.name ? ` (name "${c.name}")` : ''} has ${humanBytes(c.omemBytes)} waiting in its output buffer (omem=${c.omemBytes} oll=${c.oll}); limit ${limitText(l!)}`);
    }
    // Outside text: quoted only when it is the plain words and numbers Redis prints.
    if (raw !== undefined && /^[A-Za-z0-9 ]{1,160}$/.test(raw.slice(0, 161))) evidence.push(`CONFIG GET client-output-buffer-limit: ${raw}`);
    if (closed === undefined) evidence.push('this server keeps no count of such closures (INFO client_output_buffer_limit_disconnections is Redis ≥ 7.4): closed clients show only in its log ("scheduled to be closed ASAP for overcoming of output buffer limits")');
    const kinds = new Set(risky.map((x) => x.c.kind));
    const t = fixTarget(obs);
    const pubsubLimit = limits.find((l) => l.class === 'pubsub');
    const replicaLimit = limits.find((l) => l.class === 'replica');
    const remediations: Remediation[] = [];
    if (kinds.has('pubsub') || kinds.size === 0) remediations.push(REMEDIATIONS['fix-slow-subscribers'](t, { clients: risky.filter((x) => x.c.kind === 'pubsub').map((x) => x.c.addr).slice(0, 3), ...(pubsubLimit ? { limit: `pubsub ${pubsubLimit.hardBytes} ${pubsubLimit.softBytes} ${pubsubLimit.softSeconds}` } : {}) }));
    if (kinds.has('replica') || (kinds.size === 0 && infoNumber(obs, 'connected_slaves'))) remediations.push(REMEDIATIONS['raise-replica-output-buffer'](t, replicaLimit ? { limit: `replica ${replicaLimit.hardBytes} ${replicaLimit.softBytes} ${replicaLimit.softSeconds}` } : {}));
    const who = kinds.has('replica') && !kinds.has('pubsub') ? 'replica' : 'pub/sub';
    return {
      severity: 'warning',
      confidence: closed !== undefined && closed > 0 ? 'confirmed' : 'likely',
      title: closed !== undefined && closed > 0
        ? `${targetLabel(obs)} closed ${closed} client${closed === 1 ? '' : 's'} for exceeding client-output-buffer-limit: they lost their messages and reconnected`
        : `${targetLabel(obs)} is about to close ${risky.length === 1 ? `a ${who} client` : `${risky.length} ${who} clients`} that cannot keep up: ${risky[0]!.c.addr} has ${humanBytes(risky[0]!.c.omemBytes)} queued, over its client-output-buffer-limit`,
      evidence,
      remediations,
      details: { closed: closed ?? -1, atRisk: risky.length, kinds: [...kinds].join(',') || 'unknown' },
    };
  },
});
