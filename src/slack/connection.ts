/**
 * The bot's standing with Slack, established in the background so the
 * process serves /healthz at once whether or not Slack answers (a network
 * blip, a Slack incident, a proxy not up yet used to kill `npm start`: Bolt's
 * constructor calls auth.test and nothing caught its rejection).
 *
 * auth.test is tried with bounded exponential backoff (1 s, 2 s, 4 s … at
 * most 30 s apart, for as long as it takes), each attempt logged; the answer
 * (bot id, bot user id) is what Bolt's authorize hook returns, and /readyz
 * says not-ready until it is known. A token Slack refuses (invalid_auth,
 * not_authed, token_revoked, account_inactive) is no outage: it is a fatal
 * configuration error naming SLACK_BOT_TOKEN. In Socket Mode the WebSocket is
 * opened the same way, after auth.test.
 */
import { webApi, type AuthorizeResult } from '@slack/bolt';
import { ConfigError } from '../config/load.js';
import type { Logger } from '../log.js';
import { backoffDelay, type Backoff } from '../util/backoff.js';

type WebClient = InstanceType<typeof webApi.WebClient>;

/** Slack's answers that say the token itself is wrong (auth.test "Errors"). */
const FATAL = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'not_allowed_token_type']);

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Bound of one auth.test call. */
  attemptTimeoutMs?: number;
}

export interface SlackIdentity {
  botId: string;
  botUserId: string;
  teamId?: string;
}

export class SlackConnection {
  identity: SlackIdentity | undefined;
  private readonly client: WebClient;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private attempts = 0;
  /** Settles `settled`: once auth.test has answered, or the connection stopped or failed for good. */
  private settle: () => void = () => undefined;
  private readonly settled = new Promise<void>((resolve) => { this.settle = resolve; });
  private readonly backoff: Backoff;

  constructor(
    private readonly token: string,
    slackApiUrl: string | undefined,
    private readonly log: Logger,
    private readonly onFatal: (err: ConfigError) => void,
    opts: BackoffOptions = {},
  ) {
    this.backoff = { initialMs: opts.initialMs ?? 1000, maxMs: opts.maxMs ?? 30_000 };
    // Retries are this class's: the client itself tries once per attempt.
    this.client = new webApi.WebClient(token, {
      ...(slackApiUrl ? { slackApiUrl } : {}),
      logger: log.child('slack-web-api'),
      timeout: opts.attemptTimeoutMs ?? 5000,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
  }

  ready(): boolean {
    return this.identity !== undefined;
  }

  /**
   * Starts trying; resolves once the first attempt has settled or `waitMs` has passed, whichever
   * is first. Throws the fatal error when the first attempt already says the token is wrong.
   */
  async start(waitMs: number): Promise<void> {
    let fatal: ConfigError | undefined;
    let returned = false;
    const first = this.attempt((err) => {
      if (returned) this.onFatal(err);
      else fatal = err;
    });
    await Promise.race([first, new Promise((r) => setTimeout(r, waitMs).unref())]);
    returned = true;
    if (fatal) throw fatal;
  }

  /** Resolves when auth.test has answered (or the connection was stopped or failed for good). */
  whenReady(): Promise<void> {
    return this.settled;
  }

  /** Bolt's authorize hook: the identity auth.test gave, or a refusal while Slack has not answered. */
  readonly authorize = async (): Promise<AuthorizeResult> => {
    if (!this.identity) throw new Error('Slack has not answered auth.test yet: the request is not processed');
    return { botToken: this.token, botId: this.identity.botId, botUserId: this.identity.botUserId, ...(this.identity.teamId ? { teamId: this.identity.teamId } : {}) };
  };

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.settle();
  }

  private async attempt(fatalAtFirst?: (err: ConfigError) => void): Promise<void> {
    if (this.stopped) return;
    this.attempts += 1;
    try {
      const r = await this.client.auth.test();
      this.identity = { botId: String(r.bot_id ?? ''), botUserId: String(r.user_id ?? ''), ...(r.team_id ? { teamId: String(r.team_id) } : {}) };
      this.settle();
      this.log.log('info', 'Slack answered auth.test', { attempt: this.attempts, botUserId: this.identity.botUserId });
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      if (code && FATAL.has(code)) {
        const fatal = new ConfigError(`environment: SLACK_BOT_TOKEN: Slack refused the bot token (${code}): use the app's Bot User OAuth Token (xoxb-…)`);
        this.log.log('error', 'Slack refused the bot token', { code, variable: 'SLACK_BOT_TOKEN' });
        this.stopped = true;
        this.settle();
        (fatalAtFirst ?? this.onFatal)(fatal);
        return;
      }
      const delay = backoffDelay(this.attempts, this.backoff);
      this.log.log('warn', 'Slack not reachable: auth.test failed; trying again', { attempt: this.attempts, retryInMs: delay, error: code ?? (err as Error).message });
      if (!this.stopped) this.timer = setTimeout(() => void this.attempt(), delay);
    }
  }
}
