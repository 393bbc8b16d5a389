/**
 * The messages with buttons in a thread (an incident's findings): their ts and
 * what they show, so the recovery can take the buttons away and keep the text
 * (chat.update needs the blocks again; conversations.history is a scope this
 * app does not ask for). One hash per thread, bounded in entries and size, and
 * kept no longer than an incident can stay open plus a margin.
 */
import type { Redis } from 'ioredis';
import { storeKey } from './keys.js';

/** A message as posted: its fallback text and blocks (JSON). */
export interface PostedMessage {
  text: string;
  blocks: unknown[];
}

/** More than a thread carries: findings are at most a few dozen. */
export const MAX_MESSAGES_PER_THREAD = 60;
const MAX_JSON = 60_000;
const TTL_SECONDS = 30 * 24 * 3600;

export class ThreadButtons {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(channel: string, threadTs: string): string {
    return storeKey(this.prefix, 'thread-buttons', channel, threadTs);
  }

  /** Remembers a message with buttons in the thread (at most MAX_MESSAGES_PER_THREAD; later ones are not kept). */
  async add(channel: string, threadTs: string, ts: string, message: PostedMessage): Promise<void> {
    const json = JSON.stringify(message);
    if (json.length > MAX_JSON) return;
    const key = this.key(channel, threadTs);
    if ((await this.redis.hlen(key)) >= MAX_MESSAGES_PER_THREAD) return;
    await this.redis.multi().hset(key, ts, json).expire(key, TTL_SECONDS).exec();
  }

  /** The messages with buttons in the thread, oldest first. */
  async list(channel: string, threadTs: string): Promise<{ ts: string; message: PostedMessage }[]> {
    const all = await this.redis.hgetall(this.key(channel, threadTs));
    const out: { ts: string; message: PostedMessage }[] = [];
    for (const [ts, json] of Object.entries(all).slice(0, MAX_MESSAGES_PER_THREAD)) {
      try {
        const m = JSON.parse(json) as PostedMessage;
        if (typeof m.text === 'string' && Array.isArray(m.blocks)) out.push({ ts, message: m });
      } catch {
        // A damaged entry is skipped: its buttons stay, nothing else breaks.
      }
    }
    return out.sort((a, b) => Number(a.ts) - Number(b.ts));
  }

  async forget(channel: string, threadTs: string, ts: string): Promise<void> {
    await this.redis.hdel(this.key(channel, threadTs), ts);
  }
}
