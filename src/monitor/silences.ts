/**
 * Maintenance windows (INTERFACES.md section 6, turn 3): `/redis-diagnose
 * silence <target|*> <duration> [reason]` keeps a target's (or every
 * target's) alerts, notes and reminders quiet until it ends. The monitor
 * still probes and keeps state; an incident still open when the silence
 * ends is alerted then, once (incidents.ts treats a silence like a snooze).
 *
 * Pure parsing and rules here; the store is stores/silence-store.ts.
 */

/** The longest silence: a forgotten one must not hide an outage for weeks. */
export const MAX_SILENCE_MS = 7 * 24 * 3600_000;
export const MIN_SILENCE_MS = 60_000;
export const MAX_REASON = 200;
export const ALL_TARGETS = '*';

export interface SilenceRecord {
  /** A configured target name, or `*` (every monitored target). */
  target: string;
  /** The Slack user id of the approver who set it. */
  by: string;
  at: number;
  until: number;
  /** Free text as typed (stored raw, bounded; every renderer escapes it). */
  reason?: string;
}

/** `30m`, `2h`, `1d`, `90s`? No: minutes, hours, days only (a window shorter than a minute is a typo). */
const DURATION_RE = /^(\d{1,4})(m|h|d)$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3600_000, d: 24 * 3600_000 };

export type DurationParse = { ok: true; ms: number } | { ok: false; reason: string };

export function parseDuration(text: string): DurationParse {
  const m = text.length <= 8 ? DURATION_RE.exec(text.toLowerCase()) : null;
  if (!m) return { ok: false, reason: 'a duration is a number and m, h or d, such as `30m`, `2h` or `1d`' };
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  if (ms < MIN_SILENCE_MS) return { ok: false, reason: 'a silence lasts at least 1 minute' };
  if (ms > MAX_SILENCE_MS) return { ok: false, reason: 'a silence lasts at most 7 days (`7d`): set it again then if the work goes on' };
  return { ok: true, ms };
}

/**
 * A reason as typed, made safe to keep: control and bidi-override characters
 * dropped, whitespace folded, cut to MAX_REASON. Mentions and links stay text:
 * every renderer escapes it.
 */
export function cleanReason(text: string): string {
  const capped = text.slice(0, MAX_REASON * 4);
  let out = '';
  for (const ch of capped) {
    const c = ch.codePointAt(0)!;
    // C0/C1 controls, bidi embeddings/overrides/isolates, zero-width joiners and the BOM.
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff) {
      out += ' ';
      continue;
    }
    out += ch;
  }
  const folded = out.split(' ').filter((w) => w !== '').join(' ');
  return [...folded].slice(0, MAX_REASON).join('');
}

/** The silence that keeps `target` quiet at `now` (its own or `*`), the later-ending first. */
export function silenceFor(target: string, silences: readonly SilenceRecord[], now: number): SilenceRecord | undefined {
  let best: SilenceRecord | undefined;
  for (const s of silences) {
    if (s.until <= now || (s.target !== target && s.target !== ALL_TARGETS)) continue;
    if (!best || s.until > best.until) best = s;
  }
  return best;
}
