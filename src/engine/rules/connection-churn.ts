/**
 * Clients that open a connection per request (or leak the ones they open)
 * run out of something before Redis refuses anything: the client host's
 * ephemeral ports (each closed connection sits in TIME_WAIT for 60 s on the
 * side that closed first: "Cannot assign requested address"), the server's
 * maxclients ("max number of clients reached"), and both pay a TCP/TLS
 * handshake and AUTH per request.
 *
 * Evidence:
 *  - churn: INFO stats total_connections_received read with the sample's
 *    first write and again with its last PING: at least MIN_NEW new
 *    connections at CHURN_PER_S per second or more (the window is short, a
 *    few ms to a second, so a handful proves nothing and is not counted);
 *    the lifetime average (total_connections_received / uptime_in_seconds,
 *    once up LIFETIME_MIN_S) at CHURN_PER_S or more counts too, `possible`
 *    alone (a past burst averages in). Over SSH, TIME_WAIT sockets on the target port
 *    (counted on the host where the server listens) and the ephemeral range;
 *  - leak: connected_clients at LEAK_SHARE of maxclients or more, with one
 *    source address holding most of them (CLIENT LIST by address; idle ones
 *    counted).
 * `likely` (the counters say so; what runs out depends on the clients'
 * hosts), a warning.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Remediation } from '../model/types.js';
import { config, infoNumber, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';
import { hostName } from './helpers/host.js';
import { servesHere } from './helpers/serving.js';

export const MIN_NEW = 20;
export const CHURN_PER_S = 100;
export const LEAK_SHARE = 0.8;
/** TIME_WAIT sockets on the port from which they are worth a line of evidence. */
export const TIME_WAIT_SHOWN = 1000;
/** The lifetime average counts once the server has been up this long (s). */
export const LIFETIME_MIN_S = 10;

export const rule = defineRule({
  cause: 'connection-churn',
  impact: 'degrading',
  evaluate(obs) {
    const c = obs.connections;
    const opened = c?.after !== undefined && c.windowMs ? c.after - c.before : undefined;
    const rate = opened !== undefined && c?.windowMs ? (opened * 1000) / c.windowMs : undefined;
    const sampled = opened !== undefined && rate !== undefined && opened >= MIN_NEW && rate >= CHURN_PER_S;
    // The lifetime average: since the server started (at least LIFETIME_MIN_S ago), as many per second.
    const up = infoNumber(obs, 'uptime_in_seconds');
    const total = c?.after ?? c?.before;
    const average = total !== undefined && up !== undefined && up >= LIFETIME_MIN_S ? total / up : undefined;
    const churn = sampled || (average !== undefined && average >= CHURN_PER_S);
    const connected = infoNumber(obs, 'connected_clients');
    const maxclients = infoNumber(obs, 'maxclients') ?? (config(obs, 'maxclients') !== undefined ? Number(config(obs, 'maxclients')) : undefined);
    const top = obs.clients?.sources[0];
    const leak = connected !== undefined && maxclients !== undefined && maxclients > 0 && connected >= maxclients * LEAK_SHARE && top !== undefined && top.count * 2 >= (obs.clients?.total ?? 0);
    if (!churn && !leak) return undefined;
    const evidence: string[] = [];
    if (sampled) evidence.push(`INFO stats total_connections_received ${c!.before} → ${c!.after}: ${opened} new connections in ${Math.round(c!.windowMs!)} ms while the latency sample ran, about ${Math.round(rate!)} per second`);
    if (total !== undefined && up !== undefined && up > 0) evidence.push(`since the server started: ${total} connections in ${up} s, ${Math.round((total / up) * 10) / 10} per second on average`);
    if (connected !== undefined && maxclients !== undefined) evidence.push(`INFO clients connected_clients:${connected} of maxclients ${maxclients}`);
    for (const s of (obs.clients?.sources ?? []).slice(0, 3)) evidence.push(`CLIENT LIST: ${s.count} connection${s.count === 1 ? '' : 's'} from ${s.source}${s.idle ? `, ${s.idle} idle ${obs.clients!.idleSec} s or more` : ''}`);
    const host = servesHere(obs);
    const tuning = host?.hostTuning;
    const tw = tuning?.timeWait?.find((x) => x.port === obs.target.port);
    if (host && tw && tw.count >= TIME_WAIT_SHOWN) evidence.push(`ss -tan state time-wait on ${hostName(host)}: ${tw.count} sockets in TIME_WAIT on port ${obs.target.port} (closed by the server first)`);
    if (host && tuning?.portRange) evidence.push(`net.ipv4.ip_local_port_range on ${hostName(host)}: ${tuning.portRange[0]} ${tuning.portRange[1]} (${tuning.portRange[1] - tuning.portRange[0] + 1} ports per client address towards one server port)`);
    const t = fixTarget(obs);
    const sources = (obs.clients?.sources ?? []).slice(0, 3).map((s) => s.source);
    const remediations: Remediation[] = [];
    if (churn) remediations.push(REMEDIATIONS['reuse-connections'](t, { sources }));
    if (leak) remediations.push(REMEDIATIONS['fix-connection-leak'](t, { ...(top ? { source: top.source } : {}), ...(maxclients !== undefined ? { maxclients } : {}) }));
    if (churn) remediations.push(REMEDIATIONS['widen-ephemeral-ports'](t, { ...(tuning?.portRange ? { range: tuning.portRange.join(' ') } : {}), ...(tw ? { timeWait: tw.count } : {}) }));
    return {
      severity: 'warning',
      // The sample's own count is now; a lifetime average alone may be a past burst.
      confidence: sampled || leak ? 'likely' : 'possible',
      title: churn
        ? `Clients of ${targetLabel(obs)} open about ${Math.round(sampled ? rate! : average!)} connections per second: a connection per request wears out ports and handshakes`
        : `${targetLabel(obs)} has ${connected} of ${maxclients} clients connected, most from ${top!.source}: a client leaks connections`,
      evidence,
      remediations,
      details: { kind: churn && leak ? 'churn,leak' : churn ? 'churn' : 'leak', ...(sampled ? { perSecond: Math.round(rate!) } : average !== undefined ? { perSecond: Math.round(average) } : {}), ...(connected !== undefined ? { connected } : {}), ...(maxclients !== undefined ? { maxclients } : {}) },
    };
  },
});
