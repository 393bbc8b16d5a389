/**
 * Observations → findings, primary cause and verdict. Pure: no I/O.
 *
 * 1. Every rule runs on the same observations.
 * 2. A finding is dropped when another rule that fired lists its cause in
 *    `supersedes` (wrong-port explains a refused connection better than the
 *    generic connection-refused does).
 * 3. Order: severity (critical, warning, info), then rule rank (lower is more
 *    specific), then registration order. findings[0] is the primary cause.
 *
 * Verdict (INTERFACES.md section 2):
 *  - unreachable: the client cannot use the server at all — PING did not get
 *    +PONG (no DNS/TCP/TLS, not Redis, -DENIED, -NOAUTH, max clients,
 *    -LOADING, -BUSY, -MISCONF and -MASTERDOWN, which Redis 7 gives to PING
 *    too), or a critical finding says the session is unusable even though
 *    PING passed (e.g. a TLS client whose port only speaks plaintext).
 *  - degraded: PING works but there is a warning or critical finding about a
 *    server that answers with problems: memory limit, persistence failing,
 *    replica link down, fd limit (DEGRADING_CAUSES).
 *  - healthy: PING works and no finding is critical or warning (info allowed).
 * primaryCause is null when healthy, else findings[0].cause (null only when
 * the server is unusable and no rule could say why).
 */
import { RULES } from './rules/index.js';
import type { CauseId, Finding, Observations, Rule, Severity, Verdict } from './types.js';

/** Causes that describe a server which answers, but impaired; critical ones still mean "degraded". */
export const DEGRADING_CAUSES: ReadonlySet<CauseId> = new Set<CauseId>([
  'memory-limit-reached',
  'persistence-failing',
  'replica-link-down',
  'fd-limit-too-low',
  'disk-full',
  'oom-killed',
]);

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export interface Evaluation {
  findings: Finding[];
  primaryCause: CauseId | null;
  verdict: Verdict;
}

export function verdictOf(obs: Observations, findings: readonly Finding[]): Verdict {
  const pingOk = obs.resp?.ok === true;
  const unusable = findings.some((f) => f.severity === 'critical' && !DEGRADING_CAUSES.has(f.cause));
  if (!pingOk || unusable) return 'unreachable';
  if (findings.some((f) => f.severity !== 'info')) return 'degraded';
  return 'healthy';
}

export function evaluate(obs: Observations, rules: readonly Rule[] = RULES): Evaluation {
  const fired: { rule: Rule; finding: Finding; order: number }[] = [];
  rules.forEach((rule, order) => {
    const finding = rule.evaluate(obs);
    if (finding) fired.push({ rule, finding, order });
  });
  const superseded = new Set<CauseId>();
  for (const { rule } of fired) for (const cause of rule.supersedes ?? []) if (cause !== rule.cause) superseded.add(cause);
  const findings = fired
    .filter(({ finding }) => !superseded.has(finding.cause))
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.finding.severity] - SEVERITY_ORDER[b.finding.severity] || a.rule.rank - b.rule.rank || a.order - b.order,
    )
    .map(({ finding }) => finding);
  const verdict = verdictOf(obs, findings);
  return { findings, primaryCause: verdict === 'healthy' ? null : (findings[0]?.cause ?? null), verdict };
}
