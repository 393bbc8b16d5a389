import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { configError, rule } from '../../../src/engine/rules/container-not-running.js';
import { healthy, refused } from '../fixtures.js';
import { engineContainer, withEngine } from './docker-fixtures.js';

const bind = (hostPort: number) => ({ containerPort: 6379, protocol: 'tcp', hostIp: '', hostPort });
const FATAL_LOG = ['', '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***', "Reading the configuration file, at line 2", ">>> 'maxmemory lots'", 'argument must be a memory value'];

describe('container-not-running', () => {
  it('an exited container that still holds the binding: confirmed, exit code and log as evidence', () => {
    const obs = withEngine(refused(), [engineContainer({ running: false, state: 'exited', exitCode: 1, status: 'Exited (1) 2 minutes ago', bindings: [bind(6379)], logTail: FATAL_LOG })]);
    const f = rule.evaluate(obs)!;
    expect(f.confidence).toBe('confirmed');
    expect(f.details).toMatchObject({ state: 'exited', exitCode: 1, configError: "Reading the configuration file, at line 2 >>> 'maxmemory lots' argument must be a memory value" });
    expect(f.title).toBe('Container cache, which publishes port 6379, is exited (exit code 1)');
    expect(f.remediations[0]!.id).toBe('start-container');
    expect(f.remediations[0]!.steps.join('\n')).toContain('docker start cache');
    expect(f.remediations[0]!.steps.join('\n')).toContain('maxmemory lots');
    expect(evaluate(obs).primaryCause).toBe('container-not-running');
  });

  it('restarting in a loop: RestartCount and the restart policy', () => {
    const f = rule.evaluate(withEngine(refused(), [engineContainer({ running: false, state: 'restarting', restartCount: 7, restartPolicy: 'always', bindings: [bind(6379)] })]))!;
    expect(f.details).toMatchObject({ state: 'restarting', restartCount: 7 });
    expect(f.title).toContain('keeps restarting (RestartCount 7)');
    // Caught running between two restarts, Redis not answering yet.
    const between = rule.evaluate(withEngine(refused(), [engineContainer({ restartCount: 5, ports: [bind(6379)] })]))!;
    expect(between.details).toMatchObject({ state: 'restarting' });
  });

  it('does not fire when Redis answers, when the container runs, or for a stopped Redis container while another runs', () => {
    expect(rule.evaluate(withEngine(healthy(), [engineContainer({ running: false, state: 'exited', bindings: [bind(6379)] })]))).toBeUndefined();
    expect(rule.evaluate(withEngine(refused(), [engineContainer({ ports: [bind(6379)] })]))).toBeUndefined();
    expect(rule.evaluate(withEngine(refused(), [engineContainer({ running: false, state: 'exited' }), engineContainer({ id: 'b'.repeat(64), name: 'other' })]))).toBeUndefined();
  });

  it('quotes only what follows the FATAL line', () => {
    expect(configError(['nothing'])).toBeUndefined();
    expect(configError(FATAL_LOG)).toContain('maxmemory lots');
  });

  it('an OOM-killed container: oom-killed tied to it, with the --memory / mem_limit fix', () => {
    const obs = withEngine(refused(), [engineContainer({ running: false, state: 'exited', exitCode: 137, oomKilled: true, memoryBytes: 64 << 20, bindings: [bind(6379)] })]);
    const e = evaluate(obs);
    expect(e.primaryCause).toBe('oom-killed');
    const oom = e.findings.find((f) => f.cause === 'oom-killed')!;
    expect(oom.confidence).toBe('confirmed');
    expect(oom.remediations[0]!.id).toBe('raise-container-memory');
    expect(oom.remediations[0]!.steps.join('\n')).toMatch(/mem_limit/);
    // Another container's OOM kill is not this target's.
    const other = withEngine(refused(), [engineContainer({ ports: [bind(6379)] }), engineContainer({ id: 'c'.repeat(64), name: 'batch', oomKilled: true, running: false, state: 'exited', bindings: [bind(7000)] })]);
    expect(evaluate(other).findings.map((f) => f.cause)).not.toContain('oom-killed');
  });
});
