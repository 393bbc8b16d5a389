/**
 * The redis-server that holds the target port is not running code: stopped
 * (SIGSTOP, Ctrl-Z, a debugger: ps STAT T/t), in uninterruptible sleep (D,
 * waiting for I/O) or a zombie (Z). Its listening socket stays open, so the
 * kernel completes TCP handshakes into the accept backlog while nothing reads
 * them: a port that accepts connections and never answers (procps ps(1),
 * PROCESS STATE CODES; a full backlog then drops SYNs, a timeout at connect).
 *
 * Which process holds the port: the pid `ss -ltnp` names for a listener on the
 * target port that the client's address reaches; where ss shows no pids (no
 * privileges), the redis-server whose process title or --port names the port.
 * A server that just answered PING is not stalled, whatever ps caught it in.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { RedisProcess, RemoteObservation, TcpListener } from '../remote/types.js';
import type { Observations } from '../model/types.js';
import { commandOk, hostName, listenCovers, listenersOnPort, remoteOf, ssEvidence, targetAddress } from './helpers/host.js';
import { targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const STALLED: Partial<Record<NonNullable<RedisProcess['state']>, string>> = {
  stopped: 'stopped',
  'tracing-stop': 'stopped by a debugger',
  'disk-sleep': 'in uninterruptible sleep (waiting for I/O)',
  zombie: 'a zombie (it exited; nobody reaped it)',
};

interface Holder {
  proc: RedisProcess;
  listener?: TcpListener;
}

function holders(obs: Observations, remote: RemoteObservation): Holder[] {
  const port = obs.target.port;
  const procs = (remote.processes ?? []).filter((p) => p.state !== undefined);
  const reached = listenersOnPort(remote, port).filter((l) => listenCovers(l.address, targetAddress(obs)));
  const withPid = reached.filter((l) => l.pid !== undefined);
  if (withPid.length > 0) {
    return withPid.flatMap((l) => procs.filter((p) => p.pid === l.pid).map((proc) => ({ proc, listener: l })));
  }
  // ss saw the socket without its owner, or could not run: the process title or --port says which server it is.
  if (commandOk(remote, 'ss') && reached.length === 0) return [];
  return procs.filter((p) => (p.titlePort ?? p.argPort) === port).map((proc) => ({ proc, ...(reached[0] ? { listener: reached[0] } : {}) }));
}

function networkEvidence(obs: Observations): string | undefined {
  const { tcp, resp } = obs;
  const label = targetLabel(obs);
  if (tcp?.ok && resp?.timedOut && resp.noReply) return `TCP connect to ${label} succeeded; no byte came back to PING within ${obs.client.timeoutMs} ms`;
  if (tcp && !tcp.ok) return `TCP connect to ${label}: ${tcp.code ?? 'failed'}`;
  return undefined;
}

export const rule = defineRule({
  cause: 'server-stalled',
  impact: 'unusable',
  supersedes: ['connection-timeout', 'connection-refused'],
  evaluate(obs) {
    const remote = remoteOf(obs);
    if (!remote || !commandOk(remote, 'ps') || obs.resp?.ok === true) return undefined;
    const found = holders(obs, remote).find((h) => STALLED[h.proc.state!] !== undefined);
    if (!found) return undefined;
    const { proc, listener } = found;
    const state = proc.state!;
    const host = hostName(remote);
    const evidence = [`ps on ${host}: ${proc.line ?? `${proc.pid} ${proc.user} ${proc.stat ?? ''} ${proc.args}`}`];
    if (listener) evidence.push(ssEvidence(remote, listener));
    const network = networkEvidence(obs);
    if (network) evidence.push(network);
    const unit = remote.systemd?.units.find((u) => u.mainPid === proc.pid)?.id;
    const t = fixTarget(obs);
    const remediations = [REMEDIATIONS['resume-stopped-redis'](t, { pid: proc.pid, state, ...(unit ? { unit } : {}) }), REMEDIATIONS['check-server-responsiveness'](t)];
    if (state === 'zombie') remediations.push(REMEDIATIONS['start-redis'](t));
    return {
      severity: 'critical',
      // ps names the process state; ss names the process that holds the port.
      confidence: 'confirmed',
      title: `redis-server (pid ${proc.pid}) on ${host} is ${STALLED[state]} (STAT ${proc.stat}): port ${obs.target.port} accepts connections but nothing answers`,
      evidence,
      remediations,
      details: { pid: proc.pid, state, ...(proc.stat ? { stat: proc.stat } : {}) },
    };
  },
});
