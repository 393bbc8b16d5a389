/**
 * The server, or a proxy in front of it, refuses what modern client libraries
 * send on connect (probes/client-probe.ts sends the same). Texts:
 *   HELLO 3  → -ERR unknown command 'HELLO', with args beginning with: '3'    (Redis < 6, or rename-command HELLO "";
 *                                                                             Redis 6 quotes with backticks)
 *            → -NOPROTO unsupported protocol version                         (a server/proxy without RESP3; Redis 7.0's text for HELLO 4)
 *            → -NOPERM … 'hello' …                                            (an ACL user without +hello)
 *            → a proxy's own error (anything else but -NOAUTH, which is the password's business)
 *   AUTH <user> <password> → -ERR wrong number of arguments for 'auth' command (Redis < 6: no ACL users)
 *   CLIENT SETINFO → -ERR unknown subcommand 'SETINFO' (Redis < 7.2)
 * Impact, honestly:
 *  - AUTH with a user on Redis < 6: every client configured with that user
 *    fails to authenticate — critical.
 *  - the connection closed (or reset) right after answering PING and INFO,
 *    with CLIENT SETINFO or HELLO unanswered: a proxy that drops unknown
 *    commands (twemproxy does) — clients that send them on connect (go-redis
 *    v9 and Lettuce 6 by default, recent redis-py) cannot connect: critical,
 *    likely (the close follows those commands; nothing else was pending).
 *  - an error reply to HELLO 3: clients set to RESP3 fail to connect
 *    (node-redis `RESP: 3`, redis-py `protocol=3`, Jedis RESP3); go-redis v9
 *    falls back to RESP2 on any error reply to HELLO, and RESP2-only clients
 *    (ioredis, node-redis and redis-py by default) never send it — warning.
 *  - Redis's own "unknown subcommand" to CLIENT SETINFO is no finding: the
 *    libraries that send SETINFO treat it as fire-and-forget and ignore an
 *    error reply (redis-py, go-redis since 9.5.1 — 9.5.0 broke on servers
 *    before 7.2, go-redis#2911/#2915 — node-redis, Jedis), because every
 *    server before 7.2 answers so; a finding on every Redis 7.0 would be
 *    noise. Another error to it (a proxy's, a managed service that blocks
 *    CLIENT, -NOPERM) is noted as info.
 * Silence (no reply within the grace) is not a finding: a loaded server may
 * just be slow, and the diagnosis does not guess.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { FindingDraft, Observations, RespExchange, Severity } from '../model/types.js';
import { clip, info, wire } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

/** Lower-cased, capped error text: the matches below are prefix/contains tests, linear, no regex. */
function errorOf(e: RespExchange | undefined): string | undefined {
  return e?.reply?.kind === 'error' ? e.reply.text.slice(0, 200).toLowerCase().replace(/^-/, '') : undefined;
}

const isNoauth = (text: string) => text.startsWith('noauth');
/** Redis's own answer to a subcommand it does not know (7.x, 6.x) or to CLIENT with one it lacks (5.x). */
const isRedisUnknownSubcommand = (text: string) => text.startsWith('err unknown subcommand') || text.startsWith('err syntax error');

interface Problem {
  severity: Severity;
  confidence: 'confirmed' | 'likely';
  kind: string;
  title: string;
  evidence: string[];
}

const SEVERITY: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

function authProblem(obs: Observations): Problem | undefined {
  const auth = obs.resp?.exchanges.find((e) => e.command.startsWith('AUTH '));
  const text = errorOf(auth);
  if (!auth || !text || !text.startsWith("err wrong number of arguments for 'auth'")) return undefined;
  if (auth.command.split(' ').length < 3) return undefined;
  const version = info(obs, 'redis_version');
  return {
    severity: 'critical',
    confidence: 'confirmed',
    kind: 'auth-user',
    title: 'The server does not accept AUTH <user> <password> (ACL users need Redis 6): a client configured with a user name cannot authenticate',
    evidence: [`${auth.command} → ${wire(auth.reply!)}`, ...(version ? [`redis_version:${version}`] : [])],
  };
}

function closedProblem(obs: Observations): Problem | undefined {
  const probe = obs.resp?.clientProbe;
  if (!probe?.closed || !obs.resp?.ok) return undefined;
  const first = probe.exchanges.find((e) => !e.reply);
  if (!first || !/^(CLIENT SETINFO|HELLO)/.test(first.command)) return undefined;
  const answered = probe.exchanges.filter((e) => e.reply).map((e) => e.command);
  return {
    severity: 'critical',
    confidence: 'likely',
    kind: 'closed',
    title: `The connection was closed when the client sent ${first.command.split(' ').slice(0, 2).join(' ')}: clients that send it on connect (go-redis v9, Lettuce 6, recent redis-py) cannot connect`,
    evidence: [
      `PING and INFO were answered${answered.length > 0 ? `, then ${answered.join(', ')}` : ''}; the connection closed before a reply to ${first.command}`,
      'a proxy that closes the connection on a command it does not know (twemproxy does) behaves like this',
    ],
  };
}

