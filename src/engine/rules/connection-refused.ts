/**
 * The generic "refused": the host answered the SYN with a reset (ECONNREFUSED),
 * or accepted and closed again without sending a byte (what docker-proxy does
 * when nothing listens behind a published port). More specific rules —
 * wrong-port, bind-loopback-only, tls-mismatch and the SSH checks
 * (server-not-running, firewall-blocked …) — supersede it when they fire.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Observations } from '../model/types.js';
import { ms, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

function closedWithoutByte(obs: Observations): boolean {
  const r = obs.resp;
  // Over TLS, a drop after the handshake is the server rejecting the session
  // (e.g. tls-auth-clients yes without a client certificate), not a refusal.
  if (obs.target.tls) return false;
  return obs.tcp?.ok === true && r !== undefined && r.noReply && r.closedByServer && !r.timedOut;
}

export const rule = defineRule({
  cause: 'connection-refused',
  impact: 'unusable',
  evaluate(obs) {
    const refused = obs.tcp?.ok === false && obs.tcp.code === 'ECONNREFUSED';
    if (!refused && !closedWithoutByte(obs)) return undefined;
    const label = targetLabel(obs);
    const evidence = refused
      ? [`TCP connect to ${label} was refused: ECONNREFUSED after ${ms(obs.tcp!.durationMs)} (the host answered with a reset)`]
      : [`TCP connect to ${label} succeeded, then the server closed the connection without a byte${obs.resp?.socketError ? ` (${obs.resp.socketError})` : ''}`];
    const n = obs.neighbours;
    if (n && !n.found.some((f) => f.redis)) {
      evidence.push(`no Redis answered on the neighbouring ports ${n.scanned.join(', ')}${n.truncated ? ' (scan cut short by the time bound)' : ''}`);
    }
    if (obs.loopback && !obs.loopback.redis) {
      evidence.push(`no Redis on ${obs.loopback.address}:${obs.loopback.port} on the same host either${obs.loopback.reply ? ` (${obs.loopback.reply})` : ''}`);
    }
    const t = fixTarget(obs);
    const remediations = [REMEDIATIONS['start-redis'](t)];
    if (obs.client.remote) remediations.push(REMEDIATIONS['bind-all-interfaces'](t), REMEDIATIONS['open-firewall-port'](t));
    remediations.push(REMEDIATIONS['use-correct-port'](t));
    return {
      severity: 'critical',
      // The reset is the host's own answer; a close without a byte is only read as a refusal.
      confidence: refused ? 'confirmed' : 'likely',
      title: refused ? `Connection refused by ${label}: Redis is not listening there, or a firewall rejects the client` : `${label} accepts connections but closes them at once`,
      evidence,
      remediations,
      details: { code: refused ? 'ECONNREFUSED' : (obs.resp?.socketError ?? 'closed') },
    };
  },
});
