/**
 * The one shape of a rule module: it declares its cause, what it explains
 * away and what a critical finding of it means for the verdict — once — and
 * its evaluate() returns the finding without repeating the cause.
 *
 *   export const rule = defineRule({
 *     cause: 'wrong-port',
 *     impact: 'unusable',
 *     supersedes: ['connection-refused'],
 *     evaluate(obs) { … return { severity, confidence, title, evidence, remediations }; },
 *   });
 *
 * Where it ranks among the others is written in one place: the order of RULES
 * in rules/index.ts.
 */
import type { CauseId, FindingDraft, Impact, Observations, Rule } from '../../model/types.js';

export interface RuleSpec {
  cause: CauseId;
  impact: Impact;
  supersedes?: CauseId[];
  fallback?: boolean;
  evaluate(observations: Observations): FindingDraft | undefined;
}

export function defineRule(spec: RuleSpec): Rule {
  return {
    cause: spec.cause,
    impact: spec.impact,
    ...(spec.supersedes ? { supersedes: spec.supersedes } : {}),
    ...(spec.fallback ? { fallback: true } : {}),
    evaluate(observations) {
      const draft = spec.evaluate(observations);
      if (!draft) return undefined;
      // The cause, how bad and how sure first: the order the JSON document shows them in.
      const { severity, confidence, ...rest } = draft;
      return { cause: spec.cause, severity, confidence, ...rest };
    },
  };
}
