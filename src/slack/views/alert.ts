/**
 * Pure renderers of the monitor's messages: an incident's parent message
 * (open, acknowledged, resolved), the notes in its thread, and the paused /
 * resumed notices. The findings in the thread are renderFinding's
 * (views/diagnosis.ts), so an alert thread looks exactly like a diagnosis
 * thread.
 *
 * Ids (INTERFACES.md section 6): the parent's first block has block_id
 * `alert:<target-name>`; its buttons are `recheck:<ref>`, `ack:<ref>` and a
 * `snooze:<ref>` menu, where <ref> is `i.<incident id>` — a reference, looked
 * up and authorised when clicked.
 *
 * Times are Slack date tokens (`<!date^unix^{date_short_pretty} {time_secs}|fallback>`),
 * shown in each reader's own time zone; the fallback is UTC ISO.
 */
import type { types } from '@slack/bolt';
import type { IncidentNote, IncidentView, PauseInfo } from '../../monitor/alert-sink.js';
import { SNOOZE_OPTIONS } from '../../monitor/incident-actions.js';
import { renderFinding, type FindingView } from './diagnosis.js';
import { address, context, fallback, fallbackMrkdwn, linksBlock, recheckButton, section, slackDateOfMs, type Rendered } from './elements.js';
import { LIMITS } from './limits.js';
import { code, escapeMrkdwn, mention, truncate } from './mrkdwn.js';
import { ACTION } from '../refs.js';
import { isSlowCode } from '../../monitor/latency.js';

/** An incident opened by slowness (alerts.latencyMs) is said slow, not down: its target answers. */
function word(v: IncidentView): 'slow' | 'down' {
  return isSlowCode(v.firstCode) ? 'slow' : 'down';
}

/** `45 s`, `3 min 20 s`, `2 h 5 min`, `3 days 4 h`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} days ${h % 24} h` : `${d} days`;
}

function label(v: IncidentView): string {
  const where = v.targetInfo ? ` (${code(address(v.targetInfo))})` : '';
  return `*${escapeMrkdwn(v.target)}*${where}`;
}

function causeText(v: IncidentView): string {
  if (!v.cause) return v.title ? ` — cause unknown: ${escapeMrkdwn(v.title)}` : '';
  if (v.cause === 'none') return ' — the diagnosis found nothing wrong (the failure came and went)';
  return ` — ${escapeMrkdwn(v.title ?? '')} (${code(v.cause)})`;
}

/** The first failed probe: its error once (`connect ECONNREFUSED …` already names the code), else code and error. */
export function failureText(v: Pick<IncidentView, 'firstCode' | 'firstError'>): string {
  const error = v.firstError ? truncate(v.firstError, 200) : undefined;
  if (error && error.includes(v.firstCode)) return code(error);
  return `${code(v.firstCode)}${error ? ` ${escapeMrkdwn(error)}` : ''}`;
}

function facts(v: IncidentView): string[] {
  if (v.source === 'alertmanager') return alertFacts(v);
  const out = [
    `${v.resolvedAt === undefined ? `${word(v) === 'slow' ? 'Slow' : 'Down'} since` : `Was ${word(v)} from`} ${slackDateOfMs(v.firstFailureAt)}${v.resolvedAt !== undefined ? ` to ${slackDateOfMs(v.resolvedAt)}` : ''}`,
    `first failed probe: ${failureText(v)}`,
    v.lastOkAt !== undefined ? `last good probe ${slackDateOfMs(v.lastOkAt)}` : 'no good probe seen since monitoring began',
    ...(v.diagnosedFrom ? [`diagnosed from ${escapeMrkdwn(truncate(v.diagnosedFrom, 300))}`] : []),
    v.reason === 'flapping'
      ? `alerted because it is flapping: it keeps failing and answering again (probe every ${v.intervalSeconds} s)`
      : `alerted after ${v.failuresBeforeAlert} ${word(v) === 'slow' ? 'slow' : 'failed'} probe${v.failuresBeforeAlert === 1 ? '' : 's'} in a row, every ${v.intervalSeconds} s`,
  ];
  return out;
}

