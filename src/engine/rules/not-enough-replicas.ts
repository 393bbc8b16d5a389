/**
 * A primary with min-replicas-to-write N refuses every write while fewer
 * than N replicas are "good" (online, lag ≤ min-replicas-max-lag) (server.c,
 * shared.noreplicaserr):
 *   -NOREPLICAS Not enough good replicas to write.
 * INFO replication shows min_slaves_good_slaves only when both settings are
 * on (server.c, genRedisInfoString), and INFO does not show N: the topology
 * phase reads it with CONFIG GET min-replicas-*. Without CONFIG (renamed, as
 * managed services do) zero good replicas is still below any setting (N ≥ 1),
 * so that case stays confirmed; a non-zero count cannot be judged.
 * Critical (every write is refused) but `degrading`: reads and PING work.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { info, infoNumber, infoQuote, targetLabel } from './helpers/observed.js';
import { roleOf } from './helpers/topology.js';
import { defineRule } from './helpers/define.js';

export const NOREPLICAS_TEXT = '-NOREPLICAS Not enough good replicas to write.';

function slaveLines(obs: Parameters<typeof info>[0]): string[] {
  const replication = obs.info?.sections['replication'] ?? {};
  return Object.entries(replication).filter(([k]) => /^slave\d+$/.test(k)).map(([k, v]) => `${k}:${v}`);
}

export const rule = defineRule({
  cause: 'not-enough-replicas',
  impact: 'degrading',
  evaluate(obs) {
    if (roleOf(obs) !== 'master') return undefined;
    const good = infoNumber(obs, 'min_slaves_good_slaves');
    if (good === undefined) return undefined;
    const settings = obs.topology?.minReplicas;
    const toWriteText = settings?.['min-replicas-to-write'];
    const toWrite = toWriteText !== undefined && /^\d+$/.test(toWriteText) ? Number(toWriteText) : undefined;
    const maxLagText = settings?.['min-replicas-max-lag'];
    const maxLag = maxLagText !== undefined && /^\d+$/.test(maxLagText) ? Number(maxLagText) : undefined;
    if (toWrite !== undefined ? good >= toWrite : good > 0) return undefined;
    const evidence = [infoQuote(obs, ['role', 'connected_slaves', 'min_slaves_good_slaves'])];
    if (toWrite !== undefined) evidence.push(`CONFIG GET min-replicas-* → min-replicas-to-write:${toWrite}${maxLag !== undefined ? ` min-replicas-max-lag:${maxLag}` : ''}`);
    else evidence.push('min-replicas-to-write is set (INFO shows min_slaves_good_slaves only then) and is at least 1; its value could not be read (CONFIG GET refused)');
    const lines = slaveLines(obs);
    evidence.push(lines.length > 0 ? `replicas: ${lines.slice(0, 4).join(' ')}` : 'no replica is connected');
    evidence.push(`every write gets ${NOREPLICAS_TEXT}; reads are served`);
    const t = fixTarget(obs);
    const remediations = [REMEDIATIONS['restore-replicas'](t, { ...(toWrite !== undefined ? { needed: toWrite } : {}), good, ...(maxLag !== undefined ? { maxLag } : {}) })];
    if (toWrite !== undefined) remediations.push(REMEDIATIONS['lower-min-replicas'](t, { to: good }));
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: `Writes are refused on ${targetLabel(obs)}: ${good} good replica${good === 1 ? '' : 's'}${toWrite !== undefined ? `, min-replicas-to-write ${toWrite}` : ''} (-NOREPLICAS)`,
      evidence,
      remediations,
      details: { goodReplicas: good, ...(toWrite !== undefined ? { minReplicasToWrite: toWrite } : {}), ...(maxLag !== undefined ? { minReplicasMaxLag: maxLag } : {}) },
    };
  },
});
