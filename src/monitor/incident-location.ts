/**
 * Where an incident's diagnosis runs (issue #20): at a location that sees
 * the target down. A target probed from several locations has one incident;
 * when it is down from dc-west and up from `local`, a diagnosis at `local`
 * would say "healthy" — so it runs at dc-west, through that location's
 * diagnose queue, and the alert says from where it was diagnosed.
 *
 * The rule: the first location of the target's probeFrom, other than
 * `local`, whose latest fresh probe outcome (no older than 2.5 intervals, as
 * the monitor counts them) saw it down; when none did, `local` if it is in
 * probeFrom (it is `local` that sees it down), else the first location of
 * probeFrom. A chosen location with no live worker, or one that gives no
 * document in bounded time (no worker, refused, too slow), is replaced by
 * `local`, and the alert says so and why — never a silent wait.
 *
 * A target probed from `local` only is diagnosed at `local` as before and its
 * alert does not name a location.
 */
import type { Config } from '../config/schema.js';
import type { Diagnosis } from '../engine/index.js';
import type { LocationProbeAnswer } from '../jobs/location-jobs.js';
import { LOCAL_LOCATION, probeLocations } from '../jobs/locations.js';
import { LocationUnavailableError } from '../jobs/run-diagnosis.js';

/** Fresh outcomes, as the monitor's combined probe counts them (location-probes.ts). */
const FRESH_INTERVALS = 2.5;
const MAX_NOTE = 300;

export interface IncidentLocationDeps {
  config: Config;
  /** Workers serving a location's diagnose queue now (undefined: cannot tell). */
  liveWorkers: (location: string) => Promise<number | undefined>;
  /** "no worker is serving eu-vpc (last seen …)". */
  noWorker: (location: string) => Promise<string>;
  /** The latest probe outcome of each location other than `local` for a target. */
  outcomes: (target: string) => Promise<LocationProbeAnswer[]>;
  intervalMs: () => number;
  now?: () => number;
}

/** Pure: the location whose diagnosis explains the outage (the rule above). */
export function chooseLocation(where: readonly string[], outcomes: readonly LocationProbeAnswer[], now: number, maxAgeMs: number): string {
  for (const l of where) {
    if (l === LOCAL_LOCATION) continue;
    const a = outcomes.find((o) => o.location === l);
    if (a && !a.up && now - a.at <= maxAgeMs) return l;
  }
  return where.includes(LOCAL_LOCATION) ? LOCAL_LOCATION : where[0] ?? LOCAL_LOCATION;
}

/** A diagnosis and, for a target probed from other locations, from where it was made (shown in the alert). */
export type LocatedDiagnosis = Diagnosis & { diagnosedFrom?: string };

/**
 * Runs `run` at the location the rule picks, falling back to `local` (with
 * the reason in `diagnosedFrom`) when that location gives no document.
 * `run(location)` diagnoses and stores the document; for a location it
 * throws LocationUnavailableError when that location gives none.
 */
export async function diagnoseWhereDown(deps: IncidentLocationDeps, target: string, run: (location: string) => Promise<Diagnosis>): Promise<LocatedDiagnosis> {
  const entry = deps.config.targets.find((t) => t.name === target);
  const where = probeLocations(entry);
  if (where.length === 1 && where[0] === LOCAL_LOCATION) return run(LOCAL_LOCATION);
  const now = deps.now ?? Date.now;
  const outcomes = await deps.outcomes(target).catch(() => []);
  const at = chooseLocation(where, outcomes, now(), FRESH_INTERVALS * deps.intervalMs());
  const fallback = async (why: string): Promise<LocatedDiagnosis> => {
    const d = await run(LOCAL_LOCATION);
    return { ...d, diagnosedFrom: `${LOCAL_LOCATION}, not ${at}: ${why}`.slice(0, MAX_NOTE) };
  };
  if (at === LOCAL_LOCATION) return { ...(await run(LOCAL_LOCATION)), diagnosedFrom: LOCAL_LOCATION };
  if ((await deps.liveWorkers(at)) === 0) return fallback(await deps.noWorker(at));
  try {
    return { ...(await run(at)), diagnosedFrom: at };
  } catch (err) {
    if (err instanceof LocationUnavailableError) return fallback(err.message);
    throw err;
  }
}