/** An incident Alertmanager opened: when the alert began, which alert (escaped), no probe counts. */
function alertFacts(v: IncidentView): string[] {
  const out = [
    `${v.resolvedAt === undefined ? 'Firing since' : 'Fired from'} ${slackDateOfMs(v.firstFailureAt)}${v.resolvedAt !== undefined ? ` to ${slackDateOfMs(v.resolvedAt)}` : ''}`,
    `alerted by Alertmanager: ${failureText(v)}`,
  ];
  if (v.ackedBy) out.push(`${mention(v.ackedBy)} is on it`);
  return out;
}

function snoozeMenu(ref: string): types.StaticSelect {
  const text: Record<keyof typeof SNOOZE_OPTIONS, string> = { '1h': '1 hour', '4h': '4 hours', '24h': '24 hours' };
  return {
    type: 'static_select',
    action_id: truncate(`${ACTION.snooze}${ref}`, LIMITS.actionId, ''),
    placeholder: { type: 'plain_text', text: 'Snooze alerts…' },
    options: (Object.keys(SNOOZE_OPTIONS) as (keyof typeof SNOOZE_OPTIONS)[]).map((value) => ({ text: { type: 'plain_text', text: `Snooze for ${text[value]}` }, value })),
  };
}

/** The parent message: first block `alert:<target>`, the cause and what changed, the buttons while it is open. */
export function renderIncident(v: IncidentView): Rendered {
  const resolved = v.resolvedAt !== undefined;
  const headline = resolved
    ? `:white_check_mark: ${label(v)} *recovered* — was ${word(v)} ${duration(v.downtimeMs ?? 0)}${v.cause && v.cause !== 'none' ? ` (cause: ${code(v.cause)})` : ''}`
    : `:rotating_light: ${label(v)} is *${word(v)}*${causeText(v)}${v.ackedBy ? ` · :eyes: acked by ${mention(v.ackedBy)}` : ''}`;
  // alerts.mention (schema-validated: a user group, <!here>, <!channel>) pages on the open alert; never inside a group's thread.
  const page = !resolved && v.mention && !v.inGroup ? `${v.mention} ` : '';
  const blocks: types.KnownBlock[] = [section(`${page}${headline}`, `alert:${v.target}`), context([facts(v).join(' · ')])];
  const links = linksBlock(v);
  if (links) blocks.push(links);
  if (!resolved) blocks.push(context(['What was found and what to do is in the thread.']));
  // Said once, when posted: later edits (ack, recovery) drop it, the count being stale by then.
  if (!resolved && v.queuedBehind) blocks.push(context([`:hourglass_flowing_sand: … and ${v.queuedBehind} more alert${v.queuedBehind === 1 ? '' : 's'} queued behind Slack's rate limit (the gravest and most recent first).`]));
  const elements: types.ActionsBlockElement[] = [recheckButton(v.ref)];
  if (!resolved && !v.ackedBy) elements.push({ type: 'button', action_id: truncate(`${ACTION.ack}${v.ref}`, LIMITS.actionId, ''), text: { type: 'plain_text', text: "I'm on it" }, value: v.ref, style: 'primary' });
  if (!resolved) elements.push(snoozeMenu(v.ref));
  blocks.push({ type: 'actions', block_id: 'alert-actions', elements });
  const cause = v.cause && v.cause !== 'none' ? v.cause : 'cause unknown';
  const text = resolved
    ? `${v.target} recovered after ${duration(v.downtimeMs ?? 0)} (${cause})`
    : `${v.target} is ${word(v)}: ${cause}${v.title && (v.cause || word(v) === 'slow') ? ` — ${v.title}` : ''}${word(v) === 'slow' && v.cause && v.firstError ? ` (${v.firstError})` : ''}`;
  // Acknowledged: the headline says who, as a mention (the rest escaped).
  if (!resolved && v.ackedBy) return { text: fallbackMrkdwn(`${page}${escapeMrkdwn(`${v.target} is ${word(v)}: ${cause}`)} · acked by ${mention(v.ackedBy)}`), blocks };
  return { text: page ? fallbackMrkdwn(`${page}${escapeMrkdwn(text)}`) : fallback(text), blocks };
}

/** ` (cause-id)` for push texts, or nothing when the incident has no cause. */
function causeSuffix(v: IncidentView): string {
  return v.cause && v.cause !== 'none' ? ` (${v.cause})` : '';
}

