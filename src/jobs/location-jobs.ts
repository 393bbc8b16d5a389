/**
 * What travels through a location's queues (issue #20): references only, and
 * the document back. A job names a config target; the location's worker
 * resolves it with its own config and environment, so its credentials never
 * leave the location. The answer is the job's return value, read by the
 * front end, which posts it (a location has no Slack token).
 */
import type { Diagnosis, UpResult } from '../engine/index.js';

/** One diagnosis at a location. */
export interface LocationDiagnoseJob {
  /** A config target name (never an address with a password). */
  input: string;
  /** The location the front end meant: a worker serving another refuses it. */
  location: string;
  requestedAt: number;
}

/** A diagnosis, or why there is none (a worker whose config lacks the target or its password). */
export type LocationAnswer =
  | { ok: true; diagnosis: Diagnosis }
  | { ok: false; location: string; reason: string };

/** One monitor probe at a location (its schedulers make them). */
export interface LocationProbeJob {
  target: string;
}

/** A probe's outcome at a location: the monitor's state machine runs where alerts are posted. */
export interface LocationProbeAnswer {
  location: string;
  target: string;
  at: number;
  up: boolean;
  code?: string;
  detail?: string;
  /** A timeout while the location's own event loop was blocked: the location is alive, its probe says nothing of the target. */
  inconclusive?: true;
}

export function probeAnswer(location: string, target: string, at: number, r: UpResult | { up: false; code: string; detail: string }): LocationProbeAnswer {
  return { location, target, at, up: r.up, ...(r.code ? { code: r.code } : {}), ...(r.detail ? { detail: r.detail } : {}) };
}
