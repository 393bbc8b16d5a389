/**
 * `/redis-diagnose silence <target|*> <duration> [reason]`, `silence <target|*> off`
 * and `silences` (maintenance windows, monitor/silences.ts).
 *
 * Setting or ending a silence is for approvers (`access.approvers`); the list
 * is for whoever may diagnose. Every change, and every refused attempt, is
 * one entry of the audit trail (`/redis-diagnose audit`). All of it is
 * answered privately in the ack; the only Redis calls are bounded.
 */
import type { SlashCommand } from '@slack/bolt';
import type { Config } from '../config/schema.js';
import type { AuditLog, AuditRecord } from '../stores/audit-log.js';
import type { SilenceStore } from '../stores/silence-store.js';
import type { Logger } from '../log.js';
import { ALL_TARGETS, cleanReason, parseDuration, type SilenceRecord } from '../monitor/silences.js';
import { canApprove, canDiagnose } from './admission.js';
import { section, type Rendered } from './views/elements.js';
import { code, truncate } from './views/mrkdwn.js';
import { renderSilenceEnded, renderSilences, renderSilenceSet } from './views/silences.js';

/** Command text longer than this is refused before it is split (Slack allows ~4000). */
const MAX_TEXT = 1000;
const SHOWN = 64;

export interface SilenceDeps {
  config: Config;
  log: Logger;
  silences?: SilenceStore;
  audit?: AuditLog;
  /** The monitored targets (a silence names one of them, or `*`). */
  monitored?: ReadonlySet<string>;
  now?: () => number;
}

export type SilenceOutcome = 'silence' | 'forbidden' | 'refused' | 'usage';

function say(text: string, blockId: string): Rendered {
  return { text, blocks: [section(text, blockId)] };
}

/** `silence …` or `silences` (the first word, case-insensitive); anything else is not ours. */
export function isSilenceCommand(text: string): boolean {
  const first = text.trimStart().slice(0, 10).split(/\s/, 1)[0]!.toLowerCase();
  return first === 'silence' || first === 'silences';
}

// &lt; &gt;: Slack reads <…|…> as a link even inside code.
const USAGE = 'Usage: `silence &lt;target|*&gt; &lt;duration&gt; [reason]` (duration `30m`, `2h`, `1d`; at most `7d`), `silence &lt;target|*&gt; off`, or `silences`.';

function auditRecord(by: string, channel: string, target: string, now: number, e: Pick<AuditRecord, 'event' | 'outcome' | 'mode' | 'reason'>): AuditRecord {
  const at = new Date(now).toISOString();
  return { at, by, requestId: '', diagnosisId: '', target, cause: '', remediationId: 'silence', risk: 'low', requestedBy: by, requestedAt: at, channel, ...e };
}

/** The text after the first `n` whitespace-separated words (one pass, no regex). */
function afterWords(text: string, n: number): string {
  let i = 0;
  for (let w = 0; w < n; w++) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    while (i < text.length && !/\s/.test(text[i]!)) i++;
  }
  return text.slice(i);
}

