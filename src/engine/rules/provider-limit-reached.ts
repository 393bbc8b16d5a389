/**
 * A managed service's proxy refuses because the plan's quota is used up:
 * Redis behind it is fine, the account is not. Published texts (Upstash,
 * https://upstash.com/docs/redis/troubleshooting/ — one page per error; the
 * replies carry a tail such as ". Limit: 10000, Usage: 10001. See https://…"):
 *   ERR max concurrent connections exceeded
 *   ERR max requests limit exceeded            (the monthly request count)
 *   ERR max daily request limit exceeded       (also what Vercel KV, run on Upstash, answers)
 *   ERR max request size exceeded
 *   ERR max single record size exceeded
 *   ERR max key size exceeded
 *   ERR DB capacity quota exceeded
 * Other services' connection limits answer with Redis's own
 * "ERR max number of clients reached" (max-clients-reached's; Redis Cloud's
 * support pages describe the limit, not another text), so that text is not
 * matched here. Any other "ERR max … exceeded" is taken as the same family:
 * likely rather than confirmed.
 *
 * Matching is linear: the reply is capped, lower-cased and compared by
 * prefix; the evidence quotes it as received (redacted by the probe, control
 * characters escaped and cut by wire()).
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { RespReply } from '../model/types.js';
import { replyEvidence, seenReplies, type SeenReply } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const KNOWN: readonly { prefix: string; limit: string }[] = [
  { prefix: 'err max concurrent connections exceeded', limit: 'the maximum number of concurrent connections' },
  { prefix: 'err max requests limit exceeded', limit: 'the monthly request limit' },
  { prefix: 'err max daily request limit exceeded', limit: 'the daily request limit' },
  { prefix: 'err max request size exceeded', limit: 'the maximum request size' },
  { prefix: 'err max single record size exceeded', limit: 'the maximum size of one record' },
  { prefix: 'err max key size exceeded', limit: 'the maximum key size' },
  { prefix: 'err db capacity quota exceeded', limit: 'the database storage quota' },
];

const CAP = 200;

export function quotaOf(reply: RespReply): { limit: string; known: boolean } | undefined {
  if (reply.kind !== 'error') return undefined;
  const text = reply.text.slice(0, CAP).toLowerCase().replace(/^-/, '');
  const known = KNOWN.find((k) => text.startsWith(k.prefix));
  if (known) return { limit: known.limit, known: true };
  if (text.startsWith('err max ') && text.includes(' exceeded')) return { limit: 'a plan limit', known: false };
  return undefined;
}

export const rule = defineRule({
  cause: 'provider-limit-reached',
  impact: 'unusable',
  supersedes: ['unexpected-reply'],
  evaluate(obs) {
    const seen: SeenReply[] = [...seenReplies(obs), ...(obs.resp?.clientProbe?.exchanges ?? []).flatMap((e) => (e.reply ? [{ command: e.command, reply: e.reply }] : []))];
    const hits = seen.flatMap((s) => {
      const quota = quotaOf(s.reply);
      return quota ? [{ seen: s, quota }] : [];
    });
    const first = hits[0];
    if (!first) return undefined;
    const known = hits.find((h) => h.quota.known) ?? first;
    const pingOk = obs.resp?.ok === true;
    return {
      // A refused PING means every command fails; a quota that spared PING hurts some commands only.
      severity: pingOk ? 'warning' : 'critical',
      confidence: known.quota.known ? 'confirmed' : 'likely',
      title: `The service in front of Redis refuses: ${known.quota.limit} of the plan is reached`,
      evidence: [...hits.slice(0, 3).map((h) => replyEvidence(h.seen)), 'a managed service\'s quota reply: the limit belongs to the account\'s plan, not to Redis'],
      remediations: [REMEDIATIONS['reduce-provider-usage'](fixTarget(obs), { limit: known.quota.limit })],
      details: { limit: known.quota.limit, known: known.quota.known },
    };
  },
});
