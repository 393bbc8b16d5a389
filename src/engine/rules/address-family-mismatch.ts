/**
 * The name resolves to several addresses and Redis answers on some, not on
 * others (the TCP step tries every address: probes/tcp.ts). The classic:
 * `localhost` → ::1 first, then 127.0.0.1, Redis bound to 127.0.0.1 only.
 * Clients that try each address in turn work; clients that connect to the
 * first only get `connect ECONNREFUSED ::1:6379`: Node.js 17–19 (dns.lookup
 * keeps the resolver's order since 17), Node.js 20+ with autoSelectFamily off,
 * and pools that resolve once and keep one address. A client pinned to the
 * failing family (ioredis `family: 6`) fails whichever address comes first.
 *
 *   first address fails → critical: first-address clients cannot connect at
 *     all; others can, so the impact is `degrading` (verdict degraded), and
 *     the session on the address that answered still runs every other check.
 *   a later address fails → info: only clients that prefer that family, or
 *     that resolve the name in another order, fail.
 * Confirmed when the failing address refused and the one that answered spoke
 * RESP; a failing address that stayed silent (or an answer that was not
 * RESP) leaves it likely.
 */
import type { Observations, TcpAttempt } from '../model/types.js';
import { REMEDIATIONS, fixTarget } from '../remediations/index.js';
import { hostPort, ms, seenReplies, wire } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

function result(a: TcpAttempt, port: number): string {
  return a.ok ? `${hostPort(a.address, port)} → connected after ${ms(a.durationMs)}` : `${hostPort(a.address, port)} → ${a.code ?? 'failed'} after ${ms(a.durationMs)}`;
}

/** Any RESP reply (PONG, -NOAUTH, -DENIED …) on the address used: Redis listens there. */
function redisReply(obs: Observations): string | undefined {
  if (!obs.resp || obs.resp.nonResp) return undefined;
  const seen = seenReplies(obs)[0];
  return seen ? wire(seen.reply) : undefined;
}

function lookups(obs: Observations): string {
  const families = obs.dns?.families ?? [];
  const part = (f: 4 | 6) => {
    const found = families.find((l) => l.family === f);
    if (!found) return undefined;
    return `${f === 4 ? 'A' : 'AAAA'}: ${found.addresses.length ? found.addresses.join(', ') : (found.code ?? 'none')}`;
  };
  const parts = [part(4), part(6)].filter((p) => p !== undefined);
  return parts.length ? ` (looked up on their own: ${parts.join('; ')})` : '';
}

export const rule = defineRule({
  cause: 'address-family-mismatch',
  impact: 'degrading',
  evaluate(obs) {
    const all = obs.tcp?.attempts ?? [];
    const attempts = all.filter((a) => a.code !== 'ABORTED');
    const answered = attempts.filter((a) => a.ok);
    const failed = attempts.filter((a) => !a.ok);
    const first = all[0];
    if (!first || first.code === 'ABORTED' || answered.length === 0 || failed.length === 0) return undefined;
    const { host, port } = obs.target;
    const used = answered.find((a) => a.address === obs.tcp?.address) ?? answered[0]!;
    const firstFails = !first.ok;
    const culprits = firstFails ? [first] : failed;
    const reply = redisReply(obs);
    const refused = culprits.every((a) => a.code === 'ECONNREFUSED');
    const badFamilies = [...new Set(culprits.map((a) => a.family))];
    const badList = culprits.map((a) => a.address).join(', ');
    const hiredis = badFamilies.every((f) => f === 6)
      ? ' redis-cli (hiredis asks for IPv4 first) connects, so a shell test can look fine while the application fails.'
      : '';
    const evidence = [
      `${host} resolves to ${attempts.map((a) => a.address).join(', ')} in this order${lookups(obs)}; a client that takes only the first address uses ${first.address}`,
      ...all.map((a, i) => `${result(a, port)}${i === 0 ? ' (first in resolver order)' : ''}${a === used && reply ? `; Redis answered there: ${reply}` : ''}`),
      firstFails
        ? `Fails: Node.js 17–19, Node.js 20+ with autoSelectFamily off ("connect ${first.code} ${first.address}:${port}"), pools that resolve once and keep the first address, clients pinned to IPv${first.family}. Works: clients that try every address (Node.js 20+ by default, redis-py, Go).${hiredis}`
        : `Fails: clients pinned to IPv${badFamilies.join('/IPv')} (ioredis/node-redis family: ${badFamilies[0]}), and clients where ${host} resolves in another order (another host's /etc/hosts or gai.conf). Clients that take the first address here (${first.address}) work.`,
    ];
    return {
      severity: firstFails ? 'critical' : 'info',
      confidence: refused && reply !== undefined ? 'confirmed' : 'likely',
      title: firstFails
        ? `${host} resolves to ${first.address} first, where port ${port} ${first.code === 'ECONNREFUSED' ? 'refuses' : `fails (${first.code})`}: clients that use only the first address cannot connect`
        : `${host} also resolves to ${badList}, where port ${port} does not answer: clients that prefer IPv${badFamilies.join('/IPv')} fail`,
      evidence,
      remediations: [
        REMEDIATIONS['bind-both-address-families'](fixTarget(obs), { missing: badList }),
        REMEDIATIONS['pin-client-address-family'](fixTarget(obs), { family: used.family, address: used.address }),
      ],
      details: { firstAddress: first.address, failing: badList, answering: used.address, ...(first.code ? { firstCode: first.code } : {}) },
    };
  },
});
