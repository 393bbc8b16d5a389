/**
 * The SSH checks could not run: the session failed before any command
 * (details.reason: host-key-mismatch, auth-failed, unreachable, timeout, …).
 * The diagnosis carries on with the network evidence, so this finding must
 * never push a network cause out of first place:
 *  - host-key-mismatch is a warning: an unexpected host key is what a
 *    man-in-the-middle looks like, and someone has to look at it;
 *  - every other reason is info: the host evidence is missing, nothing more.
 * Its rank is the last of all, so among equal severities the Redis findings lead.
 */
import { REMEDIATIONS, fixTarget } from '../remediations/index.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'remote-check-failed',
  impact: 'unusable',
  evaluate(obs) {
    const s = obs.remote?.session;
    if (!s || s.ok) return undefined;
    const reason = s.failureReason ?? 'protocol-error';
    const where = `${s.user ? `${s.user}@` : ''}${s.host}:${s.port}`;
    const hostKey = reason === 'host-key-mismatch';
    const evidence = [`ssh ${where}: ${s.message ?? reason}`];
    if (hostKey) evidence.push('the host key was refused during key exchange: no credentials were offered and no command ran');
    else evidence.push(`no command ran on ${s.host}: the findings rest on network evidence only`);
    const t = fixTarget(obs);
    const remediation = hostKey
      ? REMEDIATIONS['verify-ssh-host-key'](t, { host: s.host, port: s.port, ...(s.hostKey?.fingerprint ? { fingerprint: `${s.hostKey.type ?? ''} ${s.hostKey.fingerprint}`.trim() } : {}) })
      : REMEDIATIONS['fix-ssh-access'](t, { host: s.host, port: s.port, reason, ...(s.user ? { user: s.user } : {}) });
    return {
      severity: hostKey ? 'warning' : 'info',
      confidence: 'confirmed',
      title: hostKey ? `SSH host key of ${s.host} does not match known_hosts: remote checks not run` : `Remote checks on ${s.host} could not run (${reason})`,
      evidence,
      remediations: [remediation],
      details: { reason, host: s.host, port: s.port, ...(s.hostKey?.status ? { hostKey: s.hostKey.status } : {}) },
    };
  },
});
