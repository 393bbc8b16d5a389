/**
 * The monitor's messages in Slack (monitor/alert-sink.ts implemented with the
 * Reporter): parent messages in `alerts.channel`, replies in their threads.
 * The renderers are pure (views/alert.ts); findings are rendered exactly as
 * a diagnosis thread renders them.
 */
import type { Finding } from '../engine/index.js';
import { RateLimitedError, type AlertSink, type GroupView, type IncidentNote, type IncidentView, type PauseInfo, type PauseSink } from '../monitor/alert-sink.js';
import { SlackRateLimitedError, type Reporter } from './reporter.js';
import { renderFinding, type FindingView } from './views/diagnosis.js';
import { renderIncident, renderNote, renderPaused, renderResumed } from './views/alert.js';
import { renderGroup } from './views/alert-group.js';
import { context } from './views/elements.js';
import { escapeMrkdwn } from './views/mrkdwn.js';

export interface AlertSinkOptions {
  /**
   * For a stored diagnosis: what each remediation would do on its target (planFor with this
   * process's config: runs once approved, `remediate:`, or shows its steps, `steps:`) and the
   * target's name for push texts. Undefined, or a diagnosis no longer stored: the buttons are
   * decided by the remediation's mode alone.
   */
  viewFor?: (diagnosisId: string) => Promise<FindingView | undefined>;
}

export function slackAlertSink(reporter: Reporter, opts: AlertSinkOptions = {}): AlertSink & PauseSink {
  const viewFor = async (diagnosisId: string) => opts.viewFor?.(diagnosisId).catch(() => undefined);
  return {
    post: async (channel: string, view: IncidentView) => {
      try {
        return await reporter.postAlert(channel, renderIncident(view));
      } catch (err) {
        if (err instanceof SlackRateLimitedError) throw new RateLimitedError(err.retryAfterMs, err.message);
        throw err;
      }
    },
    update: (channel: string, ts: string, view: IncidentView) => reporter.update(channel, ts, renderIncident(view)),
    remove: async (channel: string, ts: string) => {
      // chat.delete: a bot token may delete the bot's own messages (chat:write).
      await reporter.client.chat.delete({ channel, ts });
    },
    finding: async (channel: string, threadTs: string, finding: Finding, diagnosisId: string, forTarget?: string) => {
      const r = renderFinding(finding, diagnosisId, await viewFor(diagnosisId));
      // In a group's thread several targets' findings interleave: each says whose it is, first.
      const shown = forTarget ? { ...r, blocks: [context([`:dart: *${escapeMrkdwn(forTarget)}*`]), ...r.blocks].slice(0, 50) } : r;
      await reporter.post(channel, shown, threadTs);
    },
    postInThread: (channel: string, threadTs: string, view: IncidentView) => reporter.post(channel, renderIncident(view), threadTs),
    updateGroup: (channel: string, ts: string, view: GroupView) => reporter.update(channel, ts, renderGroup(view)),
    note: async (channel: string, threadTs: string, note: IncidentNote, view: IncidentView) => {
      const finding = note.kind === 'cause-changed' ? await viewFor(note.diagnosisId) : undefined;
      await reporter.post(channel, renderNote(note, view, finding), threadTs);
    },
    paused: (channel: string, info: PauseInfo) => reporter.post(channel, renderPaused(info)),
    resumed: async (channel: string, pausedTs: string | undefined, info: PauseInfo & { until: number }) => {
      await reporter.post(channel, renderResumed(info), pausedTs);
      if (pausedTs) await reporter.update(channel, pausedTs, renderPaused(info, info.until)).catch(() => undefined);
    },
  };
}