function helloProblem(obs: Observations): Problem | undefined {
  const hello = obs.resp?.clientProbe?.exchanges.find((e) => e.command === 'HELLO 3');
  const text = errorOf(hello);
  if (!hello || !text || isNoauth(text) || !obs.resp?.ok) return undefined;
  const version = info(obs, 'redis_version');
  const kind = text.startsWith('noproto') ? 'noproto' : text.startsWith('noperm') ? 'hello-denied' : text.startsWith('err unknown command') && text.includes('hello') ? 'hello-unknown' : 'hello-refused';
  const why: Record<string, string> = {
    noproto: 'the server or proxy does not speak RESP3',
    'hello-denied': `the ACL user "${obs.client.user ?? obs.target.user ?? 'default'}" may not run HELLO`,
    'hello-unknown': version && Number(version.split('.')[0]) < 6 ? `Redis ${version} predates HELLO (Redis 6)` : 'HELLO is unknown here: renamed away (rename-command), or a proxy or server without it',
    'hello-refused': 'something in front of Redis (a proxy) answers HELLO with its own error',
  };
  return {
    severity: 'warning',
    confidence: 'confirmed',
    kind,
    title: `HELLO 3 is refused (${why[kind]}): clients set to RESP3 cannot connect`,
    evidence: [
      `HELLO 3 → ${wire(hello.reply!)}`,
      ...(version ? [`redis_version:${version}`] : []),
      'fail: node-redis with RESP: 3, redis-py with protocol=3, Jedis with RESP3; go-redis v9 falls back to RESP2 on an error reply; ioredis and the RESP2 defaults of node-redis and redis-py never send HELLO',
    ],
  };
}

function setinfoProblem(obs: Observations): Problem | undefined {
  const setinfo = obs.resp?.clientProbe?.exchanges.find((e) => e.command.startsWith('CLIENT SETINFO'));
  const text = errorOf(setinfo);
  if (!setinfo || !text || isNoauth(text) || isRedisUnknownSubcommand(text) || !obs.resp?.ok) return undefined;
  return {
    severity: 'info',
    confidence: 'confirmed',
    kind: 'setinfo-refused',
    title: 'CLIENT SETINFO is refused with an error Redis itself does not send; client libraries ignore an error reply to it',
    evidence: [`${setinfo.command} → ${wire(setinfo.reply!)}`],
  };
}

export const rule = defineRule({
  cause: 'handshake-incompatible',
  impact: 'degrading',
  // AUTH <user> <password> refused for its arity leaves PING with -NOAUTH: the password was given, in a form the server predates.
  supersedes: ['auth-required', 'unexpected-reply'],
  evaluate(obs): FindingDraft | undefined {
    const problems = [authProblem(obs), closedProblem(obs), helloProblem(obs), setinfoProblem(obs)].filter((p): p is Problem => p !== undefined);
    if (problems.length === 0) return undefined;
    problems.sort((a, b) => SEVERITY[a.severity] - SEVERITY[b.severity]);
    const top = problems[0]!;
    const t = fixTarget(obs);
    // Before Redis 6 a client authenticates with the password alone: the URL without a user name.
    const { user: _user, ...withoutUser } = t;
    const needs = top.kind === 'auth-user' ? 'ACL users (AUTH <user> <password>) need Redis 6 or later.' : undefined;
    const remediations = [
      ...(top.kind === 'auth-user' ? [REMEDIATIONS['supply-password'](withoutUser)] : []),
      ...(top.kind === 'hello-denied' ? [REMEDIATIONS['grant-acl-permissions'](t, { user: obs.client.user ?? obs.target.user ?? 'default', commands: ['hello', 'client|setinfo'] })] : []),
      ...(top.kind !== 'auth-user' ? [REMEDIATIONS['use-resp2-handshake'](t)] : []),
      REMEDIATIONS['upgrade-server-or-proxy'](t, needs ? { needs } : {}),
    ];
    return {
      severity: top.severity,
      confidence: top.confidence,
      title: top.title,
      evidence: problems.flatMap((p) => p.evidence).map((line) => clip(line, 320)),
      remediations,
      details: { kinds: problems.map((p) => p.kind).join(',') },
    };
  },
});
