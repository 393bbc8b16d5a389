/**
 * Pure renderer of a grouped alert (monitor/grouping.ts): first block
 * `alert-group:<cause>` (the shared cause, or `mixed`), one line per target
 * with its state, and where the rest is — each target's own message, with its
 * buttons, findings and recovery, is in the thread. Short lines: read on a
 * phone, the list is the message.
 */
import type { types } from '@slack/bolt';
import type { GroupView, IncidentView } from '../../monitor/alert-sink.js';
import { duration } from './alert.js';
import { address, context, fallback, fallbackMrkdwn, packSections, section, slackDateOfMs, type Rendered } from './elements.js';
import { code, escapeMrkdwn } from './mrkdwn.js';

function memberLine(v: IncidentView): string {
  const where = v.targetInfo ? ` ${code(address(v.targetInfo))}` : '';
  const name = `*${escapeMrkdwn(v.target)}*${where}`;
  if (v.resolvedAt !== undefined) return `• :white_check_mark: ${name} recovered ${slackDateOfMs(v.resolvedAt)} — was down ${duration(v.downtimeMs ?? 0)}`;
  const cause = v.cause && v.cause !== 'none' ? ` — ${code(v.cause)}` : '';
  return `• :red_circle: ${name} down since ${slackDateOfMs(v.firstFailureAt)}${cause}${v.ackedBy ? ' · acknowledged' : ''}`;
}

export function renderGroup(g: GroupView): Rendered {
  const n = g.members.length;
  const down = g.members.filter((m) => m.resolvedAt === undefined).length;
  const shared = [
    ...(g.host ? [`on host ${code(g.host)}`] : []),
    ...(g.cause !== 'mixed' && g.cause !== 'none' ? [`cause ${code(g.cause)}`] : []),
  ].join(', ');
  const what = shared ? ` (${shared})` : '';
  const headline = down === 0
    ? `:white_check_mark: *All ${n} targets recovered*${what}`
    : `:rotating_light: *${down} of ${n} targets down together*${what}`;
  const page = down > 0 && g.mention ? `${g.mention} ` : '';
  const blocks: types.KnownBlock[] = [section(`${page}${headline}`, `alert-group:${g.cause}`)];
  const shown = packSections(blocks, g.members.map(memberLine), 2);
  if (shown < n) blocks.push(context([`… and ${n - shown} more in the thread`]));
  blocks.push(context([down === 0
    ? 'Every target answers again. Each one\'s findings and recovery are in the thread.'
    : 'Each target has its own message in the thread: its findings, its buttons (re-check, I\'m on it, snooze) and its recovery.']));
  const text = down === 0 ? `All ${n} targets recovered (${g.cause})` : `${down} of ${n} targets down together (${g.cause})`;
  return { text: page ? fallbackMrkdwn(`${page}${escapeMrkdwn(text)}`) : fallback(text), blocks };
}
