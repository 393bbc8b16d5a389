/**
 * A click whose action id is none of the bot's buttons (an old message, an
 * edited payload): answered at once, privately, and nothing else happens.
 * Without it Bolt leaves the request unanswered until its unhandled-request
 * timeout (3 s) and Slack shows the user an error.
 */
import type { App, BlockAction } from '@slack/bolt';
import type { ActionContext } from './context.js';

/** `known`: the action-id prefixes the other modules answer (`remediate:`, `approve:` …, refs.ts ACTION). */
export function registerUnknownActions(app: App, ctx: ActionContext, known: readonly string[]): void {
  // The prefixes are plain words and a colon (nothing a RegExp would read specially).
  const unknown = new RegExp(`^(?!(?:${known.join('|')}))`);
  app.action<BlockAction>(unknown, async ({ ack, body }) => {
    await ack();
    ctx.metrics.actions.inc({ kind: 'unknown', outcome: 'invalid' });
    await ctx.tell(body, 'This button is not one I know (an old message?). Nothing was done.');
  });
}
