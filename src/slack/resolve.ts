/**
 * Turns the input of a queued job into what the engine needs, with the
 * worker's own config and environment. Job data comes from Redis, so the
 * admission policy (who typed what is checked in admission.ts) is applied
 * again here rather than trusted, whatever the job's origin.
 */
import type { Config } from '../config/schema.js';
import { resolveTarget, type ResolvedTarget } from '../config/resolve-target.js';
import { admitTarget } from './admission.js';
import { networkMatcher } from '../config/cidr.js';
import { CodedError } from '../util/errors.js';

export class RefusedTargetError extends CodedError {
  override name = 'RefusedTargetError';
  constructor(message: string) {
    super('target-refused', message);
  }
}

/**
 * REDISCLI_AUTH is a redis-cli convenience for a person at a terminal; in the
 * bot it would hand the process's password to whatever target a Slack user
 * names, so only a config target's own `passwordEnv` supplies credentials.
 */
function botEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const { REDISCLI_AUTH: _ignored, ...rest } = env;
  return rest;
}

export function resolveJobTarget(input: string, config: Config, env: NodeJS.ProcessEnv, configPath?: string, listHint?: string): ResolvedTarget {
  const admission = admitTarget(input, config, listHint);
  if (!admission.ok) throw new RefusedTargetError(admission.reason);
  const resolved = resolveTarget(admission.input, { config, env: botEnv(env), ...(configPath ? { configPath } : {}) });
  // An ad-hoc address admits that address: the engine must not go on to the bot host's own
  // loopback (where the bot's queue Redis answers) and quote what it finds there.
  // The same for the addresses the topology hop learns from it: each passes the admission the
  // typed address passed (an IP literal inside access.adHocNetworks), or is not contacted.
  if (admission.kind === 'ad-hoc') {
    resolved.options.loopbackProbe = false;
    resolved.options.followPolicy = { kind: 'ad-hoc', allows: networkMatcher(config.access.adHocNetworks), outside: 'outside the networks ad-hoc targets may use (access.adHocNetworks)' };
  }
  return resolved;
}
