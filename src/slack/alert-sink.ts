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
import { context, type Rendered } from './views/elements.js';
import { withoutButtons } from './views/stale.js';
import type { ThreadButtons } from '../stores/thread-buttons.js';
import type { Logger } from '../log.js';
import { renderGroup } from './views/alert-group.js';
import { escapeMrkdwn } from './views/mrkdwn.js';

export interface AlertSinkOptions {
  /**
   * For a stored diagnosis: what each remediation would do on its target (planFor with this
   * process's config: runs once approved, `remediate:`, or shows its steps, `steps:`) and the
   * target's name for push texts. Undefined, or a diagnosis no longer stored: the buttons are
   * decided by the remediation's mode alone.
   */
  viewFor?: (diagnosisId: string) => Promise<FindingView | undefined>;
  /**
   * Where the thread's messages with buttons are remembered: on recovery their
   * buttons are taken away (chat.update, text kept). Without it they stay.
   */
  buttons?: ThreadButtons;
  /** Called after an incident changed in Slack (posted, acked, recovered): the App Home is published again. */
  onChange?: () => void;
  log?: Logger;
}

function hasButtons(r: Rendered): boolean {
  return r.blocks.some((b) => b.type === 'actions');
}

export function slackAlertSink(reporter: Reporter, opts: AlertSinkOptions = {}): AlertSink & PauseSink {
  const viewFor = async (diagnosisId: string) => opts.viewFor?.(diagnosisId).catch(() => undefined);
  const changed = () => opts.onChange?.();
  /** Posts in the thread; a message with buttons is remembered (best effort: a failure leaves its buttons after recovery). */
  const postKept = async (channel: string, threadTs: string, r: Rendered) => {
    const ts = await reporter.post(channel, r, threadTs);
    if (opts.buttons && hasButtons(r)) {
      await opts.buttons.add(channel, threadTs, ts, { text: r.text, blocks: r.blocks }).catch((err: Error) => opts.log?.log('warn', 'could not remember a message with buttons', { error: err.message }));
    }
  };
  /** The buttons of the thread's findings, taken away: what they offered no longer applies. */
  const retire = async (channel: string, threadTs: string, resolvedAt: number) => {
    if (!opts.buttons) return;
    for (const { ts, message } of await opts.buttons.list(channel, threadTs)) {
      try {
        await reporter.update(channel, ts, withoutButtons(message, resolvedAt));
        await opts.buttons.forget(channel, threadTs, ts);
      } catch (err) {
        opts.log?.log('warn', 'could not remove the buttons of a resolved incident', { ts, error: (err as Error).message });
      }
    }
  };
  return {
    post: async (channel: string, view: IncidentView) => {
      try {
        const ts = await reporter.postAlert(channel, renderIncident(view));
        changed();
        return ts;
      } catch (err) {
        if (err instanceof SlackRateLimitedError) throw new RateLimitedError(err.retryAfterMs, err.message);
        throw err;
      }
    },
    update: async (channel: string, ts: string, view: IncidentView) => {
      await reporter.update(channel, ts, renderIncident(view));
      changed();
    },
    remove: async (channel: string, ts: string) => {
      // chat.delete: a bot token may delete the bot's own messages (chat:write).
      await reporter.client.chat.delete({ channel, ts });
    },
    finding: async (channel: string, threadTs: string, finding: Finding, diagnosisId: string, forTarget?: string) => {
      const r = renderFinding(finding, diagnosisId, await viewFor(diagnosisId));
      // In a group's thread several targets' findings interleave: each says whose it is, first.
      const shown = forTarget ? { ...r, blocks: [context([`:dart: *${escapeMrkdwn(forTarget)}*`]), ...r.blocks].slice(0, 50) } : r;
      await postKept(channel, threadTs, shown);
    },
    postInThread: (channel: string, threadTs: string, view: IncidentView) => reporter.post(channel, renderIncident(view), threadTs),
    updateGroup: (channel: string, ts: string, view: GroupView) => reporter.update(channel, ts, renderGroup(view)),
    note: async (channel: string, threadTs: string, note: IncidentNote, view: IncidentView) => {
      const finding = note.kind === 'cause-changed' ? await viewFor(note.diagnosisId) : undefined;
      if (note.kind === 'recovered') {
        // Broadcast: a thread reply alone notifies nobody, and the recovery is what on-call waits for.
        await reporter.post(channel, renderNote(note, view, finding), threadTs, { broadcast: true });
        await retire(channel, threadTs, note.resolvedAt);
        changed();
        return;
      }
      await postKept(channel, threadTs, renderNote(note, view, finding));
    },
    paused: (channel: string, info: PauseInfo) => reporter.post(channel, renderPaused(info)),
    resumed: async (channel: string, pausedTs: string | undefined, info: PauseInfo & { until: number }) => {
      await reporter.post(channel, renderResumed(info), pausedTs);
      if (pausedTs) await reporter.update(channel, pausedTs, renderPaused(info, info.until)).catch(() => undefined);
    },
  };
}
