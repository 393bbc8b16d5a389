/**
 * The URL password in a command-line word, found before the target is
 * validated, so the run's Redactor knows it even when the word ends up in an
 * error message. (The document itself is scrubbed by Redactor.redactDeep,
 * which walks values: a password holding `"` or `\` cannot hide behind JSON
 * escaping.)
 */
import { typedUrlPassword } from '../engine/index.js';

/** The password of a redis:// URL, decoded (as typed when its %-escapes are malformed). */
export function urlPassword(input: string): string | undefined {
  const typed = typedUrlPassword(input);
  if (typed === undefined) return undefined;
  try {
    return decodeURIComponent(typed);
  } catch {
    return typed;
  }
}
