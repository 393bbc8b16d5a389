import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/restart-loop.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { Observations } from '../../../src/engine/model/types.js';
import { healthy, refused, withInfo } from '../fixtures.js';

const T0 = 1_765_000_000_000;
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

function withRuns(obs: Observations, changes: { at: number; runId: string }[]): Observations {
  obs.history = { ...obs.history, runIdChanges: changes, runIdsSince: T0 };
  return obs;
}

describe('restart-loop', () => {
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
    expect(f).toMatchObject({ severity: 'warning', details: { restarts: 2, uptimeSeconds: 3 } });
    expect(f?.evidence.join('\n')).toContain('uptime_in_seconds 3: one more start');
    expect(evaluate(obs)).toMatchObject({ verdict: 'degraded', primaryCause: 'restart-loop' });
  });

  it('does not fire: no history, one restart (a deploy), or the one change being the run INFO shows', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
    expect(rule.evaluate(withRuns(refused(), [{ at: T0, runId: A }]))).toBeUndefined();
    expect(rule.evaluate(withRuns(withInfo(healthy(), { server: { run_id: A, uptime_in_seconds: '40' } }), [{ at: T0, runId: A }]))).toBeUndefined();
    // A run_id that is not 40 hex characters (hostile INFO text) is not counted as another start.
    expect(rule.evaluate(withRuns(withInfo(healthy(), { server: { run_id: '<@U123> evil', uptime_in_seconds: '1' } }), [{ at: T0, runId: A }]))).toBeUndefined();
  });
});
