/**
 * What a button carries. INTERFACES.md section 6: "Button values carry
 * references, never secrets" — a remediation button names the stored
 * diagnosis, the cause and the remediation id; an approval button names the
 * approval request. Everything else is looked up server side, so a value
 * replayed or edited by a client cannot widen what it refers to.
 */
import { z } from 'zod';
import { CAUSE_IDS, type CauseId } from '../engine/index.js';

/** Diagnosis ids are job ids or inline ids: short, no colon (BullMQ refuses ':' in custom ids). */
export const DIAGNOSIS_ID_RE = /^[A-Za-z0-9_-]{1,80}$/;
export const REMEDIATION_ID_RE = /^[a-z0-9-]{1,100}$/;
export const REQUEST_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
/**
 * `<kind>.<id>`: what a recheck button names (d.<diagnosis id>, or a kind another
 * feature registers), and an alert's ack and snooze (`i.<incident id>`, whose kind
 * the monitor checks: IncidentActions.idOf).
 */
const REF_RE = /^[a-z]{1,8}\.[A-Za-z0-9_-]{1,80}$/;

export interface RemediateRef {
  diagnosisId: string;
  cause: CauseId;
  remediationId: string;
}

const remediateRefSchema = z.object({
  d: z.string().regex(DIAGNOSIS_ID_RE),
  c: z.enum(CAUSE_IDS),
  r: z.string().regex(REMEDIATION_ID_RE),
}).strict();

export function encodeRemediateRef(ref: RemediateRef): string {
  return JSON.stringify({ d: ref.diagnosisId, c: ref.cause, r: ref.remediationId });
}

/** Undefined for anything that is not a value we produced. */
export function decodeRemediateRef(value: string | undefined): RemediateRef | undefined {
  if (!value || value.length > 2000) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch {
    return undefined;
  }
  const parsed = remediateRefSchema.safeParse(data);
  if (!parsed.success) return undefined;
  return { diagnosisId: parsed.data.d, cause: parsed.data.c, remediationId: parsed.data.r };
}

export const ACTION = {
  remediate: 'remediate:',
  /** A guided remediation's steps, posted at once (INTERFACES.md section 6, turn 3); its value is a RemediateRef too. */
  steps: 'steps:',
  approve: 'approve:',
  deny: 'deny:',
  recheck: 'recheck:',
  ack: 'ack:',
  snooze: 'snooze:',
} as const;

const SUFFIX_RE: Record<keyof typeof ACTION, RegExp> = {
  remediate: REMEDIATION_ID_RE,
  steps: REMEDIATION_ID_RE,
  approve: REQUEST_ID_RE,
  deny: REQUEST_ID_RE,
  recheck: REF_RE,
  ack: REF_RE,
  snooze: REF_RE,
};

export function recheckRef(kind: string, id: string): string {
  return `${kind}.${id}`;
}

/** `remediate:<id>` → id, or undefined when the action id is not of that kind or the id is malformed. */
export function actionSuffix(actionId: string, kind: keyof typeof ACTION): string | undefined {
  const prefix = ACTION[kind];
  if (!actionId.startsWith(prefix)) return undefined;
  const rest = actionId.slice(prefix.length);
  return SUFFIX_RE[kind].test(rest) ? rest : undefined;
}
