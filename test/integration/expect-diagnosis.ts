/**
 * The assertion every integration test makes: the primary cause, the
 * verdict, and a piece of evidence quoting what the real server did. On a
 * mismatch the message shows the findings and checks, which is what one
 * needs to tell a lab problem from an engine one.
 */
import { expect } from 'vitest';
import type { DiagnoseTarget } from '../../src/engine/model/options.js';
import type { CauseId, Diagnosis, Verdict } from '../../src/engine/model/types.js';

export function targetOf(host: string, port: number, tls = false): DiagnoseTarget {
  return { input: `${tls ? 'rediss' : 'redis'}://${host}:${port}`, host, port, tls };
}

function summary(d: Diagnosis): string {
  const findings = d.findings.map((f) => `  ${f.cause} (${f.severity}): ${f.evidence.join(' | ')}`).join('\n');
  const checks = d.checks.map((c) => `  ${c.id} ${c.status} ${c.durationMs}ms: ${c.detail}`).join('\n');
  return `verdict ${d.verdict}, primary ${d.primaryCause}\nfindings:\n${findings}\nchecks:\n${checks}`;
}

export function expectDiagnosis(d: Diagnosis, expected: { primaryCause: CauseId | null; verdict: Verdict; evidence?: RegExp }): void {
  expect({ primaryCause: d.primaryCause, verdict: d.verdict }, summary(d)).toEqual({ primaryCause: expected.primaryCause, verdict: expected.verdict });
  if (expected.primaryCause !== null) expect(d.findings[0]?.cause, summary(d)).toBe(expected.primaryCause);
  if (expected.evidence) expect(d.findings[0]?.evidence.join('\n') ?? '', summary(d)).toMatch(expected.evidence);
}
