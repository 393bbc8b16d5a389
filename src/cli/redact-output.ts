/**
 * The last line of defence before bytes leave the process: every string in
 * the document goes through the run's Redactor. Walking the value (rather
 * than redacting its JSON text) also catches a password containing `"` or
 * `\`, which JSON would have escaped out of recognition.
 */
import type { Redactor } from '../engine/redact.js';

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

/** Password-looking part of a redis:// URL, found before the target is validated. */
export function urlPassword(input: string): string | undefined {
  const m = /^rediss?:\/\/[^:@/]*:([^/]*)@/i.exec(input.trim());
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}
