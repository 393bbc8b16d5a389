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

export function parseInfo(text: string): InfoObservation {
  const sections: InfoObservation['sections'] = dict();
  let current: Record<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0) continue;
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
