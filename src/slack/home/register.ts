/**
 * `app_home_opened` (a bot event, INTERFACES.md section 6): the Home tab is
 * published to whoever opens it. Events arrive through the same verified
 * receiver as commands and clicks (app.ts); Bolt acks them at once.
 */
import type { App } from '@slack/bolt';
import type { Logger } from '../../log.js';
import type { HomePublisher } from './publisher.js';

export function registerHome(app: App, publisher: HomePublisher, log: Logger): void {
  app.event('app_home_opened', async ({ event }) => {
    // The Messages tab opens this event too: only the Home tab is ours to draw.
    if (event.tab !== 'home') return;
    await publisher.opened(event.user).catch((err: Error) => log.log('warn', 'could not publish the App Home', { error: err.message }));
  });
}
