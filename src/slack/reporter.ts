/**
 * Everything the bot says in Slack goes through here: channel messages and
 * thread replies with the Web API, ephemeral answers through response_url.
 *
 * Rate limits: the Web API client answers HTTP 429 by waiting the
 * Retry-After seconds and sending the same call again ("rejectRateLimitedCalls:
 * false", the default), so a rate-limited post is delayed, not lost.
 *
 * New messages go through a client of their own that never resends a
 * chat.postMessage whose answer did not come in time: Slack may have posted it
 * (a post accepted after our timeout and sent again made two parent messages,
 * one never updated), and chat.postMessage has no idempotency key. It waits
 * longer instead (POST_TIMEOUT_MS), and a post that still gets no answer is a
 * permanent failure of the job, told through response_url — never a second post.
 * 429, 5xx and connection failures before a request was sent are still retried.
 */
import { webApi } from '@slack/bolt';
import type { Logger } from '../log.js';
import { CodedError } from '../util/errors.js';
import type { Rendered } from './views/elements.js';

type WebClient = InstanceType<typeof webApi.WebClient>;
type WebClientOptions = NonNullable<ConstructorParameters<typeof webApi.WebClient>[1]>;

/** Options shared by Bolt's client and the worker's client. */
export function webClientOptions(slackApiUrl: string | undefined, logger: Logger): WebClientOptions {
  return {
    ...(slackApiUrl ? { slackApiUrl } : {}),
    logger: logger.child('slack-web-api'),
    timeout: 10_000,
    // Network errors, 5xx and 429 are retried by the client: 4 tries over about 10 s.
    retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5000, randomize: true },
  };
}

export function createWebClient(token: string, slackApiUrl: string | undefined, logger: Logger): WebClient {
  return new webApi.WebClient(token, webClientOptions(slackApiUrl, logger));
}

/** Slack answers chat.postMessage in well under a second; this much is already an outage. */
const POST_TIMEOUT_MS = 30_000;

/** axios's timeout ("timeout of N ms exceeded", ECONNABORTED) as the Web API client wraps it. */
function isTimeout(err: unknown): boolean {
  const e = err as { code?: string; message?: string; original?: { code?: string; message?: string } };
  const codes = [e.code, e.original?.code];
  return codes.includes('ECONNABORTED') || codes.includes('ETIMEDOUT') || /timeout of \d+ ?ms exceeded/.test(`${e.message} ${e.original?.message}`);
}

/**
 * The client for new messages: no resend after a timeout (see the module comment).
 * `rejectRateLimited`: a 429 is thrown at once instead of waited out (the monitor's
 * alerts, which choose what to post first when Slack lets them: monitor/alert-queue.ts).
 */
export function createPostClient(token: string, slackApiUrl: string | undefined, logger: Logger, timeoutMs = POST_TIMEOUT_MS, rejectRateLimited = false): WebClient {
  const base = webClientOptions(slackApiUrl, logger);
  return new webApi.WebClient(token, {
    ...base,
    timeout: timeoutMs,
    rejectRateLimitedCalls: rejectRateLimited,
    retryConfig: {
      ...base.retryConfig,
      // p-retry 4: a throw from onFailedAttempt ends the retries with that error.
      onFailedAttempt: (err: unknown) => {
        if (isTimeout(err)) throw err;
      },
    } as NonNullable<WebClientOptions['retryConfig']>,
  });
}

// Slack platform errors worth another attempt; every other one (not_in_channel,
// channel_not_found, invalid_blocks, invalid_auth …) will fail the same way again.
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

const HINTS: Record<string, string> = {
  not_in_channel: 'invite the app to this channel with /invite and try again',
  channel_not_found: 'the app cannot see this channel: invite it with /invite, or use a public channel',
};

export class SlackPostError extends CodedError {
  override name = 'SlackPostError';
  constructor(message: string, readonly slackError: string | undefined, readonly transient: boolean) {
    super('slack-post', message, transient);
  }
}

/** Slack answered 429 and nothing was posted (only from a client that rejects rate-limited calls). */
export class SlackRateLimitedError extends SlackPostError {
  override name = 'SlackRateLimitedError';
  constructor(message: string, readonly retryAfterMs: number) {
    super(message, 'ratelimited', true);
  }
}

