import { describe, expect, it } from 'vitest';
import { hostTimeoutSec, sshPhaseBoundMs } from '../../src/engine/remote/bound.js';

describe('SSH phase bound', () => {
  it('defaults to the larger of 10000 ms and 5 × the step timeout; ssh.timeoutMs wins', () => {
    expect(sshPhaseBoundMs({}, 2000)).toBe(10_000);
    expect(sshPhaseBoundMs({}, 500)).toBe(10_000);
    expect(sshPhaseBoundMs({}, 3000)).toBe(15_000);
    expect(sshPhaseBoundMs({ timeoutMs: 4000 }, 3000)).toBe(4000);
  });

  it('each command on the host: the step timeout in whole seconds, rounded up, at least 3', () => {
    expect(hostTimeoutSec(2000)).toBe(3);
    expect(hostTimeoutSec(3500)).toBe(4);
    expect(hostTimeoutSec(50)).toBe(3);
    expect(hostTimeoutSec(6000)).toBe(6);
  });
});
