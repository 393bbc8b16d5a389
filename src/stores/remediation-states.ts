/**
 * The life of one approval request, as a state machine (pure: the Lua
 * scripts of approval-store.ts enforce it, with the allowed source states
 * computed from this table, so the table is the one place it is written).
 *
 *   pending ──approve──► approved ──worker claims──► running ──reply──► applied | failed
 *      │                    │                           │
 *      ├─deny──► denied     ├─nothing sent──► failed    └─no reply (worker killed, timeout) ──► unknown
 *      ├─late click─► expired   (connect/AUTH failed)        │
 *      └─never shown─► withdrawn                             └─the attempt that sent it learns the reply late ──► applied | failed
 *                       └─config no longer allows it──► refused
 *
 * An approved *guided* request (plan `steps`) stays `approved`: nothing runs,
 * its steps are posted. `running` is written atomically before the command
 * is sent, so a job that finds `running` knows an earlier attempt may have
 * sent it and must not send it again: it ends in `unknown`.
 */

export const REQUEST_STATES = ['pending', 'approved', 'denied', 'expired', 'withdrawn', 'running', 'applied', 'failed', 'unknown', 'refused'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export const TRANSITIONS: Readonly<Record<RequestState, readonly RequestState[]>> = {
  pending: ['approved', 'denied', 'expired', 'withdrawn'],
  approved: ['running', 'failed', 'refused'],
  // refused from running: a location's worker judged the claimed fix with its own config and sent nothing (jobs/location-remediate.ts).
  running: ['applied', 'failed', 'unknown', 'refused'],
  unknown: ['applied', 'failed'],
  denied: [],
  expired: [],
  withdrawn: [],
  applied: [],
  failed: [],
  refused: [],
};

/** A request in one of these states no longer holds its (diagnosis, remediation) slot: the same fix may be asked for again. */
export const REOPENING: readonly RequestState[] = ['denied', 'expired', 'withdrawn'];

/** States after which nothing more happens to the request (a guided `approved` is final too, see plan). */
export const FINAL: readonly RequestState[] = REQUEST_STATES.filter((s) => TRANSITIONS[s].length === 0 || s === 'unknown');

export function isRequestState(value: unknown): value is RequestState {
  return typeof value === 'string' && (REQUEST_STATES as readonly string[]).includes(value);
}

export function canTransition(from: RequestState, to: RequestState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Every state `to` may be reached from: what a transition script checks the current state against. */
export function sourcesOf(to: RequestState): RequestState[] {
  return REQUEST_STATES.filter((s) => canTransition(s, to));
}

/** What happened to the command, in words for people (the approval message, the audit answer). */
export const STATE_WORDS: Readonly<Record<RequestState, string>> = {
  pending: 'waiting for an approver',
  approved: 'approved',
  denied: 'denied',
  expired: 'expired',
  withdrawn: 'withdrawn (never shown)',
  running: 'running',
  applied: 'applied',
  failed: 'failed',
  unknown: 'outcome unknown',
  refused: 'refused by the bot',
};