function classify(err: unknown, what: string): SlackPostError {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number; message?: string; retryAfter?: number };
  if (e.code === webApi.ErrorCode.RateLimitedError) {
    return new SlackRateLimitedError(`${what}: Slack is rate-limiting this app (retry after ${e.retryAfter ?? 1} s)`, Math.max(1, e.retryAfter ?? 1) * 1000);
  }
  if (e.code === webApi.ErrorCode.PlatformError) {
    const code = e.data?.error ?? 'unknown_error';
    const hint = Object.hasOwn(HINTS, code) ? ` (${HINTS[code]})` : '';
    return new SlackPostError(`${what}: Slack answered ${code}${hint}`, code, TRANSIENT_PLATFORM_ERRORS.has(code));
  }
  if (isTimeout(err)) {
    // Permanent: trying again could post the same message twice.
    return new SlackPostError(`${what}: Slack did not answer in time, and the message may have been posted anyway; not sent again`, 'timeout', false);
  }
  return new SlackPostError(`${what}: ${e.message ?? String(err)}`, undefined, true);
}

export class Reporter {
  /**
   * `respondTimeoutMs`: how long a response_url post may take (tests shorten it).
   * `postClient`: the client for new messages (createPostClient); `client` otherwise.
   */
  constructor(
    readonly client: WebClient,
    private readonly log: Logger,
    private readonly respondTimeoutMs = 5000,
    private readonly postClient: WebClient = client,
    /** For postAlert: a post client that rejects rate-limited calls (createPostClient(…, true)). */
    private readonly alertClient: WebClient = postClient,
  ) {}

  /** Called once per call that failed after the client's own retries (metrics). */
  onFailure: (method: string, error: string) => void = () => undefined;

  private failed(method: string, err: SlackPostError): SlackPostError {
    this.log.log('warn', 'Slack call failed after its retries', { method, error: err.slackError ?? 'network', transient: err.transient });
    this.onFailure(method, err.slackError ?? 'network');
    return err;
  }

  /**
   * Posts a message (into a thread when `threadTs` is given); returns its ts.
   * `broadcast`: a thread reply also shown in the channel (`reply_broadcast`), so it notifies like a post.
   */
  post(channel: string, r: Rendered, threadTs?: string, opts: { broadcast?: boolean } = {}): Promise<string> {
    return this.postWith(this.postClient, channel, r, threadTs, opts.broadcast === true);
  }

  /** Posts a top-level alert; a 429 is thrown at once (SlackRateLimitedError), not waited out. */
  postAlert(channel: string, r: Rendered): Promise<string> {
    return this.postWith(this.alertClient, channel, r);
  }

  private async postWith(client: WebClient, channel: string, r: Rendered, threadTs?: string, broadcast = false): Promise<string> {
    try {
      const base = { channel, text: r.text, blocks: r.blocks, unfurl_links: false, unfurl_media: false };
      const res = await client.chat.postMessage(threadTs
        ? (broadcast ? { ...base, thread_ts: threadTs, reply_broadcast: true } : { ...base, thread_ts: threadTs })
        : base);
      if (!res.ts) throw new Error('chat.postMessage returned no ts');
      return res.ts;
    } catch (err) {
      throw this.failed('chat.postMessage', classify(err, 'posting to Slack'));
    }
  }

  async update(channel: string, ts: string, r: Rendered): Promise<void> {
    try {
      await this.client.chat.update({ channel, ts, text: r.text, blocks: r.blocks });
    } catch (err) {
      throw this.failed('chat.update', classify(err, 'updating the Slack message'));
    }
  }

  /**
   * An ephemeral answer through the command's response_url (valid 30 minutes,
   * up to 5 uses per Slack's docs). Never throws: this is the last resort.
   */
  async respond(responseUrl: string | undefined, r: Rendered): Promise<boolean> {
    if (!responseUrl) return false;
    try {
      const res = await fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: r.text, blocks: r.blocks }),
        signal: AbortSignal.timeout(this.respondTimeoutMs),
      });
      if (!res.ok) this.onFailure('response_url', `http_${res.status}`);
      return res.ok;
    } catch (err) {
      this.log.log('warn', 'response_url post failed', { error: (err as Error).message });
      this.onFailure('response_url', 'network');
      return false;
    }
  }
}
