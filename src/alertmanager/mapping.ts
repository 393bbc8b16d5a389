/**
 * Which configured target an alert is about, and what of it may be shown.
 * Pure. Label values are hostile: a target is only ever a configured one
 * (matched by name or by address, never connected to from the label), and
 * the one piece of label text shown in Slack — the alert's name — is cut to
 * the characters a Prometheus alert name has, so `<!channel>`, mentions,
 * links and bidi controls never reach a message.
 */
import { createHash } from 'node:crypto';
import { parseTarget } from '../engine/index.js';
import type { Config } from '../config/schema.js';
import type { AlertmanagerAlert } from './payload.js';

/** `host:port` (lowercase host, IPv6 without brackets) → target name, from the configured targets' urls. */
export function addressIndex(config: Pick<Config, 'targets'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of config.targets) {
    try {
      const p = parseTarget(t.url);
      if (p.kind !== 'address') continue;
      const key = `${p.host.toLowerCase().replace(/^\[|\]$/g, '')}:${p.port}`;
      // Two targets on one address: the first configured answers for it.
      if (!out.has(key)) out.set(key, t.name);
    } catch {
      // The schema refused it already.
    }
  }
  return out;
}

/**
 * `host:port` of an `instance` label: `10.0.0.5:6379`, `redis://cache:6379/0`,
 * `[::1]:6379`; a bare host means 6379. Split and scanned, no regex over
 * the whole value (capped first).
 */
export function instanceAddress(instance: string): string | undefined {
  let v = instance.slice(0, 300).trim();
  const scheme = v.indexOf('://');
  if (scheme >= 0) v = v.slice(scheme + 3);
  const at = v.lastIndexOf('@');
  if (at >= 0) v = v.slice(at + 1);
  const slash = v.indexOf('/');
  if (slash >= 0) v = v.slice(0, slash);
  let host: string;
  let port = '6379';
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    if (close < 0) return undefined;
    host = v.slice(1, close);
    if (v[close + 1] === ':') port = v.slice(close + 2);
  } else {
    const colon = v.lastIndexOf(':');
    if (colon >= 0 && v.indexOf(':') === colon) {
      host = v.slice(0, colon);
      port = v.slice(colon + 1);
    } else {
      host = v;
    }
  }
  const n = Number(port);
  if (!host || !/^\d{1,5}$/.test(port) || n < 1 || n > 65535) return undefined;
  return `${host.toLowerCase()}:${n}`;
}

export interface TargetMapper {
  /** The configured target the alert names, or undefined. */
  targetOf(labels: Record<string, string>): string | undefined;
}

export function targetMapper(config: Pick<Config, 'targets'>, targetLabel: string | undefined): TargetMapper {
  const names = new Set(config.targets.map((t) => t.name));
  const byAddress = addressIndex(config);
  return {
    targetOf(labels) {
      const named = targetLabel ? labels[targetLabel] : undefined;
      if (named !== undefined) return names.has(named) ? named : undefined;
      const instance = labels.instance;
      const addr = instance === undefined ? undefined : instanceAddress(instance);
      return addr === undefined ? undefined : byAddress.get(addr);
    },
  };
}

/** One alert instance: the same alert in several groups, or sent again every repeat_interval, has the same key. */
export function alertKey(a: Pick<AlertmanagerAlert, 'fingerprint' | 'labels' | 'startsAt'>): string {
  // Alertmanager always sends the fingerprint (a hash of the labels); without it, the labels sorted stand in.
  const fp = a.fingerprint ?? JSON.stringify(Object.entries(a.labels).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return createHash('sha256').update(`${fp}\u0000${a.startsAt}`).digest('hex').slice(0, 24);
}

const NAME_CHARS = /[^A-Za-z0-9_:.-]/g;

/** `alert RedisDown`: the alert's name, only the characters a Prometheus alert name has, at most 64. */
export function alertLabel(labels: Record<string, string>): string {
  const name = (labels.alertname ?? '').slice(0, 200).replace(NAME_CHARS, '').slice(0, 64);
  return name ? `alert ${name}` : 'an alert without a name';
}

/** A timestamp of the payload (RFC 3339), or `fallback`: Go's zero time (0001-01-01, an unset endsAt) counts as unset. */
export function timeOf(value: string | undefined, fallback: number): number {
  if (!value) return fallback;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms > 0 ? ms : fallback;
}
