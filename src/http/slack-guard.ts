/**
 * Checks on `POST /slack/events` before Bolt sees the request.
 *
 * - Headers first. A request without both signature headers, or with a
 *   timestamp that is not whole seconds within 5 minutes of our clock either
 *   way, is refused before a byte of its body is read (Slack's "Verifying
 *   requests from Slack": reject when "the absolute value of the difference
 *   between the current time and the timestamp is more than five minutes";
 *   Bolt itself checks only the past, and reads `1700003600.5` as a number).
 * - Bounded bodies. Bolt's HTTPReceiver reads the whole body into memory
 *   (raw-body, no limit) before it verifies the signature. Here a body is read
 *   up to MAX_BODY_BYTES (413 past that), within BODY_TIMEOUT_MS (408), and
 *   all bodies being read at once share MAX_INFLIGHT_BYTES (503 past that): a
 *   crowd of slow, never-finishing uploads cannot grow the process.
 * - The signature (HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing
 *   secret, compared in constant time) is checked here too, so that only a
 *   signed body is parsed: and a signed body that is not what Slack sends (a
 *   `payload` that is not a JSON object, JSON `null`, an array) is answered
 *   400 instead of reaching Bolt, whose receiver reads `body.ssl_check` of
 *   whatever it parsed and would throw outside any handler (bolt 4.7
 *   HTTPReceiver.handleIncomingEvent).
 * Bolt takes a request whose `rawBody` is already a Buffer as read
 * ("bufferIncomingMessage" returns it as is) and verifies it again.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { z } from 'zod';

/** Slack's own requests are a few kB; a click carries the clicked message (≤ 50 blocks), well under this. */
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_SKEW_S = 5 * 60;
/** Slack sends a body at once; a client that dribbles it for longer is not Slack. */
export const BODY_TIMEOUT_MS = 10_000;
/** All bodies being read at the same moment, together. */
export const MAX_INFLIGHT_BYTES = 16 * 1024 * 1024;

type Status = 400 | 401 | 408 | 413 | 503;
type Refusal = (status: Status, reason: string) => void;

const TEXT: Record<Status, string> = {
  400: 'malformed request body\n',
  401: '',
  408: 'request body not received in time\n',
  413: 'request body too large\n',
  503: 'too many requests in progress\n',
};

