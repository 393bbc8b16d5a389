/**
 * A local stand-in for the Slack Web API (reached through SLACK_API_URL) and
 * for response_url. Records every call with its decoded body; can answer a
 * method with HTTP 429 + Retry-After a given number of times first.
 *
 * The Web API client sends application/x-www-form-urlencoded bodies with
 * `blocks` as a JSON string (or JSON bodies); both are decoded here.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pollUntil } from '../../lab/poll.js';

export interface Block {
  type: string;
  block_id?: string;
  text?: { type: string; text: string };
  elements?: { type: string; action_id?: string; value?: string; text?: { text: string } | string; confirm?: unknown; style?: string }[];
}

export interface Call {
  /** `chat.postMessage`, `chat.update`, `response_url` … */
  method: string;
  /** The request path, e.g. `/response/<tag>` for a response_url. */
  path: string;
  body: Record<string, unknown> & { channel?: string; ts?: string; thread_ts?: string; text?: string; blocks?: Block[] };
  /** The answer given (status and, for successes, the ts handed out). */
  status: number;
  /** Set when the double answered {ok:false,error}. */
  error?: string;
  ts?: string;
  at: number;
}

export interface SlackDouble {
  url: string;
  /** SLACK_API_URL value. */
  apiUrl: string;
  /** A response_url for one slash command. */
  responseUrl(tag: string): string;
  calls: Call[];
  /** Successful calls of a method (HTTP 200 and ok:true). */
  ok(method: string): Call[];
  /** Answer the next `times` calls of `method` with 429 + Retry-After (after letting `skip` calls through). */
  rateLimit(method: string, times: number, retryAfterS: number, skip?: number): void;
  /** A fixed successful answer for a method (e.g. apps.connections.open). */
  answer(method: string, body: Record<string, unknown>): void;
  /** Never answer calls of this method or to this exact path (recorded with status 0); close() ends them. */
  hang(methodOrPath: string): void;
  /** Answer the next `times` calls of `method` normally, but only after `ms` (Slack accepted it late). */
  delay(method: string, ms: number, times: number): void;
  /** Answer the next `times` calls of `method` with this HTTP status (503: Slack or a proxy is down). */
  httpError(method: string, status: number, times: number): void;
  /** Answer this method or path again from now on (calls already hanging stay unanswered). */
  unhang(methodOrPath: string): void;
  /** Answer `times` calls of `method` with {ok:false,error}, after letting `skip` calls through. */
  failWith(method: string, error: string, times: number, skip?: number): void;
  waitFor(what: string, predicate: (calls: Call[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function decode(raw: string, type: string | undefined): Call['body'] {
  if (type?.includes('application/json')) return JSON.parse(raw || '{}') as Call['body'];
  const body: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    body[k] = k === 'blocks' || k === 'attachments' ? JSON.parse(v) : v;
  }
  return body as Call['body'];
}

/** `host`: where to listen (default 127.0.0.1; a Docker bridge's gateway for a bot in a container). */
export async function startSlackDouble(options: { host?: string } = {}): Promise<SlackDouble> {
  const host = options.host ?? '127.0.0.1';
  const calls: Call[] = [];
  const limits = new Map<string, { times: number; retryAfterS: number; skip: number }>();
  const failures = new Map<string, { times: number; error: string; skip: number }>();
  const fixed = new Map<string, Record<string, unknown>>();
  const hanging = new Set<string>();
  const delays = new Map<string, { ms: number; times: number }>();
  const httpErrors = new Map<string, { status: number; times: number }>();
  let tsCounter = 0;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const method = path.startsWith('/api/') ? path.slice(5) : path.startsWith('/response/') ? 'response_url' : path;
      const body = decode(raw, req.headers['content-type']);
      const at = Date.now();
      if (hanging.has(method) || hanging.has(path)) {
        calls.push({ method, path, body, status: 0, at });
        return;
      }
      const httpError = httpErrors.get(method);
      if (httpError && httpError.times > 0) {
        httpError.times -= 1;
        calls.push({ method, path, body, status: httpError.status, at });
        res.writeHead(httpError.status, { 'content-type': 'text/plain' });
        res.end('upstream unavailable');
        return;
      }
      const limit = limits.get(method);
      if (limit && limit.skip > 0) limit.skip -= 1;
      else if (limit && limit.times > 0) {
        limit.times -= 1;
        calls.push({ method, path, body, status: 429, at });
        res.writeHead(429, { 'retry-after': String(limit.retryAfterS), 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      const failure = failures.get(method);
      if (failure && failure.skip > 0) failure.skip -= 1;
      else if (failure && failure.times > 0) {
        failure.times -= 1;
        calls.push({ method, path, body, status: 200, error: failure.error, at });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: failure.error }));
        return;
      }
      let answer: Record<string, unknown> = { ok: true };
      let ts: string | undefined;
      if (method === 'auth.test') answer = { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0TEST', user: 'redis-doctor' };
      if (method === 'chat.postMessage') {
        tsCounter += 1;
        ts = `1700000000.${String(tsCounter).padStart(6, '0')}`;
        answer = { ok: true, channel: body.channel, ts, message: { ts } };
      }
      if (method === 'chat.update') answer = { ok: true, channel: body.channel, ts: body.ts };
      answer = fixed.get(method) ?? answer;
      calls.push({ method, path, body, status: 200, ...(ts ? { ts } : {}), at });
      const delay = delays.get(method);
      if (delay && delay.times > 0) {
        delay.times -= 1;
        await new Promise((r) => setTimeout(r, delay.ms));
        if (res.destroyed) return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;

  return {
    url,
    apiUrl: `${url}/api/`,
    responseUrl: (tag) => `${url}/response/${encodeURIComponent(tag)}`,
    calls,
    ok: (method) => calls.filter((c) => c.method === method && c.status === 200 && c.error === undefined),
    rateLimit: (method, times, retryAfterS, skip = 0) => limits.set(method, { times, retryAfterS, skip }),
    failWith: (method, error, times, skip = 0) => failures.set(method, { times, error, skip }),
    answer: (method, body) => fixed.set(method, body),
    hang: (methodOrPath) => hanging.add(methodOrPath),
    delay: (method, ms, times) => delays.set(method, { ms, times }),
    httpError: (method, status, times) => httpErrors.set(method, { status, times }),
    unhang: (methodOrPath) => hanging.delete(methodOrPath),
    waitFor: async (what, predicate, timeoutMs = 15_000) => {
      await pollUntil(async () => (predicate(calls) ? true : undefined), { what, timeoutMs, intervalMs: 10 });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Every block_id in a message. */
export function blockIds(call: Call | undefined): string[] {
  return (call?.body.blocks ?? []).map((b) => b.block_id ?? '');
}

/** Every button action_id in a message. */
export function actionIds(call: Call | undefined): string[] {
  return (call?.body.blocks ?? []).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []).map((e) => e.action_id ?? '') : []));
}

/** All mrkdwn text of a message, joined. */
export function textOf(call: Call | undefined): string {
  return [call?.body.text ?? '', ...(call?.body.blocks ?? []).flatMap((b) => [b.text?.text ?? '', ...(b.type === 'context' ? (b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : '')) : [])])].join('\n');
}
