/** /healthz, /readyz and /metrics on PORT for a process without the Slack front end (a worker alone). */
import type { Server } from 'node:http';
import { startRouteServer, type Route } from '../http/health.js';
import type { Component } from './component.js';

export class HealthServer implements Component {
  readonly name = 'health server';
  private server: Server | undefined;
  port = 0;

  constructor(private readonly routes: Route[], private readonly wantedPort: number) {}

  async start(): Promise<void> {
    const { server, port } = await startRouteServer(this.routes, this.wantedPort);
    this.server = server;
    this.port = port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