export interface GuardOptions {
  path: string;
  signingSecret: string;
  onRefused: Refusal;
  now?: () => number;
  /** Tests shorten these. */
  bodyTimeoutMs?: number;
  maxInflightBytes?: number;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** Why the headers alone disqualify the request, or undefined. */
function headerProblem(req: IncomingMessage, nowMs: number): string | undefined {
  const ts = header(req, 'x-slack-request-timestamp');
  if (!ts || !header(req, 'x-slack-signature')) return 'no x-slack-signature or x-slack-request-timestamp header';
  if (!/^\d{1,12}$/.test(ts)) return 'x-slack-request-timestamp is not whole seconds';
  if (Math.abs(nowMs / 1000 - Number(ts)) > MAX_SKEW_S) return `x-slack-request-timestamp more than ${MAX_SKEW_S} s from the local clock`;
  return undefined;
}

function signatureOk(req: IncomingMessage, body: Buffer, secret: string): boolean {
  const given = Buffer.from(header(req, 'x-slack-signature') ?? '', 'utf8');
  const hmac = createHmac('sha256', secret).update(`v0:${header(req, 'x-slack-request-timestamp')}:`).update(body).digest('hex');
  const wanted = Buffer.from(`v0=${hmac}`, 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The one interactivity payload the app asks Slack for (manifest: buttons only): block_actions,
 * with what Bolt reads from it before any handler runs. Bolt's own routing throws on a
 * `user` that is a number or an `actions` entry without an action_id: a 500, not an answer.
 */
const blockActions = z.object({
  type: z.literal('block_actions'),
  user: z.looseObject({ id: z.string().min(1).max(64) }),
  team: z.looseObject({ id: z.string().max(64) }).nullable().optional(),
  channel: z.looseObject({ id: z.string().max(64) }).optional(),
  container: z.looseObject({}).optional(),
  message: z.looseObject({ ts: z.string().max(64) }).optional(),
  response_url: z.string().max(2000).optional(),
  trigger_id: z.string().max(200).optional(),
  actions: z.array(z.looseObject({ action_id: z.string().min(1).max(255), type: z.string().max(64), block_id: z.string().max(255).optional(), value: z.string().max(2000).optional() })).min(1).max(25),
}).loose();

/** Slash commands: the fields Bolt and the command handler read. */
const slashCommand = z.object({ command: z.string().min(1).max(100), user_id: z.string().min(1).max(64), channel_id: z.string().max(64).optional(), text: z.string().max(40_000).optional() }).loose();

/** The shapes Slack sends: a slash command form, a form whose `payload` is block_actions, or a JSON event object. */
export function wellFormed(body: Buffer, contentType: string | undefined): boolean {
  const text = body.toString('utf8');
  try {
    if (contentType?.includes('application/x-www-form-urlencoded')) {
      const form = parseQuery(text);
      if (form.payload === undefined) return form.ssl_check === '1' || slashCommand.safeParse(form).success;
      return typeof form.payload === 'string' && blockActions.safeParse(JSON.parse(form.payload)).success;
    }
    const json: unknown = JSON.parse(text);
    return isObject(json) && typeof (json as { type?: unknown }).type === 'string';
  } catch {
    return false;
  }
}

function refuse(res: ServerResponse, status: Status): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The rest of an unread body is not worth reading: close the connection after answering.
  res.writeHead(status, { 'content-type': 'text/plain', 'cache-control': 'no-store', connection: 'close' });
  res.end(TEXT[status]);
}

/** Wraps the receiver's request listener; other paths and methods pass through untouched. */
export function guardSlackEvents(next: RequestListener, o: GuardOptions): RequestListener {
  const now = o.now ?? Date.now;
  const bodyTimeoutMs = o.bodyTimeoutMs ?? BODY_TIMEOUT_MS;
  const maxInflight = o.maxInflightBytes ?? MAX_INFLIGHT_BYTES;
  let inflight = 0;
  return (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST' || pathname !== o.path) {
      next(req, res);
      return;
    }
    const fail = (status: Status, reason: string) => {
      o.onRefused(status, reason);
      refuse(res, status);
    };
    const problem = headerProblem(req, now());
    if (problem) return fail(401, problem);

    const chunks: Buffer[] = [];
    let size = 0;
    let counted = 0;
    let settled = false;
    // Past the size limit the rest is read and dropped, and 413 answered at the end:
    // a client still sending might not see an answer given before it finished.
    let tooLarge = false;
    const release = () => {
      inflight -= counted;
      counted = 0;
    };
    const finish = (then: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      release();
      then();
    };
    const timer = setTimeout(() => finish(() => {
      fail(408, `body not complete within ${bodyTimeoutMs} ms`);
      req.destroy();
    }), bodyTimeoutMs);
    req.on('data', (chunk: Buffer) => {
      if (settled || tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        release();
        return;
      }
      if (inflight + chunk.length > maxInflight) {
        return finish(() => {
          fail(503, `more than ${maxInflight} bytes of request bodies in progress`);
          req.destroy();
        });
      }
      inflight += chunk.length;
      counted += chunk.length;
      chunks.push(chunk);
    });
    req.once('error', () => finish(() => res.destroy()));
    req.once('close', () => {
      // The client went away mid-body: nobody to answer.
      if (!req.complete) finish(() => res.destroy());
    });
    req.once('end', () => finish(() => {
      if (tooLarge) return fail(413, `body larger than ${MAX_BODY_BYTES} bytes`);
      const body = Buffer.concat(chunks);
      if (!signatureOk(req, body, o.signingSecret)) return fail(401, 'signature does not match the body');
      if (!wellFormed(body, header(req, 'content-type'))) return fail(400, 'signed, but not a body Slack sends (malformed JSON payload, null, an array …)');
      (req as IncomingMessage & { rawBody: Buffer }).rawBody = body;
      try {
        next(req, res);
      } catch {
        // Bolt's own server would have caught a throw from its listener; this one runs later, so it is caught here.
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }
    }));
  };
}
