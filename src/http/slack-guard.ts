/**
 * Checks on `POST /slack/events` before Bolt sees the request.
 *
 * - Size. Bolt's HTTPReceiver reads the whole body into memory (raw-body, no
 *   limit) before it verifies the signature, so anyone who can reach the port
 *   could make the bot hold any amount of memory without a valid signature.
 *   Here the body is read up to MAX_BODY_BYTES; past that the rest is
 *   discarded as it arrives and the answer is 413. Bolt takes a request whose
 *   `rawBody` is already a Buffer as read ("bufferIncomingMessage" returns it
 *   as is), so the signature is still checked over exactly these bytes.
 * - Timestamp. Slack's "Verifying requests from Slack" rejects a request when
 *   "the absolute value of the difference between the current time and the
 *   timestamp is more than five minutes"; Bolt refuses only timestamps that
 *   are too old, not ones ahead of the clock. Both directions are refused
 *   here (401, like Bolt's own refusals); the signature check stays Bolt's.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** Slack's own requests are a few kB; a click carries the clicked message (≤ 50 blocks), well under this. */
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_SKEW_S = 5 * 60;

type Refusal = (status: 401 | 413, reason: string) => void;

/** The body up to `max` bytes, or undefined when it was longer (the rest is read and dropped). */
function readBounded(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.once('end', () => resolve(size <= max ? Buffer.concat(chunks) : undefined));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection mid-body'));
    });
  });
}

/** True when the request's timestamp header is a number more than MAX_SKEW_S away from now; a missing or malformed one is Bolt's to refuse. */
function skewed(req: IncomingMessage, nowMs: number): boolean {
  const header = req.headers['x-slack-request-timestamp'];
  const ts = typeof header === 'string' && /^\d{1,12}$/.test(header) ? Number(header) : undefined;
  return ts !== undefined && Math.abs(nowMs / 1000 - ts) > MAX_SKEW_S;
}

function refuse(res: ServerResponse, status: 401 | 413): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
  res.end(status === 413 ? 'request body too large\n' : '');
}

/** Wraps the receiver's request listener; other paths and methods pass through untouched. */
export function guardSlackEvents(next: RequestListener, path: string, onRefused: Refusal, now: () => number = Date.now): RequestListener {
  return (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST' || pathname !== path) {
      next(req, res);
      return;
    }
    readBounded(req, MAX_BODY_BYTES).then(
      (body) => {
        if (body === undefined) {
          onRefused(413, `body larger than ${MAX_BODY_BYTES} bytes`);
          refuse(res, 413);
        } else if (skewed(req, now())) {
          onRefused(401, `x-slack-request-timestamp more than ${MAX_SKEW_S} s from the local clock`);
          refuse(res, 401);
        } else {
          (req as IncomingMessage & { rawBody: Buffer }).rawBody = body;
          next(req, res);
        }
      },
      // The client went away mid-body: nobody to answer.
      () => res.destroy(),
    ).catch(() => {
      // Bolt's own server would have caught a throw from its listener; this one runs later, so it is caught here.
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
}
