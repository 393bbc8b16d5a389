/**
 * The Bolt app and its receiver. HTTP mode and Socket Mode differ only in
 * wiring; the handlers are the same.
 *
 * - HTTP: Bolt's HTTPReceiver verifies every request's X-Slack-Signature
 *   (HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret,
 *   compared in constant time) and refuses timestamps more than 5 minutes
 *   old; slack-guard.ts in front of it bounds the body and refuses timestamps
 *   more than 5 minutes ahead (replay protection). Health routes share its
 *   port (INTERFACES.md section 5).
 * - Socket Mode (SLACK_APP_TOKEN set): events arrive over a WebSocket opened
 *   with apps.connections.open; health routes get their own small server.
 *
 * SLACK_API_URL reaches both the Web API client and the Socket Mode client.
 */
import { App, HTTPReceiver, SocketModeReceiver, type Authorize, type Receiver } from '@slack/bolt';
import type { Route } from '../http/health.js';
import { guardSlackEvents } from '../http/slack-guard.js';
import type { Logger } from '../log.js';
import type { Settings } from '../config/settings.js';
import { webClientOptions } from './reporter.js';

const EVENTS_PATH = '/slack/events';

export interface SlackApp {
  app: App;
  mode: Settings['mode'];
  /** HTTP mode: the routes are served by the receiver; Socket Mode: the caller serves them. */
  routesServed: boolean;
}

/**
 * `authorize`: the bot's identity once Slack has answered auth.test (connection.ts). Bolt gets it
 * instead of the token, so its constructor makes no call to Slack that could fail unobserved.
 */
export function createSlackApp(settings: Settings, log: Logger, routes: Route[], authorize: Authorize<boolean>): SlackApp {
  const logger = log.child('bolt');
  const clientOptions = webClientOptions(settings.slackApiUrl, log);
  let receiver: Receiver;
  if (settings.mode === 'socket') {
    receiver = new SocketModeReceiver({
      appToken: settings.appToken!,
      logger,
      installerOptions: {
        clientOptions: {
          ...(settings.slackApiUrl ? { slackApiUrl: settings.slackApiUrl } : {}),
          // apps.connections.open until it answers (the socket client's own default is 100 tries
          // at a factor of 1.3, unbounded in between): 1 s doubling to 30 s apart, each failure logged.
          retryConfig: { forever: true, factor: 2, minTimeout: 1000, maxTimeout: 30_000, randomize: true },
        },
      },
    });
  } else {
    const http = new HTTPReceiver({
      signingSecret: settings.signingSecret!,
      endpoints: EVENTS_PATH,
      logger,
      customRoutes: routes,
      // Ack first, then work: Bolt answers the HTTP request when ack() is called.
      processBeforeResponse: false,
    });
    // The receiver's server calls this property for every request.
    http.requestListener = guardSlackEvents(http.requestListener, {
      path: EVENTS_PATH,
      signingSecret: settings.signingSecret!,
      onRefused: (status, reason) => logger.log('warn', 'request to /slack/events refused', { status, reason }),
    });
    receiver = http;
  }
  // No conversation store: the bot keeps no per-conversation state, and Bolt's
  // default one throws (and catches) an error for every event it has not seen.
  const app = new App({ authorize, receiver, logger, clientOptions, convoStore: false });
  return { app, mode: settings.mode, routesServed: settings.mode === 'http' };
}
