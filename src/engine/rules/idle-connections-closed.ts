/**
 * The server closes clients that sit idle: `CONFIG GET timeout` > 0 (seconds;
 * Redis's default is 0, never). Redis checks it in clientsCronHandleTimeout
 * against the time of the client's last command and closes the socket — a
 * pooled connection that waited longer is gone, and the next command on it
 * gets ECONNRESET / EPIPE / "Connection closed" in the application, while
 * a short probe (this diagnosis) sees a healthy server.
 *
 * That the server closes idle clients is certain (it says so); whether the
 * application is hurt depends on how long its connections sit idle, which
 * the diagnosis cannot see. Hence by value:
 *  - timeout < 300 s: warning, likely — pools routinely keep connections idle
 *    for minutes at quiet hours (go-redis ConnMaxIdleTime 30 min, ioredis and
 *    Lettuce hold one connection for the process's life, JedisPoolConfig
 *    evicts idle connections only after 60 s), so a few seconds or minutes
 *    is reached by every quiet pool;
 *  - 300 s and more: info, possible — most pools retire or ping connections
 *    within that, but a client holding one connection still meets it.
 * tcp-keepalive is quoted too: it keeps the path's NAT/LB state alive, but its
 * probes carry no data and do not reset Redis's idle clock.
 *
 * The monitor's idle watch (history.idleClosed) is direct evidence: a
 * connection it held idle was closed, reset, or went silent — by the server
 * or by something on the path (NAT, load balancer, firewall state timeout),
 * which CONFIG cannot show: then the finding stands even with timeout 0.
 * A warning, likely: a real connection was reaped, and pooled clients hold
 * connections the same way; which device did it stays open when the server's
 * own timeout does not explain it.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { FindingDraft, Observations } from '../model/types.js';
import type { TargetHistory } from '../model/options.js';
import { config, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

/** Below this many seconds a pool's ordinary quiet period is reached. */
export const LIKELY_BELOW_S = 300;

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]{1,10}$/.test(value)) return undefined;
  return Number(value);
}

export const rule = defineRule({
  cause: 'idle-connections-closed',
  impact: 'degrading',
  evaluate(obs) {
    const timeout = seconds(config(obs, 'timeout'));
    const watched = obs.history?.idleClosed;
    if (watched) return fromWatch(obs, watched, timeout);
    if (timeout === undefined || timeout === 0) return undefined;
    const keepalive = seconds(config(obs, 'tcp-keepalive'));
    const small = timeout < LIKELY_BELOW_S;
    const t = fixTarget(obs);
    return {
      severity: small ? 'warning' : 'info',
      confidence: small ? 'likely' : 'possible',
      title: `${targetLabel(obs)} closes client connections idle for more than ${timeout} s: pooled clients that wait longer get ECONNRESET on their next command`,
      evidence: [
        `CONFIG GET timeout → ${timeout} (seconds a client may stay idle; 0, the default, means never)`,
        ...(keepalive !== undefined ? [`CONFIG GET tcp-keepalive → ${keepalive}${keepalive === 0 ? ' (no TCP keepalive from the server: NAT and load balancers on the path may drop idle connections too)' : ' (keeps the path\'s state alive; does not reset the idle timeout)'}`] : []),
        small
          ? `${timeout} s is shorter than the quiet periods connection pools ordinarily keep connections through`
          : `whether this hurts depends on how long the application's connections sit idle: pools that retire or ping idle connections within ${timeout} s are not affected`,
      ],
      remediations: [REMEDIATIONS['keep-idle-connections-alive'](t, { timeout }), REMEDIATIONS['disable-idle-timeout'](t)],
      details: { timeout, ...(keepalive !== undefined ? { tcpKeepalive: keepalive } : {}), source: 'config' },
    };
  },
});

const HOW: Record<NonNullable<TargetHistory['idleClosed']>['how'], string> = {
  closed: 'was closed (FIN)',
  reset: 'was reset (RST)',
  silent: 'went silent: a PING after the idle got no reply (its state was dropped on the path)',
};

const SHORT: Record<NonNullable<TargetHistory['idleClosed']>['how'], string> = { closed: 'was closed', reset: 'was reset', silent: 'went silent' };

function fromWatch(obs: Observations, watched: NonNullable<TargetHistory['idleClosed']>, timeout: number | undefined): FindingDraft {
  const idle = Math.round(watched.idleSeconds);
  const byServer = timeout !== undefined && timeout > 0 && timeout <= idle + 1 && watched.how === 'closed';
  const t = fixTarget(obs);
  return {
    severity: 'warning',
    confidence: 'likely',
    title: byServer
      ? `${targetLabel(obs)} closes client connections idle for more than ${timeout} s: the monitor's idle connection was closed after ${idle} s`
      : `Something between this location and ${targetLabel(obs)} reaps idle connections: the monitor's connection idle ${idle} s ${SHORT[watched.how]}`,
    evidence: [
      `a connection idle ${idle} s ${byServer ? 'was closed by the server' : 'was closed by the path'}: it ${HOW[watched.how]} (monitor idle watch, ${watched.at})`,
      timeout !== undefined ? `CONFIG GET timeout → ${timeout}${timeout === 0 ? ' (the server itself never closes idle clients: a NAT, load balancer or firewall state timeout did)' : ''}` : 'CONFIG GET timeout could not be read',
    ],
    remediations: [REMEDIATIONS['keep-idle-connections-alive'](t, byServer ? { timeout: timeout! } : { timeout: idle }), ...(byServer ? [REMEDIATIONS['disable-idle-timeout'](t)] : [])],
    details: { idleSeconds: idle, how: watched.how, source: 'idle-watch', ...(timeout !== undefined ? { timeout } : {}) },
  };
}
