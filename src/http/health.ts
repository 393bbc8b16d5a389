/**
 * GET /healthz (the process serves requests), GET /readyz (the queue Redis
 * answers), GET /metrics (Prometheus text format). The same routes are
 * mounted on Bolt's receiver in the web process and on a bare server in a
 * worker-only process.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../metrics.js';

export interface Route {
  path: string;
  method: 'GET' | 'POST';
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface HealthDeps {
  metrics: Metrics;
  /** True when the queue Redis answers; must settle quickly. */
  queueReady: () => Promise<boolean>;
  /** The front end: Slack answered auth.test (and the Socket Mode WebSocket is open). */
  slackReady?: () => boolean;
  role: 'web' | 'worker' | 'web+worker';
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export function healthRoutes(deps: HealthDeps): Route[] {
  return [
    { path: '/healthz', method: 'GET', handler: (_req, res) => json(res, 200, { status: 'ok', role: deps.role }) },
    {
      path: '/readyz',
      method: 'GET',
      handler: (_req, res) => {
        const slack = deps.slackReady?.();
        const answer = (queueUp: boolean) => {
          const ready = queueUp && slack !== false;
          const status = ready ? 'ready' : !queueUp ? 'queue-down' : 'slack-down';
          json(res, ready ? 200 : 503, { status, queue: queueUp ? 'up' : 'down', ...(slack !== undefined ? { slack: slack ? 'up' : 'down' } : {}) });
        };
        deps.queueReady().then(answer, () => answer(false));
      },
    },
    {
      path: '/metrics',
      method: 'GET',
      handler: (_req, res) => {
        deps.metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
            res.end(text);
          },
          (err: Error) => json(res, 500, { error: err.message }),
        );
      },
    },
  ];
}

/**
 * Node keeps a request open up to 300 s by default (requestTimeout) and waits
 * 60 s for headers: a crowd of clients that never finish would hold memory
 * and sockets that long. Slack sends whole requests at once.
 */
export function boundServer(server: Server): Server {
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

/** For a worker alone: a small server with only these routes. */
export async function startRouteServer(routes: Route[], port: number): Promise<{ server: Server; port: number }> {
  const server = boundServer(createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((r) => r.path === path && r.method === req.method);
    if (route) route.handler(req, res);
    else json(res, 404, { error: 'not found' });
  }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
