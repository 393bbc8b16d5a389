/**
 * Client and port disagree about TLS.
 *
 * TLS client → plaintext Redis port: Redis reads the ClientHello as an inline
 * command. Usually it waits for a newline that never comes (handshake
 * timeout); when the hello happens to contain one, Redis answers "-ERR …" in
 * plaintext and OpenSSL reports "wrong version number". Evidence: a
 * RESP-looking plaintext reply, that OpenSSL error, or a failed handshake
 * while the same port answers a plaintext PING (obs.plaintextPing).
 *
 * Plaintext client → Redis tls-port: the server's TLS layer resets the
 * connection without a byte (observed on 7.0: ECONNRESET); a TLS handshake on
 * the same port succeeds (tlsSniff), or the bytes that came back are TLS records.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Finding, FindingDraft, Observations } from '../model/types.js';
import { clip, ms, replyEvidence, seenReplies, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const RESP_START = /^[-+$*:]/;

function tlsToPlaintext(obs: Observations): string[] | undefined {
  const tls = obs.tls;
  if (!obs.target.tls || !tls || tls.ok) return undefined;
  const label = targetLabel(obs);
  const reply = tls.plaintextReply;
  if (reply !== undefined && !RESP_START.test(reply)) return undefined; // not Redis at all: not-redis says so
  const wrongVersion = tls.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(tls.message ?? '');
  // Plaintext RESP from the same port: a plaintext PING probe, or replies recorded in the session.
  const ping = obs.plaintextPing?.redis ? obs.plaintextPing : undefined;
  const plainAnswers = seenReplies(obs).filter((s) => s.reply.kind !== 'other');
  if (reply === undefined && !wrongVersion && !ping && plainAnswers.length === 0) return undefined;
  const evidence = [`TLS handshake with ${label} failed after ${ms(tls.durationMs)}: ${tls.code ?? 'error'}${tls.message ? ` (${clip(tls.message, 120)})` : ''}`];
  if (reply !== undefined) evidence.push(`the server answered the ClientHello in plaintext: ${clip(reply)}`);
  if (ping) evidence.push(`without TLS the same port answers PING: ${clip(ping.reply ?? '+PONG', 80)}`);
  else for (const s of plainAnswers.slice(0, 1)) evidence.push(`without TLS the same port answers: ${replyEvidence(s)}`);
  return evidence;
}

function plaintextToTls(obs: Observations): string[] | undefined {
  const resp = obs.resp;
  // Any RESP reply means the port spoke plaintext Redis to us.
  if (obs.target.tls || resp?.ok || seenReplies(obs).length > 0) return undefined;
  const label = targetLabel(obs);
  const tlsBytes = resp?.nonResp?.looksLikeTls === true;
  if (obs.tlsSniff?.speaksTls !== true && !tlsBytes) return undefined;
  const evidence: string[] = [];
  if (tlsBytes) evidence.push(`PING to ${label} was answered with TLS records: ${clip(resp!.nonResp!.excerpt, 60)}`);
  else if (resp) {
    const how = resp.socketError ? `the server reset the connection (${resp.socketError})` : resp.timedOut ? `nothing came back within ${obs.client.timeoutMs} ms` : 'the server closed the connection';
    evidence.push(`PING to ${label} got no reply: ${how}`);
  }
  if (obs.tlsSniff?.speaksTls) evidence.push(`a TLS handshake on the same port succeeded in ${ms(obs.tlsSniff.durationMs)}`);
  return evidence;
}

export const rule = defineRule({
  cause: 'tls-mismatch',
  impact: 'unusable',
  supersedes: ['connection-refused', 'connection-timeout', 'not-redis'],
  evaluate(obs) {
    const t = fixTarget(obs);
    const label = targetLabel(obs);
    const toPlain = tlsToPlaintext(obs);
    if (toPlain) {
      return finding(`The client uses TLS but ${label} speaks plaintext RESP`, toPlain, 'tls-to-plaintext', [
        REMEDIATIONS['use-plaintext'](t),
        REMEDIATIONS['enable-tls-port'](t),
      ]);
    }
    const toTls = plaintextToTls(obs);
    if (toTls) {
      return finding(`${label} expects TLS but the client spoke plaintext`, toTls, 'plaintext-to-tls', [REMEDIATIONS['use-tls'](t)]);
    }
    return undefined;
  },
});

function finding(title: string, evidence: string[], direction: string, remediations: Finding['remediations']): FindingDraft {
  return { severity: 'critical', confidence: 'confirmed', title, evidence, remediations, details: { direction } };
}
