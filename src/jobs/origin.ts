/**
 * Where a job came from, and so where its outcome is told. The jobs layer only
 * carries it: each kind has its reporter (src/slack/diagnosis-thread.ts for
 * `slack`), chosen by the process that composes the bot.
 */
export interface SlackOrigin {
  kind: 'slack';
  channel: string;
  team?: string;
  /** Slack's response_url for private answers when the channel cannot be posted to. */
  responseUrl?: string;
  /** Post into this existing thread (a re-diagnosis) instead of starting a new one. */
  threadTs?: string;
  /** A line above the verdict, e.g. why this re-diagnosis runs. */
  heading?: string;
  /**
   * This run checks a fix (the approval request id, or a recheck reference):
   * its verdict says `verified: healthy` or what is still wrong.
   */
  verifies?: string;
}

/** A scheduled check of a monitored target (src/monitor/). */
export interface MonitorOrigin {
  kind: 'monitor';
  /** The alerts channel the incident's findings are posted in (remediation buttons count from there only). */
  channel?: string;
}

/** A run whose result is only stored (no message anywhere). */
export interface CliOrigin {
  kind: 'cli';
}

export type Origin = SlackOrigin | MonitorOrigin | CliOrigin;
export type OriginKind = Origin['kind'];

/** The Slack channel a job's findings are posted in, if any. */
export function originChannel(origin: Origin): string | undefined {
  return origin.kind === 'cli' ? undefined : origin.channel;
}

/** The part of an origin that makes two requests "the same" for deduplication: same place, same thread. */
export function originScope(origin: Origin): string[] {
  // A verification is its own request: it must not collapse into a diagnosis that ran just before the fix.
  if (origin.kind === 'slack') return [origin.kind, origin.team ?? '', origin.channel, origin.threadTs ?? '', ...(origin.verifies ? [origin.verifies] : [])];
  return [origin.kind];
}
