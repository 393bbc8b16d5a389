/**
 * Pure renderers of maintenance windows (monitor/silences.ts): the answer to
 * `/redis-diagnose silence …`, the `silences` list, and the lines `status`
 * (and the App Home) show. Reasons are user text: always escaped.
 */
import type { types } from '@slack/bolt';
import { ALL_TARGETS, type SilenceRecord } from '../../monitor/silences.js';
import { duration } from './alert.js';
import { context, fallback, fallbackMrkdwn, packSections, section, slackDateOfMs, type Rendered } from './elements.js';
import { code, escapeMrkdwn, mention } from './mrkdwn.js';

function what(target: string): string {
  return target === ALL_TARGETS ? '*every monitored target*' : code(target);
}

/** One line: what, who, until when (and how long still), why. */
export function silenceLine(s: SilenceRecord, now: number): string {
  const why = s.reason ? ` — _${escapeMrkdwn(s.reason)}_` : '';
  return `• :no_bell: ${what(s.target)} silenced by ${mention(s.by)} until ${slackDateOfMs(s.until)} (${duration(s.until - now)} left)${why}`;
}

export function renderSilenceSet(s: SilenceRecord, replaced: boolean, now: number): Rendered {
  const t = `:no_bell: ${what(s.target)} is silenced until ${slackDateOfMs(s.until)} (${duration(s.until - now)})${s.reason ? `: _${escapeMrkdwn(s.reason)}_` : ''}.`
    + `${replaced ? ' This replaces the silence it had.' : ''}\nMeanwhile no alert, note or reminder is posted for it; it is still probed, and an incident still open when the silence ends is alerted then. End it early with \`silence ${s.target} off\`.`;
  return { text: fallbackMrkdwn(`${what(s.target)} silenced until ${new Date(s.until).toISOString()}`), blocks: [section(t, 'silence')] };
}

export function renderSilenceEnded(target: string, ended: SilenceRecord | undefined): Rendered {
  const t = ended
    ? `:bell: The silence of ${what(target)} (set by ${mention(ended.by)}) is ended: its alerts go out again; an incident still open is alerted on its next probe.`
    : `${what(target)} was not silenced: nothing changed.`;
  return { text: fallback(ended ? `silence of ${target} ended` : `${target} was not silenced`), blocks: [section(t, 'silence')] };
}

export function renderSilences(list: readonly SilenceRecord[], now: number): Rendered {
  if (list.length === 0) return { text: 'No silences.', blocks: [section('No target is silenced: every alert goes out.', 'silences')] };
  const blocks: types.KnownBlock[] = [section(`*Silences* — ${list.length} in force, soonest-ending first:`, 'silences')];
  const shown = packSections(blocks, list.map((s) => silenceLine(s, now)), 1);
  if (shown < list.length) blocks.push(context([`… ${list.length - shown} more not shown`]));
  return { text: fallback(`${list.length} silence${list.length === 1 ? '' : 's'} in force`), blocks };
}

/** For `status`: the silences in force, as blocks to append (none when there are none). */
export function silenceStatusBlocks(list: readonly SilenceRecord[], now: number, room: number): types.KnownBlock[] {
  if (list.length === 0 || room < 1) return [];
  const blocks: types.KnownBlock[] = [];
  const lines = list.map((s) => silenceLine(s, now));
  const text = `*Silenced* (maintenance windows):\n${lines.join('\n')}`;
  blocks.push(section(text.length <= 2900 ? text : `*Silenced*: ${list.length} targets — see \`silences\``, 'status-silences'));
  return blocks;
}