/** A note in the incident's thread. */
export function renderNote(note: IncidentNote, v: IncidentView, finding?: FindingView): Rendered {
  const name = `*${escapeMrkdwn(v.target)}*`;
  switch (note.kind) {
    case 'flapping': {
      const what = note.flaps > 0 ? `it answered again and then failed again (${note.flaps}×) while this incident was open` : 'it keeps failing and answering again';
      const t = `:warning: ${name} is flapping: ${what}. It stays one incident, with no new alert, until it answers ${note.holdMs ? `every probe for ${duration(note.holdMs)} (the whole flap window)` : `${note.successesNeeded} probes in a row`}.`;
      return { text: fallback(`${v.target} is flapping`), blocks: [section(t, 'flapping')] };
    }
    case 'cause-changed': {
      const from = note.from && note.from !== 'none' ? ` (was ${code(note.from)})` : '';
      const t = `:arrows_counterclockwise: ${v.inGroup ? `${name}: the` : 'The'} cause changed: now ${code(note.to)}${from} — the probe now fails with ${code(note.probeCode)}.`;
      const blocks: types.KnownBlock[] = [section(t, 'cause-changed')];
      if (note.finding) blocks.push(...renderFinding(note.finding, note.diagnosisId, finding).blocks);
      return { text: fallback(`${v.target}: the cause changed to ${note.to}`), blocks: blocks.slice(0, LIMITS.blocks) };
    }
    case 'reminder': {
      const t = `:alarm_clock: ${name} is still ${word(v)}, for ${duration(note.downForMs)}. A reminder comes every ${note.remindAfterMinutes} min until someone clicks *I'm on it*.`;
      return { text: fallback(`${v.target} is still ${word(v)}${causeSuffix(v)}, for ${duration(note.downForMs)}`), blocks: [section(t, 'reminder')] };
    }
    case 'recovered': {
      const t = `:white_check_mark: ${name} ${word(v) === 'slow' ? 'is fast again' : 'answers again'}: recovered ${slackDateOfMs(note.resolvedAt)} (${note.successes} good probe${note.successes === 1 ? '' : 's'} in a row); ${word(v)} for ${duration(note.downtimeMs)}.`;
      return { text: fallback(`${v.target} recovered after ${duration(note.downtimeMs)}${causeSuffix(v)}`), blocks: [section(t, 'recovered')] };
    }
    case 'acked': {
      const t = `:eyes: ${mention(note.by)} is on it${v.inGroup ? ` (${name})` : ''}. No more reminders for this incident.`;
      return { text: fallbackMrkdwn(`${mention(note.by)} is on it: ${escapeMrkdwn(`${v.target}${causeSuffix(v)}`)}`), blocks: [section(t, 'acked')] };
    }
    case 'snoozed': {
      const t = `:zzz: ${mention(note.by)} snoozed alerts for ${name} until ${slackDateOfMs(note.until)} (${escapeMrkdwn(note.label)}). Meanwhile no alert, reminder or note is posted for it; an incident still open then is alerted.`;
      return { text: fallbackMrkdwn(`${mention(note.by)} snoozed ${escapeMrkdwn(`${v.target}${causeSuffix(v)} until ${new Date(note.until).toISOString()}`)}`), blocks: [section(t, 'snoozed')] };
    }
  }
}

export function renderPaused(info: PauseInfo, resumedAt?: number): Rendered {
  const t = resumedAt === undefined
    ? `:double_vertical_bar: *Monitoring is paused*: the bot's own Redis (the job queue, \`REDIS_URL\`) is unreachable since ${slackDateOfMs(info.since)}: ${escapeMrkdwn(truncate(info.reason, 300))}. No target is probed and no alert can be sent until it is back.`
    : `:double_vertical_bar: Monitoring was paused from ${slackDateOfMs(info.since)} to ${slackDateOfMs(resumedAt)} (${duration(resumedAt - info.since)}): the bot's own Redis was unreachable (${escapeMrkdwn(truncate(info.reason, 300))}).`;
  return { text: fallback(resumedAt === undefined ? 'Monitoring is paused: the queue Redis is unreachable' : 'Monitoring was paused'), blocks: [section(t, 'monitor-paused')] };
}

export function renderResumed(info: PauseInfo & { until: number }): Rendered {
  const t = `:arrow_forward: *Monitoring resumed*: the queue Redis is reachable again, after ${duration(info.until - info.since)}. A target that changed meanwhile is alerted on its next probes.`;
  return { text: fallback('Monitoring resumed'), blocks: [section(t, 'monitor-resumed')] };
}
