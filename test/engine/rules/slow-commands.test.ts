import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/slow-commands.js';
import { rule as restricted } from '../../../src/engine/rules/commands-restricted.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { Observations, SlowlogEntry } from '../../../src/engine/model/types.js';
import { healthy } from '../fixtures.js';

const NOW = 1_765_000_000;

function withSlowlog(entries: SlowlogEntry[], extra: Partial<NonNullable<Observations['slowlog']>> = {}): Observations {
  const obs = healthy();
  obs.slowlog = { entries, nowSec: NOW, clock: 'server', ...extra };
  obs.latency = { samplesMs: [0.2, 0.3], p50Ms: 0.2, p99Ms: 0.3, maxMs: 0.3, slowest: 1 };
  return obs;
}

const keys: SlowlogEntry = { id: 7, at: NOW - 120, durationUs: 152_000, command: 'KEYS', shape: 'KEYS * (every key)', client: '10.0.0.9:53412', clientName: 'billing-worker' };
const sleep: SlowlogEntry = { id: 8, at: NOW - 30, durationUs: 1_200_345, command: 'DEBUG SLEEP', client: '10.0.0.7:40000' };

describe('slow-commands', () => {
  it('fires on recent entries above the stall threshold: commands, durations, clients; slowest first; remediations', () => {
    const keysAgain = { ...keys, id: 6, at: NOW - 600, durationUs: 148_000 };
    const obs = withSlowlog([keys, sleep, keysAgain]);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'slow-commands', severity: 'warning', confidence: 'likely', details: { commands: 'DEBUG SLEEP,KEYS', maxMs: 1200, entries: 3, clock: 'server' } });
    expect(f?.title).toContain('DEBUG SLEEP (1×, up to 1200 ms), KEYS (2×, up to 152 ms)');
    expect(f?.evidence[0]).toBe('SLOWLOG #8: DEBUG SLEEP took 1200 ms, 30 s ago, from 10.0.0.7:40000');
    expect(f?.evidence[1]).toBe('SLOWLOG #7: KEYS * (every key) took 152 ms, 2 min ago, from 10.0.0.9:53412 (client name "billing-worker")');
    expect(f?.remediations.map((r) => r.id)).toEqual(['replace-blocking-commands', 'watch-slow-commands']);
    const steps = f!.remediations.flatMap((r) => r.steps).join('\n');
    for (const s of ['SCAN', 'UNLINK', 'HSCAN', 'SSCAN', 'ZSCAN', 'SLOWLOG RESET', 'latency-monitor-threshold', '10.0.0.9:53412 (client name "billing-worker")', 'CLIENT LIST']) expect(steps).toContain(s);
    expect(evaluate(obs)).toMatchObject({ verdict: 'degraded', primaryCause: 'slow-commands' });
  });

  it('a 152 ms KEYS alone: possible (whether clients timed out depends on their timeouts)', () => {
    expect(rule.evaluate(withSlowlog([keys]))?.confidence).toBe('possible');
  });

  it('one or two entries with a small latency sample now are a past stall: an info note, the verdict stays healthy', () => {
    // As after a verified SCRIPT KILL: the killed script's run is in the slow log.
    const past = withSlowlog([keys, sleep]);
    expect(rule.evaluate(past)).toMatchObject({ severity: 'info' });
    expect(rule.evaluate(past)?.evidence.join('\n')).toContain('a past stall, noted');
    expect(evaluate(past).verdict).toBe('healthy');
    // The same entries while the sample sees a stall now: a warning.
    const now = withSlowlog([keys]);
    now.latency = { samplesMs: [0.2, 180], p50Ms: 0.2, p99Ms: 180, maxMs: 180, slowest: 2 };
    expect(rule.evaluate(now)).toMatchObject({ severity: 'warning' });
    expect(evaluate(now).verdict).toBe('degraded');
  });

  it('does not fire on old entries, short ones, future ones, an empty log, an error or no SLOWLOG read', () => {
    expect(rule.evaluate(withSlowlog([{ ...keys, at: NOW - 3601 }]))).toBeUndefined();
    expect(rule.evaluate(withSlowlog([{ ...keys, durationUs: 99_999 }]))).toBeUndefined();
    expect(rule.evaluate(withSlowlog([{ ...keys, at: NOW + 3600 }]))).toBeUndefined();
    expect(rule.evaluate(withSlowlog([]))).toBeUndefined();
    expect(rule.evaluate(withSlowlog([keys], { error: "-ERR unknown command 'SLOWLOG'" }))).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
    expect(evaluate(withSlowlog([{ ...keys, durationUs: 20_000 }])).verdict).toBe('healthy');
  });

  it('says which clock it used when INFO had no server time', () => {
    const f = rule.evaluate(withSlowlog([keys], { clock: 'local' }));
    expect(f?.evidence.join('\n')).toContain("this machine's clock");
  });
});

describe('commands-restricted: SLOWLOG', () => {
  it('names SLOWLOG renamed away or denied, and what it would have shown', () => {
    const renamed = restricted.evaluate(withSlowlog([], { error: "-ERR unknown command 'SLOWLOG', with args beginning with: 'GET' '32' " }));
    expect(renamed).toMatchObject({ cause: 'commands-restricted', details: { commands: 'SLOWLOG' } });
    expect(renamed?.title).toContain('the slow log');
    const denied = restricted.evaluate(withSlowlog([], { error: "-NOPERM this user has no permissions to run the 'slowlog|get' command" }));
    expect(denied?.details).toMatchObject({ commands: 'SLOWLOG GET' });
    expect(restricted.evaluate(withSlowlog([]))).toBeUndefined();
  });
});
