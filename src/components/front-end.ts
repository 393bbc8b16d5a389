/**
 * The Slack front end: Bolt with the command and button handlers, listening
 * on PORT. In HTTP mode Bolt's receiver serves /slack/events and the health
 * routes; in Socket Mode events come over Bolt's WebSocket and a small server
 * serves the routes. Stopping takes no new commands, then lets the diagnoses
 * this process runs itself (queue down) finish.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { boundServer, startRouteServer, type Route } from '../http/health.js';
import type { Dispatcher } from '../jobs/dispatcher.js';
import type { SlackApp } from '../slack/app.js';
import type { Component } from './component.js';

export class FrontEnd implements Component {
  readonly name = 'Slack front end';
  private server: Server | undefined;
  port = 0;

  constructor(
    private readonly slack: SlackApp,
    private readonly routes: Route[],
    private readonly wantedPort: number,
    private readonly dispatcher: Dispatcher,
  ) {}

  async start(): Promise<void> {
    if (this.slack.routesServed) {
      this.server = boundServer((await this.slack.app.start(this.wantedPort)) as Server);
      this.port = (this.server.address() as AddressInfo).port;
      return;
    }
    await this.slack.app.start();
    const { server, port } = await startRouteServer(this.routes, this.wantedPort);
    this.server = server;
    this.port = port;
  }

  async stop(): Promise<void> {
    await this.slack.app.stop().catch(() => undefined);
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.dispatcher.drain();
  }
}
