/** Pure renderers for the answers of `/redis-diagnose help` and `/redis-diagnose status`. */
import type { Config } from '../../config/schema.js';
import type { LastState } from '../../stores/diagnosis-store.js';
import type { MonitorStatus } from '../../monitor/status.js';
import { address, context, fallback, packSections, section, VERDICT_ICON, type Rendered } from './elements.js';
import { code, escapeMrkdwn } from './mrkdwn.js';
import { parseTarget } from '../../engine/index.js';

export function renderHelp(command: string, config: Config): Rendered {
  const adHoc = config.access.allowAdHocTargets
    ? `an IP address and port inside ${config.access.adHocNetworks.map((n) => code(n)).join(', ') || 'no network (none configured)'}`
    : 'ad-hoc addresses are turned off';
  const cmd = escapeMrkdwn(command);
  const lines = [
    `*${cmd} &lt;target&gt;* — find out why a Redis endpoint refuses connections or misbehaves. The results are posted in this channel, one finding per thread reply.`,
    `• ${code(`${command} cache-prod`)} — a target named in the config file`,
    `• ${code(`${command} 10.0.0.5:6379`)} — ${adHoc}`,
    `• ${code(`${command} status`)} — the configured targets and their last known state`,
    `• ${code(`${command} audit`)} — the latest remediation requests, decisions and results (approvers only)`,
    `• ${code(`${command} silence <target|*> <duration> [reason]`)} — no alerts for it meanwhile, e.g. \`2h\`, at most \`7d\`; ${code('silence <target|*> off')} ends it (approvers only)`,
    `• ${code(`${command} silences`)} — the silences in force`,
    `• ${code(`${command} help`)} — this text`,
    'The app\'s *Home* tab (Apps → Redis Doctor) shows each target\'s state, the open incidents and who acked them, and the latest diagnoses.',
    'Never type passwords: configured targets take theirs from the environment (`passwordEnv`).',
  ];
  return { text: fallback(`Usage: ${command} <target> | status | help`), blocks: [section(lines.join('\n'), 'help')] };
}

function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

const MONITOR_ICON: Record<MonitorStatus['status'], string> = { up: ':large_green_circle:', suspect: ':large_yellow_circle:', down: ':red_circle:', recovering: ':large_yellow_circle:' };

/** ` · monitored: down since 3 min ago (`connection-refused`)`, for targets under `alerts.targets`. */
function monitorPart(m: MonitorStatus | undefined, monitored: boolean, now: number): string {
  if (!monitored) return '';
  if (!m) return ' · monitored: not probed yet';
  const cause = m.cause ?? m.lastFailureCode;
  const p99 = m.latencyP99Ms !== undefined && Number.isFinite(m.latencyP99Ms) ? `, PING p99 ${m.latencyP99Ms < 10 ? m.latencyP99Ms.toFixed(2) : Math.round(m.latencyP99Ms)} ms` : '';
  return ` · monitored: ${MONITOR_ICON[m.status]} *${m.status}* since ${ago(new Date(m.since).toISOString(), now)}${cause ? ` (${code(cause)})` : ''}${p99}`;
}

function targetLine(name: string, url: string, state: LastState | undefined, now: number, monitor = ''): string {
  const parsed = parseTarget(url);
  const where = parsed.kind === 'address' ? code(address(parsed)) : '';
  if (!state) return `:white_circle: *${escapeMrkdwn(name)}* ${where} — not diagnosed yet${monitor}`;
  const cause = state.primaryCause ? ` (${code(state.primaryCause)})` : '';
  return `${VERDICT_ICON[state.verdict]} *${escapeMrkdwn(name)}* ${where} — ${state.verdict}${cause}, ${ago(state.at, now)}${monitor}`;
}

/**
 * `shared` false: the queue Redis was unreachable, so only this process's memory was read.
 * `monitor`: the monitor's states of the targets under `alerts.targets` (absent: not readable).
 */
export function renderStatus(config: Config, states: Map<string, LastState>, shared: boolean, now: number, monitor?: { targets: ReadonlySet<string>; states: Map<string, MonitorStatus> }): Rendered {
  if (config.targets.length === 0) {
    return { text: 'No targets are configured.', blocks: [section('No targets are configured. Add them under `targets:` in the config file.', 'status')] };
  }
  const lines = config.targets.map((t) => targetLine(t.name, t.url, states.get(t.name), now, monitor ? monitorPart(monitor.states.get(t.name), monitor.targets.has(t.name), now) : ''));
  const blocks: Rendered['blocks'] = [];
  // Blocks left for the notes below.
  const shown = packSections(blocks, lines, 3);
  if (shown < lines.length) blocks.push(context([`… and ${lines.length - shown} more targets`]));
  if (!shared) blocks.push(context([':warning: The queue Redis is unreachable: states known to this process only.']));
  return { text: `${config.targets.length} configured targets`, blocks };
}