export async function silenceCommand(body: SlashCommand, deps: SilenceDeps): Promise<{ outcome: SilenceOutcome; answer: Rendered }> {
  const { config, log } = deps;
  const now = (deps.now ?? Date.now)();
  const user = body.user_id;
  const raw = (body.text ?? '').trim();
  const words = raw.slice(0, MAX_TEXT).split(/\s+/);
  const sub = words[0]!.toLowerCase();
  const audit = async (r: AuditRecord) => {
    await deps.audit?.append(r).catch((err: Error) => log.log('warn', 'could not audit the silence', { error: err.message }));
  };

  if (sub === 'silences') {
    if (!canDiagnose(user, config)) return { outcome: 'forbidden', answer: say('You are not allowed to read the silences here (`access.diagnose` in the bot config).', 'forbidden') };
    if (!deps.silences) return { outcome: 'usage', answer: say('Silences need monitoring (`alerts:` in the bot config).', 'silences') };
    try {
      return { outcome: 'silence', answer: renderSilences(await deps.silences.active(now), now) };
    } catch (err) {
      log.log('warn', 'silences unreadable', { error: (err as Error).message });
      return { outcome: 'silence', answer: say(':warning: The silences cannot be read: the bot\'s Redis is unreachable. Try again when it is back (see /readyz).', 'silences') };
    }
  }

  // `silence …`: approvers only. A refusal changes nothing and is audited (what was asked, cut).
  if (!canApprove(user, config)) {
    log.log('info', 'command refused: silence', { user });
    await audit(auditRecord(user, body.channel_id, truncate(words[1] ?? '', SHOWN), now, { event: 'command-refused', outcome: 'refused', mode: 'silence', reason: `silence refused: not an approver (asked: ${truncate(raw, 300)})` }));
    return { outcome: 'forbidden', answer: say('Only approvers (`access.approvers` in the bot config) can silence alerts. Nothing changed.', 'forbidden') };
  }
  if (raw.length > MAX_TEXT) return { outcome: 'usage', answer: say(`That is too long (at most ${MAX_TEXT} characters). Nothing changed. ${USAGE}`, 'usage') };
  if (!deps.silences || !deps.monitored) return { outcome: 'usage', answer: say('Silences need monitoring (`alerts:` in the bot config). Nothing changed.', 'silence') };
  const target = words[1];
  const when = words[2];
  if (!target || !when) return { outcome: 'usage', answer: say(USAGE, 'usage') };
  if (target !== ALL_TARGETS && !deps.monitored.has(target)) {
    return { outcome: 'refused', answer: say(`:no_entry: ${code(truncate(target, SHOWN))} is not a monitored target (\`alerts.targets\`), nor \`*\`. Nothing changed.`, 'refused') };
  }
  try {
    if (when.toLowerCase() === 'off') {
      if (words.length > 3) return { outcome: 'usage', answer: say(`\`off\` takes no reason. Nothing changed. ${USAGE}`, 'usage') };
      const ended = await deps.silences.end(target, now);
      if (ended) await audit(auditRecord(user, body.channel_id, target, now, { event: 'unsilenced', outcome: 'unsilenced', mode: 'silence off', reason: `silence set by ${ended.by} until ${new Date(ended.until).toISOString()} ended early` }));
      log.log('info', 'silence ended', { target, by: user, wasSet: ended !== undefined });
      return { outcome: 'silence', answer: renderSilenceEnded(target, ended) };
    }
    const d = parseDuration(when);
    if (!d.ok) return { outcome: 'usage', answer: say(`:no_entry: ${code(truncate(when, 16))}: ${d.reason}. Nothing changed.`, 'usage') };
    // The reason: everything after the duration, as typed (spaces folded), cleaned and bounded.
    const reason = cleanReason(afterWords(raw.slice(0, MAX_TEXT), 3));
    const before = (await deps.silences.active(now)).find((s) => s.target === target);
    const rec: SilenceRecord = { target, by: user, at: now, until: now + d.ms, ...(reason ? { reason } : {}) };
    await deps.silences.set(rec);
    await audit(auditRecord(user, body.channel_id, target, now, { event: 'silenced', outcome: 'silenced', mode: `silence ${when.toLowerCase()}`, reason: `no alerts for ${target} until ${new Date(rec.until).toISOString()}${reason ? `: ${reason}` : ''}` }));
    log.log('info', 'silence set', { target, by: user, until: rec.until });
    return { outcome: 'silence', answer: renderSilenceSet(rec, before !== undefined, now) };
  } catch (err) {
    log.log('warn', 'silence not recorded', { error: (err as Error).message });
    return { outcome: 'silence', answer: say(':warning: The silence could not be recorded: the bot\'s Redis is unreachable. Nothing changed; try again when it is back.', 'silence') };
  }
}
