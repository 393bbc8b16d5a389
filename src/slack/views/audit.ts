/**
 * Pure renderer for `/redis-diagnose audit`: the newest audit entries, one
 * line each, packed into sections within Block Kit's limits (3000 characters
 * a section, 50 blocks a message). Every value is escaped: commands, replies
 * and reasons came from servers.
 */
import type { AuditEntry } from '../../stores/audit-log.js';
import { context, fallback, packSections, section, slackDateOfIso, type Rendered } from './elements.js';
import { code, escapeMrkdwn, mention, truncate } from './mrkdwn.js';

const MAX_LINE = 900;

function line({ record: r }: AuditEntry): string {
  const parts = [
    // Views and refused clicks have no request: no empty code span for them.
    `${slackDateOfIso(r.at)} *${escapeMrkdwn(r.event)}*${r.requestId ? ` ${code(r.requestId)}` : ''}`,
    `${code(r.target)} ${code(r.cause)} → ${code(r.remediationId)}`,
    ...(r.command ? [`command ${code(r.command)}`] : []),
    `asked by ${mention(r.requestedBy)}`,
    ...(r.decidedBy ? [`decided by ${mention(r.decidedBy)}`] : []),
    ...(r.by && r.by !== r.requestedBy && r.by !== r.decidedBy ? [`by ${r.by.startsWith('worker:') ? code(r.by) : mention(r.by)}`] : []),
    `outcome *${escapeMrkdwn(r.outcome)}*`,
    ...(r.reply ? [`reply ${code(truncate(r.reply, 200))}`] : []),
    ...(r.reason ? [`_${escapeMrkdwn(truncate(r.reason, 300))}_`] : []),
  ];
  return `• ${truncate(parts.join(' · '), MAX_LINE)}`;
}

export function renderAudit(entries: AuditEntry[], wanted: number): Rendered {
  if (entries.length === 0) {
    return { text: 'The audit trail is empty.', blocks: [section('The audit trail is empty: no remediation has been requested yet.', 'audit')] };
  }
  const blocks: Rendered['blocks'] = [section(`*Audit trail* — the latest ${entries.length} entries, newest first:`, 'audit')];
  const shown = packSections(blocks, entries.map(line), 2);
  if (shown < entries.length) blocks.push(context([`… ${entries.length - shown} more not shown`]));
  blocks.push(context([`Up to ${wanted} entries; the full trail is the Redis stream of the bot (XREVRANGE).`]));
  return { text: fallback(`Audit trail: ${entries.length} entries`), blocks };
}
