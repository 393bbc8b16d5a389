/** Which config targets are monitored: `alerts.targets`, where `["*"]` means all of them. */
import type { Config } from '../config/schema.js';

export function monitoredTargets(config: Config): string[] {
  const alerts = config.alerts;
  if (!alerts) return [];
  if (alerts.targets.includes('*')) return config.targets.map((t) => t.name);
  // The schema refuses names that are not targets; a name listed twice is monitored once.
  return [...new Set(alerts.targets)];
}
