/**
 * Literal host observations for the SSH-evidence rules: what runRemoteChecks
 * returns for a host "cache-1" (10.0.0.5). Listener and config lines are the
 * ones real ss/redis.conf print (see test/remote/fixtures/captured).
 */
import type { RemoteObservation, TcpListener } from '../../../src/engine/remote/types.js';
import type { Observations } from '../../../src/engine/model/types.js';
import { refused } from '../fixtures.js';

export function remote(extra: Partial<RemoteObservation> = {}): RemoteObservation {
  const ids = ['ps', 'ss', 'systemd', 'free', 'kernel-oom', 'iptables', 'redis-conf', 'proc-limits', 'df'] as const;
  return {
    session: { ok: true, host: 'cache-1', port: 22, user: 'doctor', durationMs: 40, hostKey: { status: 'match', type: 'ssh-ed25519', fingerprint: 'SHA256:abc', line: 1 }, authAttempted: true },
    commands: ids.map((id) => ({ id, status: 'ok' as const, durationMs: 5, detail: '' })),
    processes: [],
    listeners: [listener('0.0.0.0', 22, 'sshd', 640)],
    ...extra,
  };
}

export function listener(address: string, port: number, process?: string, pid?: number): TcpListener {
  const a = address.includes(':') ? `[${address}]` : address;
  const users = process ? ` users:(("${process}",pid=${pid},fd=6))` : '';
  return { address, port, ...(process ? { process } : {}), ...(pid !== undefined ? { pid } : {}), line: `LISTEN 0 511 ${a}:${port} 0.0.0.0:*${users}` };
}

/** 10.0.0.5:6379 refused, with the given host evidence. */
export function refusedWith(r: RemoteObservation): Observations {
  const obs = refused();
  obs.remote = r;
  return obs;
}

export function timedOutWith(r: RemoteObservation): Observations {
  const obs = refused();
  obs.tcp = { ok: false, address: '10.0.0.5', port: 6379, code: 'ETIMEDOUT', durationMs: 2000 };
  obs.remote = r;
  return obs;
}
