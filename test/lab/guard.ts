/**
 * Lab prerequisites: skip locally, fail in CI.
 *
 *   import { describeLab, need } from '../lab/guard.js';
 *   describeLab('protected mode', [need.root(), need.binary('redis-server'), need.netns()], () => { … });
 *
 * When a prerequisite is missing the block is `describe.skip`ped with the
 * reason in its name, unless `CI=true` or `REQUIRE_LAB=1`: then
 * labRequirement() throws and the test file fails, so CI never passes by
 * skipping. labRequirement() can also be used directly with `it.skipIf`.
 */
import { execFileSync } from 'node:child_process';
import { describe } from 'vitest';
import { which } from './exec.js';
import { memcgAvailable } from './memcg.js';

export { which };

/** A prerequisite: what is needed, and whether this machine has it. */
export type Requirement = readonly [what: string, ok: boolean];

export function strictLab(): boolean {
  return process.env.CI === 'true' || process.env.REQUIRE_LAB === '1';
}

/**
 * Returns undefined when `ok`, else the skip reason ("needs <what>").
 * Throws instead when the lab is required (CI=true or REQUIRE_LAB=1).
 */
export function labRequirement(what: string, ok: boolean): string | undefined {
  if (ok) return undefined;
  const reason = `needs ${what}`;
  if (strictLab()) throw new Error(`lab prerequisite missing: ${reason} (CI=true or REQUIRE_LAB=1 makes this a failure)`);
  return reason;
}

/** The reasons (joined) for the first unmet requirements, or undefined when all are met. */
export function labSkipReason(requirements: readonly Requirement[]): string | undefined {
  const reasons = requirements.map(([what, ok]) => labRequirement(what, ok)).filter((r): r is string => r !== undefined);
  return reasons.length ? reasons.join(', ') : undefined;
}

/** describe() when every requirement holds, describe.skip() with the reason otherwise. */
export function describeLab(name: string, requirements: readonly Requirement[], body: () => void): void {
  const reason = labSkipReason(requirements);
  if (reason) describe.skip(`${name} (skipped: ${reason})`, body);
  else describe(name, body);
}

const cache = new Map<string, boolean>();
function cached(key: string, probe: () => boolean): boolean {
  let value = cache.get(key);
  if (value === undefined) {
    value = probe();
    cache.set(key, value);
  }
  return value;
}

function succeeds(cmd: string, argv: string[]): boolean {
  try {
    execFileSync(cmd, argv, { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export const need = {
  root: (): Requirement => ['root', process.getuid?.() === 0],
  binary: (name: string): Requirement => [`the ${name} binary`, which(name) !== undefined],
  /** Can create a network namespace (root, `ip`, kernel support): tried once with unshare. */
  netns: (): Requirement => [
    'network namespaces (root, ip, unshare --net)',
    cached('netns', () => process.getuid?.() === 0 && which('ip') !== undefined && succeeds('unshare', ['--net', 'true'])),
  ],
  /** A memory cgroup of the lab's own, for real kernel OOM kills (lab/memcg.ts). */
  memcg: (): Requirement => ['a memory cgroup (root; cgroup v1 memory controller, or v2 listing memory)', memcgAvailable()],
  /** A mount namespace: what `ip netns exec` uses to give a namespace its own /etc/resolv.conf. */
  mountns: (): Requirement => ['mount namespaces (unshare --mount)', cached('mountns', () => process.getuid?.() === 0 && succeeds('unshare', ['--mount', 'true']))],
};
