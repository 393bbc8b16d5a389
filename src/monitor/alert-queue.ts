/**
 * The order alerts are posted in. Slack rate-limits chat.postMessage (about
 * one message a second per channel, with short bursts; a 429 carries
 * Retry-After), so when many targets go down at once most alerts must wait,
 * and which wait matters: the gravest cause first (engine causeSeverity:
 * unusable before degraded, then the rules' ranking), then the most recent
 * incident. The Web API client would otherwise wait out each 429 and resend in
 * whatever order the posts happened to start.
 *
 * Every parent message goes through here: the tick that has one to post queues
 * it (stores/alert-backlog.ts, shared by all workers) and then drains the
 * queue — one worker at a time (a lease), most urgent first, until the
 * queue is empty or the turn's bounds are reached; a 429 holds the posts to
 * that channel (every worker, for Retry-After: Slack's limit is per
 * channel), the other channels' alerts go on; the next tick of any queued
 * incident drains again. Each post still holds the incident's own `post`
 * claim and records its ts with HSETNX (incidents.ts), so a drain never posts
 * an alert twice however many workers drain.
 */
import { causeSeverity } from '../engine/index.js';
import type { Logger } from '../log.js';
import type { IncidentRecord, MonitorStore } from '../stores/monitor-store.js';

/** What became of one queued alert. */
export type PostOutcome =
  /** Posted now, or found posted. */
  | 'posted'
  /** Nothing to post any more: resolved, snoozed, no longer stored (its tick queues it again if needed). */
  | 'gone'
  /** Another worker holds its `post` claim. */
  | 'busy'
  /** Slack answered 429: nothing posted, the wait is recorded (for its channel). */
  | 'limited';

/**
 * Posts per drain turn, and the lease that makes one worker drain at a time
 * (a turn lasts at most half of it). Short: a worker that dies mid-turn, or a
 * release lost to a Redis timeout, holds every alert back until it expires.
 */
const MAX_POSTS_PER_TURN = 25;
/** Queued alerts one turn looks at: a channel Slack holds back must not starve the others behind it for long. */
const MAX_LOOKED_AT_PER_TURN = 200;
const MAX_DRAIN_LEASE_MS = 10_000;
/** Scores are exact integers below 2^53: severity (< 900) × span + (span − opened-at ms, good until 2286). */
const RECENCY_SPAN = 1e13;

/** Lower is posted first: the graver cause, then the more recent incident. */
export function alertScore(severity: number, openedAt: number): number {
  return severity * RECENCY_SPAN + (RECENCY_SPAN - Math.min(Math.max(0, openedAt), RECENCY_SPAN - 1));
}

export class AlertQueue {
  private readonly leaseMs: number;

  constructor(private readonly store: MonitorStore, private readonly owner: string, leaseMs: number, private readonly log: Logger) {
    this.leaseMs = Math.min(leaseMs, MAX_DRAIN_LEASE_MS);
  }

  /** Queues the incident's alert (again: the score is the same). */
  async offer(rec: IncidentRecord): Promise<void> {
    const severity = (await causeSeverity())(rec.cause === 'none' ? undefined : rec.cause);
    await this.store.backlog.add(rec.id, alertScore(severity, rec.openedAt));
  }

  /**
   * Posts queued alerts, most urgent first, while Slack lets each channel
   * (a channel within its Retry-After is passed over). `post` gets how many
   * more wait behind the one it posts (0 unless Slack rate-limited its
   * channel lately). An error posting `own` (the ticking incident) is thrown
   * after the turn, so its tick retries and backs off as before; another
   * incident's is logged and left queued for its own tick.
   */
  async drain(own: string, post: (id: string, behind: number) => Promise<PostOutcome>): Promise<void> {
    const { store, owner, log } = this;
    if (!(await store.claim('backlog', 'drain', owner, this.leaseMs))) return;
    const started = Date.now();
    const skip = new Set<string>();
    /** Channels within a Retry-After (read once per turn), and those Slack lets post with whether it rate-limited them lately. */
    const held = new Set<string>();
    const open = new Map<string, boolean>();
    let ownError: unknown;
    try {
      // Posts are bounded per turn, and so are the alerts looked at (those of held channels are passed over).
      for (let i = 0, posts = 0; posts < MAX_POSTS_PER_TURN && i < MAX_LOOKED_AT_PER_TURN && Date.now() - started < this.leaseMs / 2; i++) {
        const { ids, size } = await store.backlog.head(skip.size + 1);
        const id = ids.find((x) => !skip.has(x));
        if (id === undefined) break;
        // One HGET per queued alert: a channel Slack holds back costs no claim, no post, no second read.
        const channel = (await store.incidentField(id, 'channel')) ?? '';
        if (!held.has(channel) && !open.has(channel)) {
          const { waitMs, recently } = await store.backlog.slack(channel);
          if (waitMs > 0) held.add(channel);
          else open.set(channel, recently);
        }
        if (held.has(channel)) {
          skip.add(id);
          continue;
        }
        let outcome: PostOutcome;
        posts += 1;
        try {
          outcome = await post(id, open.get(channel) ? size - 1 : 0);
        } catch (err) {
          if (id === own) ownError = err;
          else log.log('warn', 'a queued alert could not be posted: left for its own tick', { incident: id, error: (err as Error).message });
          skip.add(id);
          continue;
        }
        if (outcome === 'limited') {
          log.log('warn', 'Slack rate-limits the alerts: queued, the gravest and most recent first', { queued: size, channel });
          held.add(channel);
        }
        // Another channel's alerts may still go out: only this one is skipped.
        if (outcome === 'busy' || outcome === 'limited') skip.add(id);
        else await store.backlog.remove(id);
      }
    } finally {
      await store.release('backlog', 'drain', owner).catch(() => undefined);
    }
    if (ownError) throw ownError;
  }
}
