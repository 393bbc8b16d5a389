/**
 * Pure renderer of the App Home tab (views.publish, a `home` view): each
 * configured target's state, the open incidents (who acked, since when, the
 * cause), the latest diagnoses, and the sections other parts add (silences).
 * `now` is the caller's clock: the view says when it was drawn.
 */
import type { types } from '@slack/bolt';
import { parseTarget } from '../../engine/index.js';
import type { HomeData, HomeIncident, HomeTarget } from '../home/home-data.js';
import { duration } from './alert.js';
import { address, context, packSections, section, slackDateOfIso, slackDateOfMs, VERDICT_ICON } from './elements.js';
import { LIMITS } from './limits.js';
import { code, escapeMrkdwn, mention } from './mrkdwn.js';

export interface HomeView {
  type: 'home';
  blocks: types.KnownBlock[];
}

const MONITOR_ICON = { up: ':large_green_circle:', suspect: ':large_yellow_circle:', down: ':red_circle:', recovering: ':large_yellow_circle:' } as const;

function channelLink(id: string): string {
  // Channel ids come from the config (alerts.channel); anything else is shown as text.
  return /^[CG][A-Z0-9]{2,}$/.test(id) ? `<#${id}>` : escapeMrkdwn(id);
}

function where(t: HomeTarget): string {
  const parsed = parseTarget(t.url);
  return parsed.kind === 'address' ? ` ${code(address(parsed))}` : '';
}

function targetLine(t: HomeTarget, now: number): string {
  const name = `*${escapeMrkdwn(t.name)}*${where(t)}`;
  const parts: string[] = [];
  if (t.monitored) {
    if (!t.monitor) parts.push('monitored, not probed yet');
    else {
      const cause = t.monitor.cause ?? t.monitor.lastFailureCode;
      parts.push(`${MONITOR_ICON[t.monitor.status]} *${t.monitor.status}* for ${duration(now - t.monitor.since)}${cause ? ` (${code(cause)})` : ''}`);
    }
  }
  if (t.last) parts.push(`last diagnosis ${VERDICT_ICON[t.last.verdict]} ${t.last.verdict}${t.last.primaryCause ? ` (${code(t.last.primaryCause)})` : ''} ${slackDateOfIso(t.last.at)}`);
  else parts.push('not diagnosed yet');
  const icon = t.monitor ? '' : t.last ? '' : ':white_circle: ';
  return `${icon}${name} — ${parts.join(' · ')}`;
}

function incidentLine(i: HomeIncident, now: number): string {
  const cause = i.cause ? `${escapeMrkdwn(i.title ?? '')} (${code(i.cause)})` : 'cause unknown';
  const ack = i.ackedBy ? `:eyes: acked by ${mention(i.ackedBy)}${i.ackedAt !== undefined ? ` ${slackDateOfMs(i.ackedAt)}` : ''}` : ':warning: *nobody has acked*';
  return `:rotating_light: *${escapeMrkdwn(i.target)}* down since ${slackDateOfMs(i.since)} (${duration(now - i.since)}) — ${cause} · ${ack} · in ${channelLink(i.channel)}`;
}

/** Lines under a header, packed into sections; what does not fit says how much was left out. */
function part(blocks: types.KnownBlock[], title: string, lines: string[], empty: string, reserve: number): void {
  if (blocks.length >= LIMITS.blocks - reserve - 2) return;
  blocks.push({ type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } });
  if (lines.length === 0) {
    blocks.push(context([empty]));
    return;
  }
  const shown = packSections(blocks, lines, reserve + 1);
  if (shown < lines.length) blocks.push(context([`… and ${lines.length - shown} more`]));
}

export function renderHome(data: HomeData, now: number): HomeView {
  const blocks: types.KnownBlock[] = [];
  const down = data.incidents.length;
  const summary = down === 0 ? ':large_green_circle: No open incident.' : `:rotating_light: *${down} open incident${down === 1 ? '' : 's'}*${data.incidents.some((i) => !i.ackedBy) ? ', not all acknowledged' : ''}.`;
  blocks.push(section(summary, 'home-summary'));
  // Fixed room for each part and the closing line: every part gets a place whatever the sizes.
  part(blocks, 'Open incidents', data.incidents.map((i) => incidentLine(i, now)), 'None: every monitored target answers.', 12 + 3 * data.sections.length);
  part(blocks, 'Targets', data.targets.map((t) => targetLine(t, now)), 'No targets are configured (`targets:` in the config file).', 8 + 3 * data.sections.length);
  part(blocks, 'Latest diagnoses', data.diagnoses.map((d) => `${VERDICT_ICON[d.verdict]} *${escapeMrkdwn(d.target)}* ${d.verdict}${d.primaryCause ? ` (${code(d.primaryCause)})` : ''} ${slackDateOfIso(d.at)}`), 'None yet: `/redis-diagnose <target>` runs one.', 3 + 3 * data.sections.length);
  data.sections.forEach((s, i) => part(blocks, s.title, s.lines, 'None.', 3 * (data.sections.length - i - 1) + 1));
  const notes = [`Updated ${slackDateOfMs(now)} · \`/redis-diagnose help\` lists the commands`];
  if (!data.shared) notes.push(':warning: The queue Redis is unreachable: states known to this process only.');
  blocks.push(context(notes));
  return { type: 'home', blocks: blocks.slice(0, LIMITS.blocks) };
}
