/**
 * The last word: the server is not healthy and no other rule recognises why
 * — PING got an error no rule knows (`-ERR unknown command 'PING'` from a
 * proxy that filters commands, a module's own error), bytes that decode to
 * no known reply, or a connection failure with an unusual code. Runs only
 * when nothing else found anything (fallback), so an unhealthy verdict always
 * comes with a finding that quotes what was seen rather than "every check passed".
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Observations } from '../model/types.js';
import { clip, ms, replyEvidence, seenReplies, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

function whatWasSeen(obs: Observations): string[] {
  const label = targetLabel(obs);
  const out: string[] = [];
  const { tcp, tls, resp } = obs;
  if (tcp && !tcp.ok) out.push(`TCP connect to ${label} failed after ${ms(tcp.durationMs)}: ${tcp.code ?? 'no code'}${tcp.message ? ` (${clip(tcp.message, 120)})` : ''}`);
  if (tls && !tls.ok) out.push(`TLS handshake with ${label} failed: ${tls.code ?? 'no code'}${tls.message ? ` (${clip(tls.message, 120)})` : ''}`);
  for (const seen of seenReplies(obs).slice(0, 4)) out.push(replyEvidence(seen));
  if (resp?.nonResp) out.push(`bytes that are not RESP: "${clip(resp.nonResp.excerpt, 100)}"`);
  if (resp && !resp.ok && seenReplies(obs).length === 0) {
    out.push(`no reply to PING${resp.timedOut ? ` within ${obs.client.timeoutMs} ms` : ''}${resp.closedByServer ? '; the server closed the connection' : ''}${resp.socketError ? ` (${resp.socketError})` : ''}`);
  }
  return out;
}

export const rule = defineRule({
  cause: 'unexpected-reply',
  impact: 'unusable',
  fallback: true,
  evaluate(obs) {
    if (obs.resp?.ok) return undefined;
    const evidence = whatWasSeen(obs);
    if (evidence.length === 0) return undefined;
    const t = fixTarget(obs);
    const answered = seenReplies(obs).length > 0;
    return {
      severity: 'critical',
      // What the server sent is quoted; why it sent it is for a person to find out.
      confidence: 'possible',
      title: answered
        ? `${targetLabel(obs)} did not answer PING with +PONG, and redis-doctor does not recognise its reply`
        : `${targetLabel(obs)} cannot be used, for a reason redis-doctor does not recognise`,
      evidence,
      remediations: [REMEDIATIONS['identify-listener'](t), REMEDIATIONS['check-server-responsiveness'](t)],
      details: { answered },
    };
  },
});
