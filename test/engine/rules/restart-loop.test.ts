import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/restart-loop.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { Observations } from '../../../src/engine/model/types.js';
import type { SystemdUnit } from '../../../src/engine/remote/types.js';
import { healthy, refused, withInfo } from '../fixtures.js';
import { listener, remote } from './remote-fixtures.js';

const T0 = 1_765_000_000_000;
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const RUN = (c: string) => c.repeat(40);

function withRuns(obs: Observations, changes: { at: number; runId: string }[]): Observations {
  obs.history = { ...obs.history, runIdChanges: changes, runIdsSince: T0 };
  return obs;
}

function up(seconds: number): Observations {
  return withInfo(healthy(), { server: { uptime_in_seconds: String(seconds), run_id: RUN('a') } });
}

const unit = (nRestarts: number, mainPid = 812): SystemdUnit => ({ id: 'redis-server.service', activeState: 'active', subState: 'running', result: 'success', execMainStatus: 0, mainPid, nRestarts, summary: 'redis-server.service: active' });

describe('restart-loop: the monitor\'s run_id history', () => {
  it('two run_id changes seen by the monitor while the target refuses: critical, confirmed, primary over connection-refused; steps name logs, supervisors, liveness probes', () => {
    const obs = withRuns(refused(), [{ at: T0 + 60_000, runId: A }, { at: T0 + 120_000, runId: B }]);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'restart-loop', severity: 'critical', confidence: 'confirmed', details: { restarts: 2 } });
    expect(f?.title).toContain('restarted 2 times within 2 min');
    expect(f?.evidence.join('\n')).toContain(`new run_id ${A.slice(0, 12)}`);
    expect(f?.evidence.join('\n')).toContain('does not answer now');
    const steps = f!.remediations.flatMap((r) => r.steps).join('\n');
    for (const s of ['journalctl', 'NRestarts', 'RestartCount', 'CrashLoopBackOff', '--previous', 'startupProbe', 'dmesg', 'uptime_in_seconds']) expect(steps).toContain(s);
    const result = evaluate(obs);
    expect(result.primaryCause).toBe('restart-loop');
    expect(result.findings.map((x) => x.cause)).toContain('connection-refused');
  });

  it('answering between restarts: a warning (degraded); the INFO of the diagnosis adds a restart the monitor did not see, with its uptime', () => {
    const obs = withRuns(withInfo(healthy(), { server: { run_id: C, uptime_in_seconds: '3' } }), [{ at: T0 + 60_000, runId: A }]);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'warning', details: { restarts: 2, uptime: 3 } });
    expect(f?.evidence.join('\n')).toContain('uptime_in_seconds 3: one more start');
    expect(evaluate(obs)).toMatchObject({ verdict: 'degraded', primaryCause: 'restart-loop' });
  });

  it('not a loop: no history, one restart (a deploy), or the one change being the run INFO shows (a note while its uptime is small)', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
    expect(rule.evaluate(withRuns(refused(), [{ at: T0, runId: A }]))).toBeUndefined();
    expect(rule.evaluate(withRuns(withInfo(healthy(), { server: { run_id: A, uptime_in_seconds: '4000' } }), [{ at: T0, runId: A }]))).toBeUndefined();
    expect(rule.evaluate(withRuns(withInfo(healthy(), { server: { run_id: A, uptime_in_seconds: '40' } }), [{ at: T0, runId: A }]))).toMatchObject({ severity: 'info', confidence: 'possible', details: { loop: false, runIds: 1 } });
    // A run_id that is not 40 hex characters (hostile INFO text) is not counted as another start.
    const hostile = rule.evaluate(withRuns(withInfo(healthy(), { server: { run_id: '<@U123> evil', uptime_in_seconds: '1' } }), [{ at: T0, runId: A }]));
    expect(hostile).toMatchObject({ severity: 'info', details: { loop: false, runIds: 1 } });
    expect(JSON.stringify(hostile)).not.toContain('<@U123>');
  });
});

describe('restart-loop: uptime and the supervisor\'s count', () => {
  it('systemd counts restarts of the unit serving the port and uptime is small: a confirmed loop', () => {
    const obs = up(12);
    obs.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)], systemd: { units: [unit(7)] } });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'restart-loop', severity: 'warning', confidence: 'confirmed', details: { uptime: 12, restarts: 7, loop: true } });
    expect(f!.evidence.join('\n')).toContain('systemctl show redis-server.service on cache-1: NRestarts=7 Result=success ExecMainStatus=0 (MainPID 812 listens on port 6379)');
    expect(f!.remediations[0]!.steps.join('\n')).toContain('journalctl -u redis-server.service');
    expect(evaluate(obs).verdict).toBe('degraded');
  });

  it('a unit whose MainPID does not serve the port is another instance', () => {
    const obs = up(12);
    obs.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)], systemd: { units: [unit(7, 999)] } });
    expect(rule.evaluate(obs)).toBeUndefined();
  });

  it('the monitor saw two run_id changes and this diagnosis a third process: a confirmed loop', () => {
    const obs = withRuns(up(30), [{ at: T0, runId: RUN('b') }, { at: T0 + 30_000, runId: RUN('c') }]);
    expect(rule.evaluate(obs)).toMatchObject({ severity: 'warning', confidence: 'confirmed', details: { runIds: 3, loop: true } });
  });

  it('a container publishing the port restarted by Docker', () => {
    const obs = up(5);
    obs.remote = remote({ docker: { containers: [{ id: 'abc', name: 'cache', image: 'redis:7', command: 'redis-server', status: 'Up 5 seconds', running: true, redis: true, ports: [{ containerPort: 6379, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 6379 }], portsText: '', restartCount: 4 }] } });
    expect(rule.evaluate(obs)).toMatchObject({ confidence: 'confirmed', details: { restarts: 4 } });
    expect(rule.evaluate(obs)!.remediations[0]!.steps.join('\n')).toContain('docker logs --tail 100 cache');
  });

  it('honesty: one restart is not a loop; a fresh server on a first diagnosis says nothing', () => {
    const once = withRuns(up(40), [{ at: T0, runId: RUN('a') }]);
    expect(rule.evaluate(once)).toMatchObject({ severity: 'info', confidence: 'possible', details: { loop: false } });
    expect(rule.evaluate(once)!.evidence.join('\n')).toContain('one restart is not a loop');
    expect(evaluate(once).verdict).toBe('healthy');
    expect(rule.evaluate(up(40))).toBeUndefined();
    // The monitor saw it answer before this process started: restarted since, a note.
    const NOW = 1_765_000_000;
    const seenBefore = up(40);
    seenBefore.slowlog = { entries: [], nowSec: NOW, clock: 'server' };
    seenBefore.history = { lastAnsweredAt: new Date((NOW - 300) * 1000).toISOString() };
    expect(rule.evaluate(seenBefore)).toMatchObject({ severity: 'info', confidence: 'possible' });
    seenBefore.history = { lastAnsweredAt: new Date((NOW - 10) * 1000).toISOString() };
    expect(rule.evaluate(seenBefore)).toBeUndefined();
    expect(rule.evaluate(up(86_400))).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });

  it('a past loop (many restarts, up for a day): an info note', () => {
    const obs = up(86_400);
    obs.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)], systemd: { units: [unit(9)] } });
    expect(rule.evaluate(obs)).toMatchObject({ severity: 'info', details: { loop: false } });
  });
});
