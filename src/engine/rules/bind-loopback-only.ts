/**
 * Redis listens on loopback only (bind 127.0.0.1 -::1, the redis.conf
 * default) and the client connects to another address of the host.
 *
 * Network evidence: the target address belongs to this machine and refused,
 * while the same port on loopback answers like Redis (the loopback probe).
 * Host evidence (the bind line, ss -ltn) comes from the SSH checks and is
 * added here by the remote-checks issue.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Observations } from '../model/types.js';
import { isLoopbackAddress } from '../shared/address.js';
import { hostLoopbackOnly } from './helpers/host-evidence.js';
import { clip, hostPort, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

function networkEvidence(obs: Observations): string[] | undefined {
  const { tcp, loopback } = obs;
  if (!loopback?.redis || tcp?.ok !== false || tcp.code !== 'ECONNREFUSED') return undefined;
  if (isLoopbackAddress(tcp.address)) return undefined;
  return [
    `TCP connect to ${targetLabel(obs)} was refused (ECONNREFUSED)`,
    `on the same host, ${hostPort(loopback.address, loopback.port)} answers${loopback.reply ? `: ${clip(loopback.reply, 80)}` : ' like Redis'}`,
  ];
}

export const rule = defineRule({
  cause: 'bind-loopback-only',
  impact: 'unusable',
  supersedes: ['connection-refused'],
  evaluate(obs) {
    // Host evidence (ss -ltnp, the redis.conf bind line over SSH) stands on its own when the
    // loopback probe could not run (the target is not an address of this machine).
    const onHost = hostLoopbackOnly(obs);
    const network = networkEvidence(obs);
    if (!network && !onHost) return undefined;
    const evidence = [...(network ?? [`TCP connect to ${targetLabel(obs)} was refused (ECONNREFUSED)`]), ...(onHost ?? [])];
    const t = fixTarget(obs);
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: `Redis listens on loopback only, not on ${obs.tcp?.address ?? obs.target.host}`,
      evidence,
      remediations: [REMEDIATIONS['bind-all-interfaces'](t), REMEDIATIONS['set-requirepass'](t), REMEDIATIONS['open-firewall-port'](t)],
      details: { loopbackPort: obs.loopback?.port ?? obs.target.port },
    };
  },
});
