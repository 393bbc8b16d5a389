/**
 * Starts the real bot (Bolt HTTPReceiver on a free port, BullMQ on the
 * machine's Redis at 127.0.0.1:6379 with a unique key prefix) against the
 * Slack double, and sends it requests signed exactly as Slack signs them:
 *
 *   X-Slack-Request-Timestamp: <unix seconds>
 *   X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:<ts>:<raw body>")>
 *
 * stop() stops the bot and deletes every key under the prefix (SCAN + DEL,
 * never FLUSHALL: the queue Redis is shared).
 */
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startBot, type Bot, type BotOptions } from '../../../src/bot.js';
import type { DiagnoseFn } from '../../../src/jobs/run-diagnosis.js';
import { makeTempDir } from '../../lab/tmp.js';
import { assertNoPlantedSecret, plantEnvSecrets } from '../../lab/secrets.js';
import { deleteKeysUnder, dumpKeysUnder, keysUnder } from './redis-keys.js';
import { blockIds, startSlackDouble, textOf, type Block, type Call, type SlackDouble } from './slack-double.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const QUEUE_REDIS = 'redis://127.0.0.1:6379';

let counter = 0;

export function uniquePrefix(): string {
  counter += 1;
  return `{rdtest-${process.pid}-${counter}-${Date.now().toString(36)}}`;
}

export function sign(rawBody: string, timestamp: number, secret = SIGNING_SECRET): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

export interface CommandFields {
  text: string;
  user?: string;
  channel?: string;
  triggerId?: string;
  responseTag?: string;
}

let triggers = 0;

/** The form body of a slash command, field for field as Slack sends it. */
export function commandBody(double: SlackDouble, f: CommandFields): string {
  triggers += 1;
  const tag = f.responseTag ?? `cmd-${triggers}`;
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0TEST',
    team_domain: 'test',
    channel_id: f.channel ?? 'C0TEST',
    channel_name: 'ops',
    user_id: f.user ?? 'U0ALICE',
    user_name: 'alice',
    command: '/redis-diagnose',
    text: f.text,
    api_app_id: 'A0TEST',
    is_enterprise_install: 'false',
    response_url: double.responseUrl(tag),
    trigger_id: f.triggerId ?? `${process.pid}.${triggers}.${Date.now()}`,
  }).toString();
}

/** The body of an interactivity request: `payload=<url-encoded JSON>`. */
export function payloadBody(payload: unknown): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

type Element = NonNullable<Block['elements']>[number];

/** The element of `message` with this action_id, and the block_id of its block. */
export function findButton(message: Call, actionId: string): Element & { block_id?: string } {
  for (const b of message.body.blocks ?? []) {
    const e = b.elements?.find((x) => x.action_id === actionId);
    if (e) return { ...e, block_id: b.block_id };
  }
  throw new Error(`no button ${actionId} in ${blockIds(message).join(',')}`);
}

/**
 * A block_actions payload for a click on `actionId` in `message`, exactly as Slack posts one;
 * with `from`, as if the message (its buttons and values) were shown in that channel: a forged or copied button.
 */
export function clickPayload(double: SlackDouble, message: Call, actionId: string, user: string, tag: string, from?: string): Record<string, unknown> {
  const channel = from ?? message.body.channel ?? 'C0TEST';
  const clicked = findButton(message, actionId);
  return {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0TEST' },
    api_app_id: 'A0TEST',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: false, thread_ts: message.body.thread_ts },
    trigger_id: `${process.pid}.${tag}.${Date.now()}`,
    team: { id: 'T0TEST', domain: 'test' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'ops' },
    message: { type: 'message', user: 'UBOT', bot_id: 'BBOT', ts: message.ts, thread_ts: message.body.thread_ts, text: message.body.text, blocks: message.body.blocks },
    state: { values: {} },
    response_url: double.responseUrl(tag),
    actions: [{ action_id: actionId, block_id: clicked.block_id, text: clicked.text, value: clicked.value, type: 'button', action_ts: `${Date.now() / 1000}` }],
  };
}

let clickCount = 0;

