/**
 * Observations → findings, primary cause and verdict. Pure: no I/O.
 *
 * 1. Every rule runs on the same observations.
 * 2. A finding is dropped when another rule that fired lists its cause in
 *    `supersedes` (wrong-port explains a refused connection better than the
 *    generic connection-refused does) — unless that finding is only
 *    `possible`: a guess never explains away what was seen.
 * 3. Order: `possible` findings after all confirmed and likely ones
 *    (INTERFACES.md section 2: "a possible finding never outranks a confirmed
 *    or likely one"); then severity (critical, warning, info); then the
 *    ranking — the order of the rules list (rules/index.ts), most specific
 *    first. findings[0] is the primary cause: the most specific cause the
 *    evidence supports at least as likely.
 *
 * Verdict (INTERFACES.md section 2):
 *  - unreachable: the client cannot use the server at all — PING did not get
 *    +PONG (no DNS/TCP/TLS, not Redis, -DENIED, -NOAUTH, max clients,
 *    -LOADING, -BUSY, -MISCONF and -MASTERDOWN, which Redis 7 gives to PING
 *    too), or a critical finding of a rule whose impact is `unusable` says
 *    the session is unusable even though PING passed (e.g. a TLS client whose
 *    port only speaks plaintext).
 *  - degraded: PING works but there is a warning, or a critical finding of a
 *    `degrading` cause: a server that answers with problems (memory limit,
 *    persistence failing, replica link down, fd limit …).
 *  - healthy: PING works and no finding is critical or warning (info allowed).
 * primaryCause is null when healthy, else findings[0].cause. When no rule
 * recognises why PING failed, the fallback rule (unexpected-reply) says what
 * was seen, so an unhealthy verdict never comes without a finding.
 *
 * A Sentinel target's primary, diagnosed one hop away (obs.topology.primary),
 * goes through the same rules: its findings say which address was followed
 * (title and first evidence line, details.followed), join the target's in one
 * ranking and one supersession (announced-address-unreachable explains the
 * followed primary's refused connect), and the verdict is that of a client
 * that asks the Sentinel and then uses the primary: unreachable when the
 * primary does not answer PING.
 */
import { RULES } from '../rules/index.js';
import type { CauseId, Finding, FollowedPrimary, Observations, Remediation, Rule, Severity, Verdict } from '../model/types.js';
import { hostPort } from '../shared/address.js';

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export interface Evaluation {
  findings: Finding[];
  primaryCause: CauseId | null;
  verdict: Verdict;
}

function verdictOf(obs: Observations, findings: readonly { finding: Finding; rule: Rule }[]): Verdict {
  const primary = obs.topology?.primary;
  const pingOk = obs.resp?.ok === true && (!primary || primary.observations.resp?.ok === true);
  const unusable = findings.some(({ finding, rule }) => finding.severity === 'critical' && rule.impact === 'unusable');
  if (!pingOk || unusable) return 'unreachable';
  if (findings.some(({ finding }) => finding.severity !== 'info')) return 'degraded';
  return 'healthy';
}

/**
 * A fix for the followed primary, guided: its command was computed from the
 * primary's INFO, and the bot only ever sends a command to the configured
 * target (here the Sentinel, which must never get it). A person applies it
 * on the primary the steps name.
 */
function guidedOnPrimary(r: Remediation, where: string): Remediation {
  if (r.mode !== 'automatic' && r.redisCommand === undefined) return r;
  const { redisCommand: _sent, ...rest } = r;
  return { ...rest, mode: 'guided', steps: [`Apply it on the primary ${where} (the bot does not send it: the configured target is the Sentinel that named it).`, ...r.steps] };
}

/** A finding about the followed primary, saying so. */
function followedFinding(finding: Finding, primary: FollowedPrimary): Finding {
  const where = hostPort(primary.observations.target.host, primary.observations.target.port);
  return {
    ...finding,
    title: `Primary ${where} of "${primary.masterName}" (named by Sentinel ${primary.sentinel}): ${finding.title}`,
    evidence: [`followed: Sentinel ${primary.sentinel} names ${where} as the primary of "${primary.masterName}"`, ...finding.evidence],
    remediations: finding.remediations.map((r) => guidedOnPrimary(r, where)),
    details: { ...finding.details, followed: where },
  };
}

/** A fix listed once per finding (two rules' helpers may both add start-redis): the first stays. */
function withUniqueRemediations(finding: Finding): Finding {
  const ids = new Set<string>();
  const remediations = finding.remediations.filter((r) => !ids.has(r.id) && Boolean(ids.add(r.id)));
  return remediations.length === finding.remediations.length ? finding : { ...finding, remediations };
}

/** `rules` in ranking order, most specific first (default: every rule, rules/index.ts). */
export function evaluate(obs: Observations, rules: readonly Rule[] = RULES): Evaluation {
  const fired: { rule: Rule; finding: Finding; rank: number }[] = [];
  const primary = obs.topology?.primary;
  const run = (fallback: boolean) => rules.forEach((rule, rank) => {
    if ((rule.fallback ?? false) !== fallback) return;
    const finding = rule.evaluate(obs);
    if (finding) fired.push({ rule, finding, rank });
    const followed = primary && rule.evaluate(primary.observations);
    if (followed) fired.push({ rule, finding: followedFinding(followed, primary), rank });
  });
  run(false);
  // An unhealthy verdict always comes with a finding that quotes what was seen.
  if (!fired.some(({ finding }) => finding.severity !== 'info') && verdictOf(obs, []) !== 'healthy') run(true);
  const superseded = new Set<CauseId>();
  for (const { rule, finding } of fired) {
    if (finding.confidence === 'possible') continue;
    for (const cause of rule.supersedes ?? []) if (cause !== rule.cause) superseded.add(cause);
  }
  const guess = (f: Finding) => (f.confidence === 'possible' ? 1 : 0);
  const kept = fired
    .filter(({ finding }) => !superseded.has(finding.cause))
    .sort((a, b) => guess(a.finding) - guess(b.finding) || SEVERITY_ORDER[a.finding.severity] - SEVERITY_ORDER[b.finding.severity] || a.rank - b.rank);
  const findings = kept.map(({ finding }) => withUniqueRemediations(finding));
  const verdict = verdictOf(obs, kept);
  return { findings, primaryCause: verdict === 'healthy' ? null : (findings[0]?.cause ?? null), verdict };
}
