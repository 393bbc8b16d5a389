/**
 * The SSH checks could not run: the session failed before any command
 * (details.reason: host-key-mismatch, auth-failed, unreachable, timeout, …),
 * or the SSH phase bound cut them short (reason timeout, naming the commands
 * that did not answer; the ones that did still count for the other rules).
 * The diagnosis carries on with the network evidence, so this finding must
 * never push a network cause out of first place:
 *  - host-key-mismatch is a warning: an unexpected host key is what a
 *    man-in-the-middle looks like, and someone has to look at it;
 *  - every other reason is info: the host evidence is missing, nothing more.
 * Its rank is the last of all, so among equal severities the Redis findings lead.
 */
import { REMEDIATIONS, fixTarget } from '../remediations/index.js';
import type { FindingDraft, Observations } from '../model/types.js';
import { defineRule } from './helpers/define.js';

/** The session ran, but the SSH phase bound ran out before some commands answered. */
function cutShort(obs: Observations): FindingDraft | undefined {
  const remote = obs.remote;
  const cut = remote?.cutOff;
  if (!remote || !cut || cut.unanswered.length === 0) return undefined;
  const s = remote.session;
  const where = `${s.user ? `${s.user}@` : ''}${s.host}:${s.port}`;
  const names = cut.unanswered.join(', ');
  const answered = remote.commands.filter((c) => !cut.unanswered.includes(c.id)).length;
  return {
    severity: 'info',
    confidence: 'confirmed',
    title: `Remote checks on ${s.host} cut short: no answer within ${cut.boundMs} ms from: ${names}`,
    evidence: [
      `ssh ${where}: no answer within ${cut.boundMs} ms (the SSH phase bound) from: ${names}`,
      `${answered} other check${answered === 1 ? '' : 's'} answered and count; a slow host or login shell needs a larger --ssh-timeout (ssh.timeoutMs in the config)`,
    ],
    remediations: [REMEDIATIONS['fix-ssh-access'](fixTarget(obs), { host: s.host, port: s.port, reason: 'timeout', ...(s.user ? { user: s.user } : {}) })],
    details: { reason: 'timeout', host: s.host, port: s.port, boundMs: cut.boundMs, unanswered: names },
  };
}

export const rule = defineRule({
  cause: 'remote-check-failed',
  impact: 'unusable',
  evaluate(obs) {
    const s = obs.remote?.session;
    if (s?.ok) return cutShort(obs);
    if (!s) return undefined;
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