export interface Harness {
  bot: Bot;
  double: SlackDouble;
  prefix: string;
  redis: Redis;
  url: string;
  /** The environment the bot was started with (to start a second process on the same queue). */
  env: NodeJS.ProcessEnv;
  logs: string[];
  /** POST /slack/events with a correct signature (or the given headers). */
  post(body: string, headers?: Record<string, string>): Promise<{ status: number; text: string; json: Record<string, unknown> | undefined; ms: number }>;
  command(f: CommandFields): Promise<{ status: number; json: Record<string, unknown> | undefined; ms: number; responseTag: string }>;
  /** Clicks a button of a message the bot posted, as `user`; returns the response_url tag of the click. */
  click(message: Call, actionId: string, user: string): Promise<string>;
  /** The text of the private answer given to the click (or command) with this response tag. */
  answer(tag: string): Promise<string>;
  /** Keys under the prefix. */
  keys(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  config: string;
  /** Overrides; undefined removes a variable (e.g. SLACK_SIGNING_SECRET for Socket Mode). */
  env?: Record<string, string | undefined>;
  /** Runs before the bot starts (e.g. to script the double's answers). */
  beforeStart?: (double: SlackDouble) => void;
  diagnose?: DiagnoseFn;
  /** Use this REDIS_URL (queue-down tests). */
  redisUrl?: string;
  progressIntervalMs?: number;
  respondTimeoutMs?: number;
  slackPostTimeoutMs?: number;
  jobWatchIntervalMs?: number;
  jobLostAfterMs?: number;
  /** The bot's clock for approval decisions and expiry (BotOptions.now). */
  now?: () => number;
  /** Other bot options (e.g. the monitor's timings). */
  bot?: Pick<BotOptions, 'monitor' | 'stalls'>;
}

export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const double = await startSlackDouble();
  const tmp = makeTempDir('slack');
  const configPath = join(tmp.path, 'redis-doctor.yaml');
  writeFileSync(configPath, o.config);
  const prefix = uniquePrefix();
  const logs: string[] = [];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: double.apiUrl,
    PORT: '0',
    REDIS_URL: o.redisUrl ?? QUEUE_REDIS,
    REDIS_DOCTOR_CONFIG: configPath,
    REDIS_DOCTOR_QUEUE_PREFIX: prefix,
    REDIS_DOCTOR_TIMEOUT_MS: '1000',
    LOG_LEVEL: 'debug',
    ...o.env,
  };
  plantEnvSecrets(env);
  o.beforeStart?.(double);
  let bot: Bot;
  try {
    bot = await startBot({
      role: 'web', env, write: (line) => { logs.push(line); },
      ...(o.diagnose ? { diagnose: o.diagnose } : {}),
      progressIntervalMs: o.progressIntervalMs ?? 50,
      ...(o.respondTimeoutMs !== undefined ? { respondTimeoutMs: o.respondTimeoutMs } : {}),
      ...(o.slackPostTimeoutMs !== undefined ? { slackPostTimeoutMs: o.slackPostTimeoutMs } : {}),
      ...(o.jobWatchIntervalMs !== undefined ? { jobWatchIntervalMs: o.jobWatchIntervalMs } : {}),
      ...(o.jobLostAfterMs !== undefined ? { jobLostAfterMs: o.jobLostAfterMs } : {}),
      ...(o.now ? { now: o.now } : {}),
      ...o.bot,
    });
  } catch (err) {
    await double.close();
    await tmp.remove();
    throw err;
  }
  const redis = new Redis(QUEUE_REDIS, { maxRetriesPerRequest: 1 });
  const url = `http://127.0.0.1:${bot.port}`;

  const post: Harness['post'] = async (body, headers) => {
    const started = performance.now();
    const res = await fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(headers ?? sign(body, Math.floor(Date.now() / 1000))) },
      body,
    });
    const text = await res.text();
    const ms = performance.now() - started;
    let json: Record<string, unknown> | undefined;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, ms };
  };

  const keys = (): Promise<string[]> => keysUnder(redis, prefix);

  return {
    bot, double, prefix, redis, url, env, logs, post, keys,
    click: async (message, actionId, user) => {
      clickCount += 1;
      const tag = `click-${process.pid}-${clickCount}`;
      const r = await post(payloadBody(clickPayload(double, message, actionId, user, tag)));
      if (r.status !== 200) throw new Error(`click answered ${r.status}: ${r.text}`);
      return tag;
    },
    answer: async (tag) => {
      const path = `/response/${encodeURIComponent(tag)}`;
      await double.waitFor(`the private answer to ${tag}`, (calls) => calls.some((c) => c.path === path));
      const c = double.calls.find((x) => x.path === path)!;
      if (c.body.response_type !== 'ephemeral') throw new Error(`the answer to ${tag} is not ephemeral`);
      return textOf(c);
    },
    command: async (f) => {
      const responseTag = f.responseTag ?? `cmd-${Math.random().toString(36).slice(2)}`;
      const r = await post(commandBody(double, { ...f, responseTag }));
      return { status: r.status, json: r.json, ms: r.ms, responseTag };
    },
    stop: async () => {
      let leak: unknown;
      const metricsText = await fetch(`${url}/metrics`).then((r) => r.text(), () => '');
      try {
        await bot.stop();
      } finally {
        try {
          // The shared secrets assertion (lab/secrets.ts): logs, Slack calls, metrics and every key the bot wrote.
          try {
            assertNoPlantedSecret('the bot log', logs.join('\n'));
            assertNoPlantedSecret('a Slack API call', JSON.stringify(double.calls.map((c) => c.body)));
            assertNoPlantedSecret('/metrics', metricsText);
            if ((o.redisUrl ?? QUEUE_REDIS) === QUEUE_REDIS) {
              for (const [key, value] of await dumpKeysUnder(redis, prefix)) assertNoPlantedSecret(`the queue Redis key ${key}`, value);
            }
          } catch (err) {
            leak = err;
          }
          await deleteKeysUnder(redis, prefix);
        } finally {
          redis.disconnect();
          await double.close();
          await tmp.remove();
        }
      }
      if (leak) throw leak;
    },
  };
}

/** All text of an ack body (an ephemeral answer): fallback text, sections and context elements. */
export function ackText(json: Record<string, unknown> | undefined): string {
  const blocks = (json?.blocks ?? []) as { text?: { text: string }; elements?: { text?: unknown }[] }[];
  const parts = blocks.flatMap((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : ''))]);
  return [String(json?.text ?? ''), ...parts].join('\n');
}
