/**
 * `/redis-diagnose <target> | status | audit | help`.
 *
 * Slack wants the HTTP answer within 3 seconds ("your app must respond
 * within 3000 ms", else the user sees a timeout error). Everything before
 * ack() here is in-memory work — parse, authorize, admit — and the one Redis
 * read (`status`) is bounded and fails fast when Redis is down. Queueing
 * happens after the ack; its outcome is told through response_url.
 */
import type { App, SlashCommand } from '@slack/bolt';
import type { Config } from '../config/schema.js';
import type { DiagnosisStore } from '../stores/diagnosis-store.js';
import type { AuditLog } from '../stores/audit-log.js';
import type { Dispatcher, Submitted } from '../jobs/dispatcher.js';
import type { Logger } from '../log.js';
import type { MonitorStatus } from '../monitor/status.js';
import type { CommandOutcome, Metrics } from '../metrics.js';
import type { Reporter } from './reporter.js';
import { admitTarget, canApprove, canDiagnose } from './admission.js';
import { section, type Rendered } from './views/elements.js';
import { renderHelp, renderStatus } from './views/commands.js';
import { renderAudit } from './views/audit.js';
import { code } from './views/mrkdwn.js';
import { withTimeout } from '../util/timeout.js';
import { handleLocated, type LocationCommandDeps } from './location-command.js';
import { renderLocationStatus } from './views/locations.js';
import { knownLocations } from '../jobs/locations.js';
import type { SilenceStore } from '../stores/silence-store.js';
import { isSilenceCommand, silenceCommand } from './commands-silence.js';
import { silenceStatusBlocks } from './views/silences.js';

export const COMMAND = '/redis-diagnose';
const MONITOR_STATUS_MS = 800;

export interface CommandDeps {
  config: Config;
  dispatcher: Dispatcher;
  store: DiagnosisStore;
  metrics: Metrics;
  log: Logger;
  /** Follow-ups after the ack go through its bounded response_url post, not Bolt's respond() (no timeout). */
  reporter: Reporter;
  /** The remediation audit trail (`audit`). */
  audit?: AuditLog;
  /** The monitored targets and their monitor states, for `status` (when `alerts:` is configured). */
  monitor?: { targets: ReadonlySet<string>; states(): Promise<Map<string, MonitorStatus>> };
  /** Probe locations (`from <location>`, `from all`, and the locations part of `status`): location-command.ts. */
  locations?: LocationCommandDeps;
  /** Maintenance windows (`silence`, `silences`, and in `status`): commands-silence.ts. */
  silences?: SilenceStore;
}

const AUDIT_ENTRIES = 25;

function ephemeral(r: Rendered) {
  return { response_type: 'ephemeral' as const, text: r.text, blocks: r.blocks };
}

function say(text: string, blockId: string): Rendered {
  return { text, blocks: [section(text, blockId)] };
}

function followUp(s: Submitted, shown: string): Rendered | undefined {
  if (s.via === 'busy') {
    return say(`:warning: The job queue is unreachable and this process is already running as many diagnoses as it may. Try ${shown} again in a moment.`, 'busy');
  }
  if (s.via === 'pending') {
    return say(`:hourglass: The job queue (the bot's own Redis) is slow to answer, and this process is busy: ${shown} is queued and its results will be posted here once the queue takes it. No need to send it again.`, 'pending');
  }
  if (s.deduplicated) return say(`${shown} is already being diagnosed in this channel (sent twice?): its results will appear in one thread.`, 'duplicate');
  if (s.via === 'inline') return say(':warning: The job queue (the bot\'s own Redis) is unreachable, so I am running this diagnosis myself.', 'queue-down');
  return undefined;
}

function outcomeOf(s: Submitted): CommandOutcome {
  if (s.via === 'busy') return 'busy';
  if (s.via === 'pending') return 'pending';
  if (s.deduplicated) return 'deduplicated';
  return s.via === 'queue' ? 'queued' : 'inline';
}

