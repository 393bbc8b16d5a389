/**
 * The last line of defence before bytes leave the process: every string in
 * the document goes through the run's Redactor. Walking the value (rather
 * than redacting its JSON text) also catches a password containing `"` or
 * `\`, which JSON would have escaped out of recognition.
 */
import type { Redactor } from '../engine/redact.js';
import { typedUrlPassword } from '../engine/target.js';

export function redactValue<T>(value: T, redactor: Redactor): T {
  if (typeof value === 'string') return redactor.redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactValue(v, redactor)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redactor.redact(k)] = redactValue(v, redactor);
    return out as T;
  }
  return value;
}

/** The password of a redis:// URL, decoded, found before the target is validated. */
export function urlPassword(input: string): string | undefined {
  const typed = typedUrlPassword(input);
  if (typed === undefined) return undefined;
  try {
    return decodeURIComponent(typed);
  } catch {
    return typed;
  }
}
