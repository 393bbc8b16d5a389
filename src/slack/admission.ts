/**
 * Who may diagnose what, decided before anything is queued. Pure: the
 * config and the text in, a decision out. The text comes from any user of
 * the workspace and is treated as hostile; refusals quote it escaped.
 *
 * Ad-hoc targets (`host:port` not in the config) need
 * `access.allowAdHocTargets` and an IP literal inside `access.adHocNetworks`.
 * Host names are refused there: a name is resolved again when probed, so a
 * check on today's address would not bind what is contacted (DNS rebinding).
 */
import { isIP } from 'node:net';
import type { Config } from '../config/schema.js';
import { networkMatcher } from '../config/cidr.js';
import { parseTarget, printable, TargetError, type ParsedAddress } from '../engine/index.js';
import { code, escapeMrkdwn } from './views/mrkdwn.js';

export type Admission =
  | { ok: true; kind: 'named' | 'ad-hoc'; input: string }
  | { ok: false; reason: string };

export function canDiagnose(userId: string, config: Config): boolean {
  return config.access.diagnose.includes('*') || config.access.diagnose.includes(userId);
}

export function canApprove(userId: string, config: Config): boolean {
  return config.access.approvers.includes(userId);
}

/**
 * Slack may deliver a typed URL as `<redis://h:1|redis://h:1>` (link
 * formatting). Only that exact shape is unwrapped; anything else with < or >
 * is refused by the target parser.
 */
export function unwrapSlackLink(text: string): string {
  const m = /^<((?:rediss?):\/\/[^|<>\s]+)(?:\|[^<>]*)?>$/i.exec(text);
  return m ? m[1]! : text;
}

/** The canonical text of an admitted ad-hoc address: what the worker resolves again. */
export function canonicalInput(a: ParsedAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  if (!a.tls && a.user === undefined && a.db === undefined) return `${host}:${a.port}`;
  const user = a.user !== undefined ? `${encodeURIComponent(a.user)}@` : '';
  return `${a.tls ? 'rediss' : 'redis'}://${user}${host}:${a.port}${a.db !== undefined ? `/${a.db}` : ''}`;
}

const SLACK_LIST_HINT = '`/redis-diagnose status` lists the configured targets.';

/** `listHint`: where this front end lists the configured targets (Slack's status command, an MCP tool). */
export function admitTarget(rawText: string, config: Config, listHint = SLACK_LIST_HINT): Admission {
  const text = unwrapSlackLink(rawText.trim());
  let parsed;
  try {
    parsed = parseTarget(text);
  } catch (err) {
    if (err instanceof TargetError) return { ok: false, reason: `${escapeMrkdwn(err.message)}. Try \`/redis-diagnose help\`.` };
    throw err;
  }
  if (parsed.kind === 'name') {
    if (config.targets.some((t) => t.name === parsed.name)) return { ok: true, kind: 'named', input: parsed.name };
    return { ok: false, reason: `Unknown target ${code(parsed.name)}. ${listHint}` };
  }
  if (parsed.password !== undefined) {
    return { ok: false, reason: 'Never type a password in Slack: this one has passed through Slack\'s servers, so consider changing it. Add the target to the config file with `passwordEnv`, then use its name.' };
  }
  const shown = code(printable(canonicalInput(parsed)));
  if (!config.access.allowAdHocTargets) {
    return { ok: false, reason: `${shown} is not a configured target, and ad-hoc targets are turned off (\`access.allowAdHocTargets\`). ${listHint}` };
  }
  if (isIP(parsed.host) === 0) {
    return { ok: false, reason: `Ad-hoc targets must be IP addresses inside \`access.adHocNetworks\`; ${shown} is a host name. Add it to the config file to diagnose it by name.` };
  }
  if (!networkMatcher(config.access.adHocNetworks)(parsed.host)) {
    return { ok: false, reason: `${shown} is outside the networks ad-hoc targets may use (\`access.adHocNetworks\`).` };
  }
  return { ok: true, kind: 'ad-hoc', input: canonicalInput(parsed) };
}