/** A word after the command that is not a target (`help`, `status` …): answered in the ack, privately. */
interface Subcommand {
  /** Needs `access.diagnose` (help does not). */
  restricted: boolean;
  /** Its own rule, checked first (with `restricted: false` it replaces `access.diagnose`): who else asks is refused with `refusal`. */
  rule?: { allowed: (userId: string, config: Config) => boolean; refusal: string };
  outcome: CommandOutcome;
  answer(body: SlashCommand, deps: CommandDeps): Promise<Rendered>;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  help: { restricted: false, outcome: 'usage', answer: async (body, deps) => renderHelp(body.command || COMMAND, deps.config) },
  status: {
    restricted: true,
    outcome: 'status',
    answer: async (_body, deps) => {
      const [{ states, shared }, monitored] = await Promise.all([
        deps.store.lastStates(),
        // Bounded like lastStates(): the queue Redis may be down, and the answer must be in time for the ack.
        deps.monitor ? withTimeout(deps.monitor.states(), MONITOR_STATUS_MS, 'reading monitor states').catch(() => undefined) : undefined,
      ]);
      const monitor = deps.monitor && monitored ? { targets: deps.monitor.targets, states: monitored } : undefined;
      const rendered = renderStatus(deps.config, states, shared, Date.now(), monitor);
      // The maintenance windows in force, after the rest (bounded like the monitor states).
      const silenced = deps.silences ? await withTimeout(deps.silences.active(Date.now()), MONITOR_STATUS_MS, 'reading silences').catch(() => []) : [];
      const withSilences = { ...rendered, blocks: [...rendered.blocks, ...silenceStatusBlocks(silenced, Date.now(), 50 - rendered.blocks.length)] };
      if (!deps.locations || deps.config.locations.length === 0) return withSilences;
      const where = await deps.locations.locations.status(knownLocations(deps.config));
      return { text: withSilences.text, blocks: [...withSilences.blocks, ...renderLocationStatus(where)].slice(0, 50) };
    },
  },
  audit: {
    // Approvers only, whether or not they are in access.diagnose.
    restricted: false,
    rule: { allowed: canApprove, refusal: 'Only approvers (`access.approvers` in the bot config) can read the audit trail.' },
    outcome: 'audit',
    answer: async (_body, deps) => {
      if (!deps.audit) return say('The audit trail is not available in this process.', 'audit');
      try {
        return renderAudit(await deps.audit.latest(AUDIT_ENTRIES), AUDIT_ENTRIES);
      } catch (err) {
        deps.log.log('warn', 'audit trail unreadable', { error: (err as Error).message });
        return say(':warning: The audit trail cannot be read: the bot\'s Redis is unreachable. Try again when it is back (see /readyz).', 'audit');
      }
    },
  },
};

export function registerCommands(app: App, deps: CommandDeps): void {
  const { config, dispatcher, metrics, log, reporter } = deps;

  app.command(COMMAND, async ({ command, ack }) => {
    const body = command as SlashCommand;
    const text = (body.text ?? '').trim();
    const word = text.toLowerCase();
    const key = word === '' ? 'help' : word;
    // Own keys only: `/redis-diagnose constructor` is a target to admit (or refuse), not Object's constructor.
    const sub = Object.hasOwn(SUBCOMMANDS, key) ? SUBCOMMANDS[key] : undefined;

    if (!sub && isSilenceCommand(text)) {
      const r = await silenceCommand(body, { config, log, ...(deps.silences ? { silences: deps.silences } : {}), ...(deps.audit ? { audit: deps.audit } : {}), ...(deps.monitor ? { monitored: deps.monitor.targets } : {}) });
      metrics.commands.inc({ outcome: r.outcome });
      await ack(ephemeral(r.answer));
      return;
    }
    if (sub?.rule && !sub.rule.allowed(body.user_id, config)) {
      metrics.commands.inc({ outcome: 'forbidden' });
      log.log('info', `command refused: ${word}`, { user: body.user_id });
      await ack(ephemeral(say(sub.rule.refusal, 'forbidden')));
      return;
    }
    // Diagnoses and restricted subcommands need `access.diagnose`.
    if ((!sub || sub.restricted) && !canDiagnose(body.user_id, config)) {
      metrics.commands.inc({ outcome: 'forbidden' });
      log.log('info', 'command refused: user not in access.diagnose', { user: body.user_id });
      await ack(ephemeral(say('You are not allowed to run diagnoses here (`access.diagnose` in the bot config).', 'forbidden')));
      return;
    }
    if (sub) {
      metrics.commands.inc({ outcome: sub.outcome });
      await ack(ephemeral(await sub.answer(body, deps)));
      return;
    }
    if (deps.locations && await handleLocated(body, text, deps.locations, (r) => ack(ephemeral(r)))) return;
    const admission = admitTarget(text, config);
    if (!admission.ok) {
      metrics.commands.inc({ outcome: 'refused' });
      await ack(ephemeral(say(`:no_entry: ${admission.reason}`, 'refused')));
      return;
    }

    const shown = code(admission.input);
    await ack(ephemeral(say(`:mag: Diagnosing ${shown}… the results will be posted in this channel.`, 'accepted')));

    const submitted = await dispatcher.submit({
      input: admission.input,
      origin: { kind: 'slack', channel: body.channel_id, team: body.team_id, responseUrl: body.response_url },
      requestedBy: body.user_id,
      requestedAt: Date.now(),
    }, body.trigger_id);
    metrics.commands.inc({ outcome: outcomeOf(submitted) });
    log.log('info', 'diagnosis requested', { user: body.user_id, channel: body.channel_id, target: admission.input, via: submitted.via, ...('id' in submitted ? { id: submitted.id } : {}) });
    const note = followUp(submitted, shown);
    if (note) await reporter.respond(body.response_url, note);
  });
}
