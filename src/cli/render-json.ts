/**
 * `--json`: exactly one JSON document, the Diagnosis of INTERFACES.md
 * section 2, followed by one newline. Nothing else ever goes to stdout in
 * this mode (progress and errors go to stderr).
 */
import type { Diagnosis } from '../engine/index.js';

export function renderJson(d: Diagnosis): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
