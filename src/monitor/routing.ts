/**
 * Where a target's alerts go and what they carry (INTERFACES.md section 4,
 * turn 3): its `alertChannel` (else `alerts.channel`), the `alerts.mention`
 * that pages someone, and its `runbookUrl` / `dashboardUrl`. Fixed into the
 * incident record when the incident opens (incidents.ts), so every later
 * step — findings, notes, reminders, the recovery, the buttons' channel
 * binding — follows the incident, not whatever the config says by then.
 * Pure: the schema has validated every value (mention format, https links).
 */
import type { Config } from '../config/schema.js';

export interface TargetRoute {
  channel: string;
  mention?: string;
  runbookUrl?: string;
  dashboardUrl?: string;
}

export type RouteOf = (target: string) => TargetRoute;

/** The route of each configured target; a name not configured (an ad-hoc address) goes to alerts.channel. */
export function targetRoutes(config: Pick<Config, 'targets' | 'alerts'>): RouteOf {
  const channel = config.alerts?.channel ?? '';
  const mention = config.alerts?.mention;
  const byName = new Map(config.targets.map((t) => [t.name, t]));
  return (target) => {
    const t = byName.get(target);
    return {
      channel: t?.alertChannel ?? channel,
      ...(mention ? { mention } : {}),
      ...(t?.runbookUrl ? { runbookUrl: t.runbookUrl } : {}),
      ...(t?.dashboardUrl ? { dashboardUrl: t.dashboardUrl } : {}),
    };
  };
}

/** The target's links alone (diagnoses show them too). */
export function targetLinks(config: Pick<Config, 'targets'>, name: string | undefined): { runbookUrl?: string; dashboardUrl?: string } {
  const t = name ? config.targets.find((x) => x.name === name) : undefined;
  return { ...(t?.runbookUrl ? { runbookUrl: t.runbookUrl } : {}), ...(t?.dashboardUrl ? { dashboardUrl: t.dashboardUrl } : {}) };
}
