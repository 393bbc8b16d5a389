/**
 * Alertmanager's webhook payload, version 4 (the only version it sends:
 * prometheus/alertmanager notify/webhook, `"version": "4"`), checked with zod.
 * Every field is hostile text from whoever can reach the route: lengths are
 * capped here, before anything reads them; unknown fields are ignored.
 */
import { z } from 'zod';

/** Alerts in one payload: Alertmanager sends a group's alerts at once (max_alerts unset: all of them). */
export const MAX_ALERTS = 5000;
const MAX_LABELS = 64;
const MAX_TEXT = 2048;

const text = z.string().max(MAX_TEXT);
const labels = z.record(z.string().max(256), text).refine((l) => Object.keys(l).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`);

export const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.optional(),
  startsAt: z.string().max(64),
  endsAt: z.string().max(64).optional(),
  generatorURL: text.optional(),
  fingerprint: z.string().max(128).optional(),
});

export const payloadSchema = z.object({
  version: z.literal('4'),
  groupKey: text.optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: text.optional(),
  alerts: z.array(alertSchema).max(MAX_ALERTS),
});

export type AlertmanagerAlert = z.infer<typeof alertSchema>;
export type AlertmanagerPayload = z.infer<typeof payloadSchema>;

/** The payload, or why not (one line naming the field, never echoing its value). */
export function parsePayload(body: string): { ok: true; payload: AlertmanagerPayload } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: 'the body is not JSON (malformed or truncated)' };
  }
  const r = payloadSchema.safeParse(json);
  if (r.success) return { ok: true, payload: r.data };
  const issue = r.error.issues[0];
  const where = issue?.path.map(String).join('.').slice(0, 100).replace(/[^A-Za-z0-9_.-]/g, '?') || 'the payload';
  return { ok: false, error: `not an Alertmanager webhook payload (version 4): ${where}: ${issue?.code ?? 'invalid'}` };
}
