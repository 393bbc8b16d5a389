/**
 * The building blocks every view uses: the Rendered message shape, escaped
 * fallback text, section and context blocks cut to Slack's limits, and how a
 * target is named. Pure functions.
 */
import type { types } from '@slack/bolt';
import type { TargetInfo, Verdict } from '../../engine/index.js';
import { LIMITS } from './limits.js';
import { code, escapeMrkdwn, truncate } from './mrkdwn.js';
import { ACTION } from '../refs.js';

export interface Rendered {
  /**
   * Notification and fallback text, short. Slack formats it as mrkdwn too
   * and notifies the mentions in it, so it is escaped like the blocks (fallback()).
   */
  text: string;
  blocks: types.KnownBlock[];
}

export const VERDICT_ICON: Record<Verdict, string> = { healthy: ':large_green_circle:', degraded: ':large_orange_circle:', unreachable: ':red_circle:' };

export function section(text: string, blockId?: string): types.SectionBlock {
  const block: types.SectionBlock = { type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } };
  if (blockId) block.block_id = truncate(blockId, LIMITS.blockId, '');
  return block;
}

/** Top-level `text` from plain words: escaped (a `<!channel>` in a title must not notify anyone) and cut. */
export function fallback(text: string): string {
  return truncate(escapeMrkdwn(text), LIMITS.fallbackText);
}

/**
 * Top-level `text` already in mrkdwn, cut: for push notifications that name
 * people as mentions (`<@U…>`, mrkdwn.ts mention()). Every other part must be
 * escaped by the caller (escapeMrkdwn), or a title could notify a channel.
 */
export function fallbackMrkdwn(text: string): string {
  return truncate(text, LIMITS.fallbackText);
}

/**
 * Packs lines into sections of at most LIMITS.sectionText characters, appended
 * to `blocks`, and stops before a new section would leave fewer than `reserve`
 * blocks under LIMITS.blocks (room for the notes that follow). Returns how many
 * lines were shown.
 */
export function packSections(blocks: types.KnownBlock[], lines: string[], reserve: number): number {
  let current = '';
  let shown = 0;
  for (const line of lines) {
    if (current && current.length + line.length + 1 > LIMITS.sectionText) {
      if (blocks.length >= LIMITS.blocks - reserve) break;
      blocks.push(section(current));
      current = '';
    }
    current += (current ? '\n' : '') + line;
    shown += 1;
  }
  if (current) blocks.push(section(current));
  return shown;
}

export function context(texts: string[]): types.ContextBlock {
  return {
    type: 'context',
    elements: texts.slice(0, LIMITS.contextElements).map((t) => ({ type: 'mrkdwn' as const, text: truncate(t, LIMITS.contextText) })),
  };
}

/**
 * A Slack date token, `<!date^unix^{date_short_pretty} {time_secs}|shown>`: the
 * reader's own time zone, `shown` (mrkdwn) where a client cannot format it.
 */
function dateToken(ms: number, shown: string): string {
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${shown}>`;
}

/** A date token for epoch milliseconds; the fallback is UTC ISO without the milliseconds. */
export function slackDateOfMs(ms: number): string {
  return dateToken(ms, new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
}

/** A date token for an ISO string, shown as that string (escaped); the text alone when it is not a date. */
export function slackDateOfIso(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return escapeMrkdwn(iso);
  return dateToken(ms, escapeMrkdwn(iso));
}

/** `host:port`, `[v6]:port`, with the scheme when TLS: what a user would type again. */
export function address(target: Pick<TargetInfo, 'host' | 'port' | 'tls'>): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.tls ? 'rediss://' : ''}${host}:${target.port}`;
}

/** `*cache-prod* (`10.0.0.5:6379`)` or just `` `10.0.0.5:6379` `` for ad-hoc targets. */
export function targetLabel(target: TargetInfo): string {
  return target.name ? `*${escapeMrkdwn(target.name)}* (${code(address(target))})` : code(address(target));
}

/** `recheck:<ref>` (INTERFACES.md section 6): a fresh diagnosis of the target, posted in the same thread. */
export function recheckButton(ref: string, text = 'Re-check'): types.Button {
  return { type: 'button', action_id: truncate(`${ACTION.recheck}${ref}`, LIMITS.actionId, ''), text: { type: 'plain_text', text: truncate(text, LIMITS.buttonShort) }, value: ref };
}

/** A target's runbook and dashboard (https, validated by the schema): one context line of links, block_id `links`; undefined when it has none. */
export function linksBlock(links: { runbookUrl?: string; dashboardUrl?: string }): types.ContextBlock | undefined {
  // Slack reads `&`, `<`, `>` as control characters in mrkdwn, URLs included; the schema refuses `<`, `>`, `|` and spaces.
  const link = (url: string, label: string) => `<${url.replace(/&/g, '&amp;')}|${label}>`;
  const parts = [
    ...(links.runbookUrl ? [`:book: ${link(links.runbookUrl, 'Runbook')}`] : []),
    ...(links.dashboardUrl ? [`:bar_chart: ${link(links.dashboardUrl, 'Dashboard')}`] : []),
  ];
  if (parts.length === 0) return undefined;
  return { ...context([parts.join('   ')]), block_id: 'links' };
}
