/**
 * What the monitor's integration tests share: a redis-server that can be
 * stopped and started again on the same port, a wait for the next tick of a
 * target (read from its state in the queue Redis), the alert messages of a
 * target as the Slack double received them, and a snooze menu choice sent
 * exactly as Slack sends a static_select action.
 */
import type { Redis } from 'ioredis';
import type { TargetState } from '../../src/monitor/state-machine.js';
import { pollUntil } from '../lab/poll.js';
import { freeStablePort } from '../lab/ports.js';
import { startRedis, type RedisOptions, type RedisServer } from '../lab/redis.js';
import { clickPayload, payloadBody, type Harness } from '../slack/helpers/harness.js';
import type { Call, SlackDouble } from '../slack/helpers/slack-double.js';
import { blockIds } from '../slack/helpers/slack-double.js';

/** A target server that goes down (process stopped: the port refuses) and comes back on the same port. */
export class Switchable {
  private constructor(public server: RedisServer | undefined, readonly port: number, private readonly options: RedisOptions) {}

  /** On a port below the ephemeral range (lab/ports.ts freeStablePort): nobody else takes it while it is down. */
  static async start(options: RedisOptions = {}): Promise<Switchable> {
    if (options.netns) {
      const server = await startRedis(options);
      return new Switchable(server, server.port, options);
    }
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freeStablePort());
      try {
        const server = await startRedis({ ...options, port });
        return new Switchable(server, server.port, { ...options, port });
      } catch (err) {
        // Taken between the check and redis-server's bind: another port, three times at most.
        if (options.port !== undefined || attempt >= 3 || !/Address already in use/.test(String(err))) throw err;
      }
    }
  }

  get up(): boolean {
    return this.server !== undefined;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.stop({ graceMs: 0 });
  }

  async restart(): Promise<void> {
    if (this.server) return;
    this.server = await startRedis({ ...this.options, port: this.port });
  }

  async stop(): Promise<void> {
    await this.down();
  }
}

export function stateKey(prefix: string, target: string): string {
  return `${prefix}:store:monitor:state:${target}`;
}

export async function readState(redis: Redis, prefix: string, target: string): Promise<TargetState | undefined> {
  const s = await redis.hget(stateKey(prefix, target), 's');
  return s ? (JSON.parse(s) as TargetState) : undefined;
}

/** The state after the next tick counted after `after` (a tick time), bounded. */
export async function nextTick(redis: Redis, prefix: string, target: string, after: number | undefined, timeoutMs = 20_000): Promise<TargetState> {
  return pollUntil(async () => {
    const s = await readState(redis, prefix, target);
    return s && s.lastTick !== undefined && (after === undefined || s.lastTick > after) ? s : undefined;
  }, { what: `the next tick of ${target}`, timeoutMs, intervalMs: 50 });
}

/** Parent alert messages of `target` (first block `alert:<target>`). */
export function alertsOf(double: SlackDouble, target: string): Call[] {
  return double.ok('chat.postMessage').filter((c) => !c.body.thread_ts && blockIds(c)[0] === `alert:${target}`);
}

export function repliesTo(double: SlackDouble, ts: string | undefined): Call[] {
  return double.ok('chat.postMessage').filter((c) => c.body.thread_ts === ts);
}

export function replyWithBlock(double: SlackDouble, ts: string | undefined, blockId: string): Call[] {
  return repliesTo(double, ts).filter((c) => blockIds(c).includes(blockId));
}

let selects = 0;

/** A click on `actionId` of `message`, signed, sent as if from `channel` (default: the message's own); returns the response tag. */
export async function clickFrom(h: Harness, message: Call, actionId: string, user: string, channel?: string): Promise<string> {
  selects += 1;
  const tag = `from-${process.pid}-${selects}`;
  const r = await h.post(payloadBody(clickPayload(h.double, message, actionId, user, tag, channel)));
  if (r.status !== 200) throw new Error(`click answered ${r.status}: ${r.text}`);
  return tag;
}

/** A choice in the `snooze:<ref>` menu of an alert, as Slack posts a static_select action (from `channel`, default the message's); returns the response tag. */
export async function choose(h: Harness, message: Call, actionId: string, value: string, user: string, channel?: string): Promise<string> {
  selects += 1;
  const tag = `select-${process.pid}-${selects}`;
  const payload = clickPayload(h.double, message, actionId, user, tag, channel) as { actions: Record<string, unknown>[] };
  payload.actions[0] = {
    type: 'static_select', action_id: actionId, block_id: payload.actions[0]!.block_id,
    selected_option: { text: { type: 'plain_text', text: value }, value }, action_ts: `${Date.now() / 1000}`,
  };
  const r = await h.post(payloadBody(payload));
  if (r.status !== 200) throw new Error(`select answered ${r.status}: ${r.text}`);
  return tag;
}
