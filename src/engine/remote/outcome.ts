/**
 * Turns one command's exit status and output into a catalogue outcome.
 * Conventions of scripts.ts: 127 = tool not installed, 125 = its service is not
 * there. Tools that talk to a daemon say so on stderr when it is down.
 */
import type { CatalogueEntry } from './catalogue.js';
import { looksDenied } from './parsers/sections.js';
import { redactCommandLine } from './parsers/ps.js';
import { capLine, MAX_LINES } from '../shared/lines.js';
import type { ExecResult } from './session.js';
import type { RemoteCommandOutcome, RemoteCommandId, RemoteObservation } from './types.js';

const TOOL: Record<RemoteCommandId, string> = {
  ps: 'ps',
  ss: 'ss and netstat',
  systemd: 'systemctl',
  free: 'free',
  'kernel-oom': 'dmesg and journalctl',
  iptables: 'iptables',
  nft: 'nft',
  ufw: 'ufw',
  firewalld: 'firewall-cmd',
  'docker-ps': 'docker',
  kubectl: 'kubectl',
  'redis-conf': 'awk',
  'proc-limits': 'cat',
  df: 'df',
  'docker-inspect': 'docker',
  'docker-events': 'docker',
  'host-tuning': 'head',
  'redis-log': 'tail',
};

const UNAVAILABLE: Partial<Record<RemoteCommandId, string>> = {
  systemd: 'systemd is not the init system here (no /run/systemd/system)',
  'docker-ps': 'no Docker daemon socket',
  kubectl: 'no kubeconfig and not inside a cluster',
  firewalld: 'firewalld is not running',
};

// Client tools whose server is down: Docker CLI, kubectl (client-go), firewall-cmd (D-Bus).
const DAEMON_DOWN_RE = /Cannot connect to the Docker daemon|Is the docker daemon running|Unable to connect to the server|couldn't get current server API group list|The connection to the server .* was refused|not running/i;

export const CHANNEL_REFUSED = 'SSH channel refused';

/** The first non-empty line, found without splitting the whole text (stdout may be 8 MiB of newlines), capped before the redaction patterns run. */
function firstLine(text: string): string {
  for (let start = 0, n = 0; start < text.length && n < MAX_LINES; n++) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    const line = capLine(text.slice(start, end)).trim();
    if (line !== '') return redactCommandLine(line).slice(0, 200);
    start = end + 1;
  }
  return '';
}

export function outcomeOf(entry: CatalogueEntry, res: ExecResult, obs: RemoteObservation): RemoteCommandOutcome {
  const base = { id: entry.id, durationMs: res.durationMs };
  const withCode = res.exitCode === null ? {} : { exitCode: res.exitCode };
  if (res.timedOut) return { ...base, ...withCode, status: 'timeout', detail: res.timeoutDetail ?? `no answer within ${res.durationMs} ms` };
  if (res.openFailed) return { ...base, status: 'failed', detail: `${CHANNEL_REFUSED}: ${firstLine(res.stderr)}` };
  if (res.exitCode === 127) return { ...base, ...withCode, status: 'missing', detail: `${TOOL[entry.id]} not installed` };
  if (res.exitCode === 125) return { ...base, ...withCode, status: 'unavailable', detail: UNAVAILABLE[entry.id] ?? (firstLine(res.stderr) || 'not available') };
  if (res.exitCode !== 0) {
    const msg = firstLine(res.stderr) || firstLine(res.stdout) || `exit status ${res.exitCode ?? 'unknown'}`;
    const status = looksDenied(res.stderr) ? 'denied' : DAEMON_DOWN_RE.test(res.stderr) ? 'unavailable' : 'failed';
    return { ...base, ...withCode, status, detail: msg };
  }
  if (res.truncated) return { ...base, ...withCode, status: 'failed', detail: 'output too large, cut' };
  try {
    const r = entry.parse({ stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode }, obs);
    return { ...base, ...withCode, status: r.status, detail: redactCommandLine(r.detail).slice(0, 400) };
  } catch (err) {
    return { ...base, ...withCode, status: 'failed', detail: `output not understood: ${(err as Error).message.slice(0, 120)}` };
  }
}
