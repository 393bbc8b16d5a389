/**
 * The Slack front end: Bolt with the command and button handlers, listening
 * on PORT. In HTTP mode Bolt's receiver serves /slack/events and the health
 * routes; in Socket Mode events come over Bolt's WebSocket and a small server
 * serves the routes. It listens at once, whether or not Slack answers:
 * auth.test (and in Socket Mode the WebSocket) is established in the
 * background with bounded backoff (slack/connection.ts), and /readyz says
 * not-ready until it is. Stopping takes no new commands, then lets the
 * diagnoses this process runs itself (queue down) finish.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { boundServer, startRouteServer, type Route } from '../http/health.js';
import type { Dispatcher } from '../jobs/dispatcher.js';
import type { Logger } from '../log.js';
import type { SlackApp } from '../slack/app.js';
import type { SlackConnection } from '../slack/connection.js';
import { backoffDelay } from '../util/backoff.js';
import type { Component } from './component.js';

/** How long start() waits for the first auth.test: a wrong token then stops the start with exit 2. */
const FIRST_ATTEMPT_MS = 3000;
const SOCKET_RETRY = { initialMs: 1000, maxMs: 30_000 };
const SOCKET_FIRST_WAIT_MS = 2000;

export class FrontEnd implements Component {
  readonly name = 'Slack front end';
  private server: Server | undefined;
  private socketOpen = false;
  private stopping = false;
  private socketTimer: NodeJS.Timeout | undefined;
  port = 0;

  constructor(
    private readonly slack: SlackApp,
    private readonly connection: SlackConnection,
    private readonly routes: Route[],
    private readonly wantedPort: number,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
  ) {}

  /** Slack knows us (auth.test answered) and, in Socket Mode, the WebSocket is open. */
  ready(): boolean {
    return this.connection.ready() && (this.slack.routesServed || this.socketOpen);
  }

  async start(): Promise<void> {
    await this.connection.start(FIRST_ATTEMPT_MS);
    if (this.slack.routesServed) {
      // HTTPReceiver.start only listens: no call to Slack.
      this.server = boundServer((await this.slack.app.start(this.wantedPort)) as Server);
      this.port = (this.server.address() as AddressInfo).port;
      return;
    }
    const { server, port } = await startRouteServer(this.routes, this.wantedPort);
    this.server = server;
    this.port = port;
    // The socket client retries apps.connections.open itself until it answers; starting waits a
    // little for it (a healthy Slack connects at once), then lets it go on in the background.
    const opening = this.connection.whenReady().then(() => this.openSocket(1));
    await Promise.race([opening, new Promise((r) => setTimeout(r, SOCKET_FIRST_WAIT_MS).unref())]);
  }

  /** Socket Mode: apps.connections.open and the WebSocket, again with bounded backoff until it opens. */
  private async openSocket(attempt: number): Promise<void> {
    if (this.stopping) return;
    try {
      await this.slack.app.start();
      this.socketOpen = true;
      this.log.log('info', 'Socket Mode connection open', { attempt });
    } catch (err) {
      const delay = backoffDelay(attempt, SOCKET_RETRY);
      this.log.log('warn', 'Socket Mode connection failed; trying again', { attempt, retryInMs: delay, error: (err as Error).message });
      this.socketTimer = setTimeout(() => void this.openSocket(attempt + 1), delay);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.socketTimer);
    this.connection.stop();
    if (this.slack.routesServed || this.socketOpen) await this.slack.app.stop().catch(() => undefined);
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.dispatcher.drain();
  }
}
