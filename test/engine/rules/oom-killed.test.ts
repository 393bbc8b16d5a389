import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { parseKernelOom } from '../../../src/engine/remote/parsers/kernel-oom.js';
import { rule } from '../../../src/engine/rules/oom-killed.js';
import { healthy } from '../fixtures.js';
import { fixture } from '../../remote/fixtures.js';
import { listener, refusedWith, remote } from './remote-fixtures.js';

const oom = parseKernelOom(fixture('samples/dmesg-oom.txt'))!;
const memory = { totalBytes: 4294967296, usedBytes: 4200000000, freeBytes: 94967296, availableBytes: 52428800, swapTotalBytes: 0, swapFreeBytes: 0, line: 'Mem: 4294967296 4200000000 94967296 0 0 52428800' };

describe('oom-killed', () => {
  it('critical when nothing serves the port: the kill explains the outage and outranks server-not-running', () => {
    const obs = refusedWith(remote({ oom, memory }));
    const f = rule.evaluate(obs);
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('The kernel OOM killer ended redis-server on cache-1 (pid 1187); nothing serves port 6379 now');
    expect(f?.evidence).toEqual([
      `dmesg on cache-1: ${oom.kills[0]!.line}`,
      `free -b on cache-1: total 4.0 GiB, available 50 MiB, swap 0 MiB (${memory.line})`,
    ]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['prevent-oom-kill', 'start-redis']);
    const e = evaluate(obs);
    expect(e.findings.map((x) => x.cause)).toEqual(['oom-killed', 'server-not-running']);
    expect(e.primaryCause).toBe('oom-killed');
  });

  it('a warning when Redis runs again', () => {
    const obs = healthy();
    obs.remote = remote({ oom, listeners: [listener('0.0.0.0', 6379, 'redis-server', 2000)] });
    const f = rule.evaluate(obs);
    expect(f?.severity).toBe('warning');
    expect(f?.details).toEqual({ kills: 1, pid: 1187, running: true });
    expect(evaluate(obs)).toMatchObject({ verdict: 'degraded', primaryCause: 'oom-killed' });
  });

  it('does not fire without a redis-server kill', () => {
    expect(rule.evaluate(refusedWith(remote({ oom: { source: 'dmesg', kills: [] } })))).toBeUndefined();
    expect(rule.evaluate(refusedWith(remote()))).toBeUndefined();
  });
});
