import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/restart-loop.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { Observations } from '../../../src/engine/model/types.js';
import type { SystemdUnit } from '../../../src/engine/remote/types.js';
import { healthy, withInfo } from '../fixtures.js';
import { listener, remote } from './remote-fixtures.js';

const RUN = (c: string) => c.repeat(40);

function up(seconds: number): Observations {
  return withInfo(healthy(), { server: { uptime_in_seconds: String(seconds), run_id: RUN('a') } });
}

const unit = (nRestarts: number, mainPid = 812): SystemdUnit => ({ id: 'redis-server.service', activeState: 'active', subState: 'running', result: 'success', execMainStatus: 0, mainPid, nRestarts, summary: 'redis-server.service: active' });

describe('restart-loop', () => {
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

  it('the monitor saw three run_ids: likely loop', () => {
    const obs = up(30);
    obs.history = { previousRunIds: [RUN('b'), RUN('c')] };
    expect(rule.evaluate(obs)).toMatchObject({ severity: 'warning', confidence: 'likely', details: { runIds: 3 } });
  });

  it('a container publishing the port restarted by Docker', () => {
    const obs = up(5);
    obs.remote = remote({ docker: { containers: [{ id: 'abc', name: 'cache', image: 'redis:7', command: 'redis-server', status: 'Up 5 seconds', running: true, redis: true, ports: [{ containerPort: 6379, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 6379 }], portsText: '', restartCount: 4 }] } });
    expect(rule.evaluate(obs)).toMatchObject({ confidence: 'confirmed', details: { restarts: 4 } });
    expect(rule.evaluate(obs)!.remediations[0]!.steps[0]).toContain('docker logs --tail 100 cache');
  });

  it('honesty: one restart is not a loop; a fresh server on a first diagnosis says nothing', () => {
    const once = up(40);
    once.history = { previousRunIds: [RUN('b')] };
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
