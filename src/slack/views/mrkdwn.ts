import { showInvisible } from '../../engine/index.js';

/**
 * Text that goes into Slack mrkdwn. Slack's formatting reference: "there are
 * three characters you must convert to HTML entities: & < >" — otherwise
 * `<!channel>`, `<@U123>` or `<http://evil|click>` typed by a user would be
 * rendered as mentions and links. Backticks would break out of our code spans.
 * Control and bidirectional-override characters (from server replies) are
 * shown as escapes (engine showInvisible): Slack would pass them on raw.
 */
export function escapeMrkdwn(text: string): string {
  return showInvisible(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code span; backticks inside would end the span, so they become a look-alike. */
export function code(text: string): string {
  return `\`${escapeMrkdwn(text).replace(/`/g, 'ˋ')}\``;
}

/** Cuts text to at most `max` characters (code points kept whole), marking the cut. */
export function truncate(text: string, max: number, note = '…'): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - note.length);
  // Do not split a surrogate pair: Slack rejects lone surrogates as invalid UTF-8.
  let cut = text.slice(0, room);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + note;
}

export function mention(userId: string): string {
  // User ids come from Slack payloads or the validated config: [UW][A-Z0-9]+. Anything else is shown escaped.
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}
