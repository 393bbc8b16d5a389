/**
 * What an approved remediation may do, decided the same way by the web
 * process at click time and by the worker at run time, from each one's own
 * config: run its one Redis command (plan `run`), or post its steps (plan
 * `steps`).
 *
 * A command runs only when all hold:
 *  - the target is a config target (ad-hoc addresses have no `fixes` setting)
 *    with `fixes: automatic`, and not a Sentinel entry (its url names the
 *    Sentinel, not the server that was diagnosed);
 *  - the remediation is `automatic` and its `redisCommand` has one of the
 *    shapes below: the engine's catalogue builds these argv from what the
 *    server reported, never from text a user typed, and the shapes are checked
 *    again here, so a stored diagnosis that was tampered with cannot widen
 *    what is sent;
 *  - the action hash (target + argv) the approver approved is the one the
 *    worker computes from its own resolution of the target.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Remediation, TargetInfo } from '../engine/index.js';

const INT = /^(0|[1-9][0-9]{0,9})$/;
const POLICIES = new Set(['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'noeviction']);

type Shape = (argv: readonly string[]) => boolean;

const configSet = (parameter: string, value: (v: string) => boolean): Shape =>
  (argv) => argv.length === 4 && argv[0] === 'CONFIG' && argv[1] === 'SET' && argv[2] === parameter && value(argv[3]!);

/** Remediation id → the argv it may send (the automatic entries of src/engine/remediations/). */
export const COMMAND_SHAPES: Readonly<Record<string, Shape>> = {
  'raise-maxclients': configSet('maxclients', (v) => INT.test(v) && Number(v) >= 1 && Number(v) <= 1_000_000),
  'set-idle-timeout': configSet('timeout', (v) => INT.test(v) && Number(v) <= 31_536_000),
  'disable-idle-timeout': configSet('timeout', (v) => v === '0'),
  'raise-maxmemory': configSet('maxmemory', (v) => /^[1-9][0-9]{0,7}mb$/.test(v)),
  'set-eviction-policy': configSet('maxmemory-policy', (v) => POLICIES.has(v)),
  'allow-writes-on-save-error': configSet('stop-writes-on-bgsave-error', (v) => v === 'no'),
  'kill-busy-script': (argv) => argv.length === 2 && (argv[0] === 'SCRIPT' || argv[0] === 'FUNCTION') && argv[1] === 'KILL',
  'retry-bgsave': (argv) => argv.length === 1 && argv[0] === 'BGSAVE',
  // Lowers the bar, never raises it: 0 (off) up to a small count of replicas.
  'lower-min-replicas': configSet('min-replicas-to-write', (v) => INT.test(v) && Number(v) <= 16),
};

export function allowedCommand(remediation: Pick<Remediation, 'id' | 'redisCommand'>): string[] | undefined {
  const argv = remediation.redisCommand;
  const shape = Object.prototype.hasOwnProperty.call(COMMAND_SHAPES, remediation.id) ? COMMAND_SHAPES[remediation.id] : undefined;
  return argv && shape?.(argv) ? [...argv] : undefined;
}

/** The exact action: where (config name, address, TLS) and what (argv). */
export function actionHash(target: Pick<TargetInfo, 'name' | 'host' | 'port' | 'tls'>, argv: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify([target.name ?? '', target.host, target.port, target.tls, argv])).digest('hex').slice(0, 32);
}

export type ActionPlan =
  | { plan: 'run'; argv: string[]; hash: string }
  | { plan: 'steps'; why: string };

export function planFor(target: TargetInfo, remediation: Remediation, config: Config): ActionPlan {
  if (remediation.mode !== 'automatic') return { plan: 'steps', why: 'this remediation is guided: a person applies it' };
  const entry = target.name ? config.targets.find((t) => t.name === target.name) : undefined;
  if (!entry) return { plan: 'steps', why: 'ad-hoc targets never run fixes (only config targets with `fixes: automatic` do)' };
  if (entry.fixes !== 'automatic') return { plan: 'steps', why: `target ${entry.name} has \`fixes: guided\`` };
  if (entry.sentinelMaster) return { plan: 'steps', why: 'Sentinel targets are not changed automatically: apply it on the primary' };
  const argv = allowedCommand(remediation);
  if (!argv) return { plan: 'steps', why: 'its command is not one redis-doctor sends' };
  return { plan: 'run', argv, hash: actionHash(target, argv) };
}
