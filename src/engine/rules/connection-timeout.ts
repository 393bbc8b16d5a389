/**
 * No answer within our bound. Three shapes, in the order a session goes:
 *   - the TCP connect got no SYN-ACK (ETIMEDOUT): dropped or black-holed SYNs,
 *     a firewall DROP rule, a security group, a wrong route;
 *   - TLS was asked for and the handshake got no answer;
 *   - TCP was accepted but PING got no byte back: a stalled server (stopped
 *     process, swapping, loading a large dataset) or a service that waits silently.
 * tls-mismatch supersedes the last two when a probe showed the port speaks
 * the other protocol.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Finding, FindingDraft, Observations } from '../model/types.js';
import { ms, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ETIMEOUT', 'ESOCKETTIMEDOUT']);

function finding(obs: Observations, title: string, evidence: string, stage: string, remediations: Finding['remediations']): FindingDraft {
  // Silence is inferred from our own bound: nothing on the path or the host said why.
  return { severity: 'critical', confidence: 'likely', title, evidence: [evidence], remediations, details: { stage, timeoutMs: obs.client.timeoutMs } };
}

export const rule = defineRule({
  cause: 'connection-timeout',
  impact: 'unusable',
  evaluate(obs) {
    const label = targetLabel(obs);
    const t = fixTarget(obs);
    const { tcp, tls, resp } = obs;
    if (tcp && !tcp.ok && TIMEOUT_CODES.has(tcp.code ?? '')) {
      return finding(
        obs,
        `No answer from ${label}: the connection attempt timed out`,
        `TCP connect to ${label} got no answer within ${ms(tcp.durationMs)} (${tcp.code}; bound ${obs.client.timeoutMs} ms): SYNs are dropped on the way or by the host`,
        'tcp',
        [REMEDIATIONS['check-network-path'](t), REMEDIATIONS['open-firewall-port'](t)],
      );
    }
    if (tcp?.ok && tls && !tls.ok && TIMEOUT_CODES.has(tls.code ?? '')) {
      return finding(
        obs,
        `${label} accepted the connection but did not answer the TLS handshake`,
        `TLS handshake with ${label}: ${tls.code} after ${ms(tls.durationMs)}${tls.message ? ` (${tls.message})` : ''}`,
        'tls',
        [REMEDIATIONS['use-plaintext'](t), REMEDIATIONS['check-server-responsiveness'](t)],
      );
    }
    if (tcp?.ok && resp?.timedOut && resp.noReply) {
      return finding(
        obs,
        `${label} accepted the connection but never answered PING`,
        `TCP connect to ${label} succeeded; no byte came back to PING within ${obs.client.timeoutMs} ms`,
        'resp',
        [REMEDIATIONS['check-server-responsiveness'](t), REMEDIATIONS['identify-listener'](t)],
      );
    }
    return undefined;
  },
});
