/**
 * INFO text → sections. The format (https://redis.io/docs/latest/commands/info/):
 *   # Server\r\n
 *   redis_version:7.0.15\r\n
 *   …
 *   # Keyspace\r\n
 *   db0:keys=1,expires=0,avg_ttl=0\r\n
 * Section names are lower-cased; a field keeps everything after its first colon.
 */
import type { InfoObservation } from '../model/types.js';
import { dict } from '../shared/dict.js';
import { outputLines } from '../shared/lines.js';

/**
 * Lines read (fields and section headers): a real INFO everything has a few hundred, plus one line per
 * database (`databases` is 16 by default) and per command in commandstats.
 * An 8 MB INFO of tiny lines would otherwise become a million-key table in one step.
 */
const MAX_FIELDS = 20_000;

export function parseInfo(text: string): InfoObservation {
  const sections: InfoObservation['sections'] = dict();
  let current: Record<string, string> | undefined;
  let fields = 0;
  // Lines capped (values too): rules match patterns on INFO values.
  for (const raw of outputLines(text)) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0) continue;
    if (++fields > MAX_FIELDS) break;
    if (line.startsWith('#')) {
      const name = line.slice(1).trim().toLowerCase();
      current = sections[name] ??= dict();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current ??= sections['default'] ??= dict();
    current[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return { sections };
}

/** A field from whichever section holds it (names are unique across sections). */
export function infoField(sections: InfoObservation['sections'] | undefined, field: string): string | undefined {
  for (const fields of Object.values(sections ?? {})) if (fields[field] !== undefined) return fields[field];
  return undefined;
}
