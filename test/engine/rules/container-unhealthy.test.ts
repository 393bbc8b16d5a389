import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { rule, testPort } from '../../../src/engine/rules/container-unhealthy.js';
import { healthText, inspectFacts } from '../../../src/engine/docker/inspect.js';
import { healthy, refused } from '../fixtures.js';
import { engineContainer, withEngine } from './docker-fixtures.js';
import { assertNoPlantedSecret, plantSecret } from '../../lab/secrets.js';

const SECRET = plantSecret('hc-unit-pw-41');
const bind = (hostPort: number) => ({ containerPort: 6379, protocol: 'tcp', hostIp: '', hostPort });
const unhealthy = {
  health: 'unhealthy',
  healthFailingStreak: 12,
  healthTest: 'redis-cli -p 1 ping',
  healthIntervalSec: 1,
  healthRetries: 1,
  healthLog: [{ exitCode: 1, output: 'Could not connect to Redis at 127.0.0.1:1: Connection refused', at: '2026-12-07T03:12:04Z' }],
  ports: [bind(6379)],
};

describe('container-unhealthy', () => {
  it('Redis answers: a note (info, possible) that says the check is the likely fault, with its port mismatch', () => {
    const obs = withEngine(healthy(), [engineContainer(unhealthy)]);
    const f = rule.evaluate(obs)!;
    expect(f).toMatchObject({ severity: 'info', confidence: 'possible' });
    expect(f.title).toContain('but Redis answers');
    const text = f.evidence.join('\n');
    expect(text).toContain('FailingStreak 12');
    expect(text).toContain('exit 1, output "Could not connect to Redis at 127.0.0.1:1: Connection refused"');
    expect(text).toContain('the test asks port 1, Redis listens on 6379');
    expect(f.details).toMatchObject({ container: 'cache', redisAnswers: true, failingStreak: 12, lastExitCode: 1, test: 'redis-cli -p 1 ping' });
    expect(f.remediations[0]!.id).toBe('fix-container-healthcheck');
    expect(f.remediations[0]!.steps.join('\n')).toContain(`docker inspect --format '{{json .State.Health}}' cache`);
    const e = evaluate(obs);
    expect(e.verdict).toBe('healthy');
    expect(e.primaryCause).toBeNull();
  });

  it('Redis does not answer: critical, likely for the container that publishes the port; below container-not-running and the port causes', () => {
    const obs = withEngine(refused(), [engineContainer(unhealthy)]);
    const f = rule.evaluate(obs)!;
    expect(f).toMatchObject({ severity: 'critical', confidence: 'likely' });
    expect(evaluate(obs).primaryCause).toBe('container-unhealthy');
    // Only the Redis container with no binding: possible.
    expect(rule.evaluate(withEngine(refused(), [engineContainer({ ...unhealthy, ports: [] })]))!.confidence).toBe('possible');
  });

  it('starting, healthy, no healthcheck, or not running: no finding', () => {
    for (const health of ['starting', 'healthy', undefined]) {
      expect(rule.evaluate(withEngine(refused(), [engineContainer({ ...unhealthy, ...(health ? { health } : { health: undefined }) })]))).toBeUndefined();
    }
    expect(rule.evaluate(withEngine(refused(), [engineContainer({ ...unhealthy, running: false, state: 'exited' })]))).toBeUndefined();
  });

  it('a password in the test or a NOAUTH output: redacted, and the REDISCLI_AUTH fix', () => {
    const facts = inspectFacts({
      Id: 'a'.repeat(64),
      State: { Status: 'running', Health: { Status: 'unhealthy', FailingStreak: 3, Log: [{ ExitCode: 1, End: '2026-12-07T03:12:04.123456789Z', Output: `NOAUTH Authentication required.\nAUTH ${SECRET} failed` }] } },
      Config: { Healthcheck: { Test: ['CMD-SHELL', `redis-cli -a ${SECRET} ping || REDISCLI_AUTH=${SECRET} redis-cli ping || redis-cli -u redis://default:${SECRET}@localhost ping`], Interval: 1_000_000_000, Retries: 1 } },
    });
    assertNoPlantedSecret('the inspect facts', JSON.stringify(facts));
    expect(facts.healthTest).toContain('-a <redacted>');
    expect(facts.healthTest).toContain('REDISCLI_AUTH=<redacted>');
    expect(facts.healthLog![0]).toMatchObject({ exitCode: 1, at: '2026-12-07T03:12:04Z' });
    const obs = withEngine(healthy(), [engineContainer({ ...facts, ports: [bind(6379)], id: 'a'.repeat(64) })]);
    const f = rule.evaluate(obs)!;
    assertNoPlantedSecret('the finding', JSON.stringify(f));
    expect(f.evidence.join('\n')).toContain('NOAUTH/WRONGPASS');
    expect(f.remediations[0]!.steps.join('\n')).toContain('REDISCLI_AUTH');
  });

  it('healthText: one line, capped, control characters gone; testPort reads -p / --port', () => {
    expect(healthText(`a\u0000b\n\u001b[31mc${'x'.repeat(2000)}`).length).toBeLessThan(450);
    expect(healthText('a\n\nb')).toBe('a b');
    expect(testPort('redis-cli -p 6380 ping')).toBe(6380);
    expect(testPort('redis-cli --port=6381 ping | grep PONG')).toBe(6381);
    expect(testPort('redis-cli ping')).toBeUndefined();
  });
});
