/**
 * What the monitor tells, and to whom, without knowing Slack: the Slack side
 * (src/slack/alert-sink.ts) implements these interfaces and bot.ts hands them
 * in. Everything here is plain data, so the renderers stay pure and a test
 * can record what would be posted.
 */
import type { Finding, TargetInfo } from '../engine/index.js';

/** One incident as its parent message shows it. */
export interface IncidentView {
  id: string;
  /** `i.<id>`: what the recheck, ack and snooze buttons carry (a reference, resolved at click time). */
  ref: string;
  target: string;
  targetInfo?: TargetInfo;
  reason: 'down' | 'flapping';
  /** Opened by an external alert (Alertmanager), not by the probe. */
  source?: 'alertmanager';
  cause?: string;
  title?: string;
  /** From where the cause was diagnosed (a target probed from other locations), with why when not where it is down. */
  diagnosedFrom?: string;
  /** First failed probe, its code and error; the last good probe before it. */
  firstFailureAt: number;
  firstCode: string;
  firstError?: string;
  lastOkAt?: number;
  openedAt: number;
  failuresBeforeAlert: number;
  intervalSeconds: number;
  ackedBy?: string;
  resolvedAt?: number;
  downtimeMs?: number;
  /** Who the parent pages (alerts.mention), and the target's runbook and dashboard (routing.ts). */
  mention?: string;
  runbookUrl?: string;
  dashboardUrl?: string;
  /** Shown inside a grouped alert's thread (grouping.ts): no mention, it names the group. */
  inGroup?: boolean;
  /** When posted while Slack rate-limits alerts: how many more wait behind this one (alert-queue.ts). */
  queuedBehind?: number;
}

export type IncidentNote =
  | { kind: 'flapping'; flaps: number; successesNeeded: number; /** It resolves only after answering every probe this long (state-machine.ts flapHoldMs). */ holdMs?: number }
  | { kind: 'cause-changed'; from?: string; to: string; probeCode: string; finding?: Finding; diagnosisId: string }
  | { kind: 'reminder'; downForMs: number; remindAfterMinutes: number }
  | { kind: 'recovered'; resolvedAt: number; downtimeMs: number; successes: number }
  | { kind: 'acked'; by: string }
  | { kind: 'snoozed'; by: string; until: number; label: string };

/** A grouped alert (grouping.ts): the targets that went down together, each as its parent would show it. */
export interface GroupView {
  id: string;
  /** What the members share: one cause (or `mixed` when a host group's causes differ), the host when they share one. */
  cause: string;
  host?: string;
  members: IncidentView[];
  mention?: string;
}

/** Slack refused a post with 429: nothing was posted; try again after `retryAfterMs` (its Retry-After). */
export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  constructor(readonly retryAfterMs: number, message: string) {
    super(message);
  }
}

export interface AlertSink {
  /** Posts the parent message of an incident in `channel`; returns its ts. Throws RateLimitedError on a 429 (never waits it out). */
  post(channel: string, view: IncidentView): Promise<string>;
  /** Edits the parent (acknowledged, resolved, a new cause). */
  update(channel: string, ts: string, view: IncidentView): Promise<void>;
  /** Deletes a parent posted twice (see Monitor.postParent). */
  remove(channel: string, ts: string): Promise<void>;
  /** One finding as a reply in the thread, exactly as a diagnosis posts it (`forTarget`: in a group's thread, which target it is of). */
  finding(channel: string, threadTs: string, finding: Finding, diagnosisId: string, forTarget?: string): Promise<void>;
  note(channel: string, threadTs: string, note: IncidentNote, view: IncidentView): Promise<void>;
  /** Grouping (grouping.ts; a sink without these never groups): a target's own message in a group's thread, and the group message itself. */
  postInThread?(channel: string, threadTs: string, view: IncidentView): Promise<string>;
  updateGroup?(channel: string, ts: string, view: GroupView): Promise<void>;
}

/** Why monitoring cannot run: the bot's own Redis is unreachable (posted by the web process). */
export interface PauseInfo {
  since: number;
  reason: string;
}

export interface PauseSink {
  /** Returns the ts of the message, for the resumed reply. */
  paused(channel: string, info: PauseInfo): Promise<string>;
  resumed(channel: string, pausedTs: string | undefined, info: PauseInfo & { until: number }): Promise<void>;
}
