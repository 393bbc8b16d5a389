/**
 * The open-files limit forced maxclients down. At start (and on CONFIG SET
 * maxclients) Redis needs maxclients + 32 descriptors (CONFIG_MIN_RESERVED_FDS);
 * when the limit is lower and cannot be raised it logs
 *   "maxclients has been reduced to N to compensate for low ulimit"
 * with N = limit − 32. Limits are powers of two in practice (1024, 4096 …),
 * so a maxclients below the default 10000 that equals 2^k − 32 is that
 * reduction (1024 → 992, 4096 → 4064). Network heuristic, hence a warning;
 * the SSH checks add /proc/<pid>/limits evidence.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Observations } from '../model/types.js';
import { DEFAULT_MAXCLIENTS, hostFdLimit, RESERVED_FDS } from './helpers/host-evidence.js';
import { config, infoNumber, infoQuote } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

export function fdLimited(obs: Observations): { maxclients: number; nofile: number } | undefined {
  const fromConfig = Number(config(obs, 'maxclients'));
  const maxclients = infoNumber(obs, 'maxclients') ?? (Number.isFinite(fromConfig) && fromConfig > 0 ? fromConfig : undefined);
  if (maxclients === undefined || maxclients <= 0 || maxclients >= DEFAULT_MAXCLIENTS) return undefined;
  const nofile = maxclients + RESERVED_FDS;
  // A power of two: exactly one bit set.
  if ((nofile & (nofile - 1)) !== 0) return undefined;
  return { maxclients, nofile };
}

export const rule = defineRule({
  cause: 'fd-limit-too-low',
  impact: 'degrading',
  evaluate(obs) {
    const network = fdLimited(obs);
    // Host evidence: /proc/<pid>/limits and redis.conf maxclients read over SSH.
    const onHost = hostFdLimit(obs);
    const fd = network ?? (onHost ? { maxclients: onHost.maxclients, nofile: onHost.nofile } : undefined);
    if (!fd) return undefined;
    const t = fixTarget(obs);
    const networkEvidence = network
      ? [
        infoQuote(obs, ['connected_clients', 'maxclients']) || `maxclients:${fd.maxclients}`,
        `maxclients ${fd.maxclients} = ${fd.nofile} − ${RESERVED_FDS}: what Redis sets when the open-files limit is ${fd.nofile} ("maxclients has been reduced to ${fd.maxclients} to compensate for low ulimit"); the default is ${DEFAULT_MAXCLIENTS}`,
      ]
      : [infoQuote(obs, ['connected_clients', 'maxclients'])].filter(Boolean);
    return {
      severity: 'warning',
      // INFO alone: maxclients equals a common limit minus 32, which a configured maxclients could also be.
      confidence: onHost ? 'confirmed' : 'likely',
      title: `The open-files limit (${fd.nofile}) forced maxclients down to ${fd.maxclients}`,
      evidence: [...networkEvidence, ...(onHost?.evidence ?? [])],
      remediations: [REMEDIATIONS['raise-nofile-limit'](t, { current: fd.nofile })],
      details: { maxclients: fd.maxclients, nofile: fd.nofile },
    };
  },
});
