/**
 * POST /alertmanager: Alertmanager's webhook receiver (INTERFACES.md section
 * 5). Without ALERTMANAGER_WEBHOOK_TOKEN the route is not mounted (404).
 *
 *   - `Authorization: Bearer <token>`, compared in constant time (hashes of
 *     equal length), checked before a byte of the body is read: 401 otherwise;
 *   - a body over MAX_BODY is refused as soon as that is known — from
 *     Content-Length before reading, or while streaming — with 413, and the
 *     connection closed instead of reading the rest;
 *   - the whole body within BODY_MS, else 408;
 *   - JSON that does not parse, or is not a version 4 payload: 400;
 *   - otherwise 200 at once: the alerts are queued (intake.ts), never worked
 *     on while Alertmanager waits.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import type { AlertIntake } from './intake.js';
import { parsePayload } from './payload.js';

export const ALERTMANAGER_PATH = '/alertmanager';
/** 5000 alerts of ~800 bytes; Alertmanager's own payloads are far smaller. */
export const MAX_BODY = 4 * 1024 * 1024;
const BODY_MS = 10_000;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Whether the Authorization header carries the token (constant time in the token's content). */
export function authorized(header: string | undefined, token: string): boolean {
  const h = (header ?? '').slice(0, 4096);
  const given = h.startsWith('Bearer ') ? h.slice('Bearer '.length).trim() : '';
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>, close = false): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body));
}

/** Refuses the rest of the request: answered, then the socket closed once the answer is out. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, error: string): void {
  req.pause();
  answer(res, status, { error }, true);
  res.once('finish', () => req.socket.destroy());
}

export interface AlertmanagerRouteDeps {
  token: string;
  intake: AlertIntake;
  log: Logger;
}

export function alertmanagerHandler(deps: AlertmanagerRouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'POST') {
      answer(res, 405, { error: 'POST only' });
      return;
    }
    if (!authorized(req.headers.authorization, deps.token)) {
      deps.log.log('warn', 'POST /alertmanager refused: missing or wrong bearer token', { remote: req.socket.remoteAddress });
      refuse(req, res, 401, 'missing or wrong bearer token');
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) {
      refuse(req, res, 413, `the body is over ${MAX_BODY} bytes`);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      refuse(req, res, 408, 'the body did not arrive in time');
    }, BODY_MS);
    timer.unref();
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > MAX_BODY) {
        done = true;
        clearTimeout(timer);
        chunks.length = 0;
        refuse(req, res, 413, `the body is over ${MAX_BODY} bytes`);
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => {
      done = true;
      clearTimeout(timer);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const parsed = parsePayload(Buffer.concat(chunks).toString('utf8'));
      if (!parsed.ok) {
        deps.log.log('warn', 'POST /alertmanager refused: bad payload', { error: parsed.error, bytes: size });
        answer(res, 400, { error: parsed.error });
        return;
      }
      const r = deps.intake.accept(parsed.payload);
      answer(res, 200, { status: 'ok', alerts: parsed.payload.alerts.length, ...r });
    });
  };
}
