/**
 * Probe locations (issue #20): a location is a queue name and a worker's
 * setting. This is the one place that says which BullMQ queue serves which
 * location: `local` keeps the bot's own queues under the bot's prefix
 * (`{redis-doctor}:diagnose:…`, unchanged), any other location has the same
 * queue names under its own key prefix, `<prefix>:at:<location>`
 * (`{redis-doctor}:at:eu-vpc:diagnose:…`). The braces stay the hash tag, so
 * every key still lands in one Cluster slot, and a location's worker can be
 * limited by a Redis ACL to `~{redis-doctor}:at:eu-vpc:*` (docs/locations.md).
 */
import { isValidLocationName, LOCAL_LOCATION, type Config, type TargetConfig } from '../config/schema.js';

export { LOCAL_LOCATION };

export type QueueKind = 'diagnose' | 'remediate' | 'monitor';

export interface LocationQueue {
  prefix: string;
  name: QueueKind;
}

/** The BullMQ prefix and queue name of `kind` at `location`. */
export function locationQueue(basePrefix: string, location: string, kind: QueueKind): LocationQueue {
  if (location === LOCAL_LOCATION) return { prefix: basePrefix, name: kind };
  if (!isValidLocationName(location)) throw new Error(`not a location name: ${JSON.stringify(location.slice(0, 40))}`);
  return { prefix: locationPrefix(basePrefix, location), name: kind };
}

/** The key prefix of a location other than `local` (what its ACL user may touch). */
export function locationPrefix(basePrefix: string, location: string): string {
  return `${basePrefix}:at:${location}`;
}

/** Every location the config knows: `local` first, then `locations:` in order. */
export function knownLocations(config: Config): string[] {
  return [LOCAL_LOCATION, ...config.locations.map((l) => l.name)];
}

/** Where a target's probes run (`probeFrom`, default [local]). */
export function probeLocations(target: Pick<TargetConfig, 'probeFrom'> | undefined): string[] {
  return target?.probeFrom && target.probeFrom.length > 0 ? [...target.probeFrom] : [LOCAL_LOCATION];
}

/** The config targets a worker at `location` probes. */
export function targetsAt(config: Config, location: string): TargetConfig[] {
  return config.targets.filter((t) => probeLocations(t).includes(location));
}

/**
 * The Redis ACL rules (after `ACL SETUSER <user> on >password`) that limit a
 * location's worker to its own queues: keys under its prefix only, no
 * pub/sub channels, the command groups BullMQ's workers and schedulers use
 * (its Lua scripts, blocking pops, streams for the queue events) and nothing
 * administrative. docs/locations.md shows them; test/locations/acl.test.ts
 * runs a worker authenticated with them against a real redis-server.
 */
export function locationAclRules(basePrefix: string, location: string): string[] {
  return [
    'resetkeys', `~${locationPrefix(basePrefix, location)}:*`,
    'resetchannels',
    '-@all',
    '+@read', '+@write', '+@scripting', '+@blocking', '+@transaction', '+@connection',
    '-@dangerous',
    // BullMQ reads the server version at connect and names its connections (getWorkers lists them by name).
    '+info', '+client|setname', '+client|getname', '+client|id',
  ];
}
