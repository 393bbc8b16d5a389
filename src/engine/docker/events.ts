/**
 * Docker events since the last good probe (issue #19): what happened to the target's
 * container between the monitor's last answer and this diagnosis — it died (exit code),
 * the kernel OOM-killed it, it was killed or stopped, its restart policy started it again,
 * its HEALTHCHECK turned unhealthy.
 *
 * Read-only: GET /events (the Engine API) or `docker events` over SSH, both with `since` and
 * `until` so the engine replays what it kept and returns instead of streaming on, filtered to
 * the target's container(s) and the actions below. The answer is outside text: one JSON object
 * a line, each parsed on its own (JSON.parse is linear), lines longer than MAX_EVENT_LINE
 * skipped, at most MAX_EVENT_BYTES read and MAX_EVENTS kept (the latest). Only these fields
 * are kept: the action, the container id (hex), the time, the exit code and signal (digits),
 * the health status (one of three words). Container names, image names and labels an event
 * carries are never read: the container's name comes from the list, which the rules quote.
 *
 * The engine keeps only its most recent events in memory (and none from before it restarted):
 * an empty answer says "no events kept", never "nothing happened" unless the read succeeded.
 */

import { redactLogLine } from './log-tail.js';

/** What is asked for: ends of a life (die, oom, kill, stop), starts again (start, restart), health. */
export const EVENT_ACTIONS = ['die', 'oom', 'kill', 'stop', 'start', 'restart', 'health_status'] as const;
export type DockerEventAction = (typeof EVENT_ACTIONS)[number];

/** Bytes read of the answer at most; a real answer for one container in a day is far below. */
export const MAX_EVENT_BYTES = 1024 * 1024;
/** Events kept at most (the latest); all are counted. */
export const MAX_EVENTS = 200;
/** An event line longer than this is not one (a container's labels come to a few KiB). */
export const MAX_EVENT_LINE = 64 * 1024;
/** Shorter lines are no event (its Actor.ID alone is 64 characters). */
const MIN_EVENT_LINE = 100;
/** Lines parsed at most: 1 MiB of real events is about 2,000. */
export const MAX_EVENT_LINES = 10_000;
/** Window when no last good probe is known (a CLI or Slack diagnosis without history). */
export const DEFAULT_EVENTS_WINDOW_MS = 15 * 60_000;
/** The oldest `since` asked for: the engine keeps only recent events anyway. */
export const MAX_EVENTS_WINDOW_MS = 24 * 3600_000;
/** Containers whose events are read at most. */
export const MAX_EVENT_CONTAINERS = 5;

export interface DockerEvent {
  /** ms since the epoch. */
  at: number;
  /** The container's full id. */
  id: string;
  action: DockerEventAction;
  exitCode?: number;
  /** kill: the signal (`9`, `SIGKILL`). */
  signal?: string;
  /** health_status: healthy, unhealthy, starting. */
  health?: 'healthy' | 'unhealthy' | 'starting';
}

export interface DockerEvents {
  /** ISO times of the window asked for. */
  since: string;
  until: string;
  /** last-good-probe: the monitor's last answer; default-window: no history, the last 15 minutes. */
  sinceFrom: 'last-good-probe' | 'default-window';
  /** The containers asked about (full ids). */
  ids: string[];
  /** The read succeeded (an answer, possibly cut at a cap). */
  ok: boolean;
  error?: string;
  /** Oldest first, the latest MAX_EVENTS. */
  events: DockerEvent[];
  /** Events parsed in all (kept or not). */
  count: number;
  /** Cut at the byte cap, the event cap or the time bound: counts are "at least". */
  truncated?: 'bytes' | 'events' | 'time';
}

export interface EventsWindow {
  sinceMs: number;
  untilMs: number;
  sinceFrom: DockerEvents['sinceFrom'];
}

/** The window: from the last good probe (bounded to a day back, a little before it for clock skew) or the default, to now. */
export function eventsWindow(lastAnsweredAt: string | undefined, nowMs: number): EventsWindow {
  const last = lastAnsweredAt !== undefined && lastAnsweredAt.length <= 40 ? Date.parse(lastAnsweredAt) : NaN;
  if (Number.isFinite(last) && last < nowMs) {
    return { sinceMs: Math.max(last - 1000, nowMs - MAX_EVENTS_WINDOW_MS), untilMs: nowMs, sinceFrom: 'last-good-probe' };
  }
  return { sinceMs: nowMs - DEFAULT_EVENTS_WINDOW_MS, untilMs: nowMs, sinceFrom: 'default-window' };
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

const HEX_ID = /^[0-9a-f]{64}$/;
const ACTIONS = new Set<string>(EVENT_ACTIONS);

function timeOf(o: Record<string, unknown>): number | undefined {
  const nano = o.timeNano;
  const sec = o.time;
  if (typeof nano === 'number' && Number.isFinite(nano) && nano > 0) {
    const ms = Math.floor(nano / 1e6);
    if (typeof sec !== 'number' || Math.abs(ms - sec * 1000) < 2000) return ms;
  }
  return typeof sec === 'number' && Number.isInteger(sec) && sec > 0 ? sec * 1000 : undefined;
}

/** One event object → the fields kept, or undefined when it is not one of ours. */
export function eventOf(value: unknown, ids?: ReadonlySet<string>): DockerEvent | undefined {
  const o = obj(value);
  if (!o) return undefined;
  const type = o.Type;
  if (type !== undefined && type !== 'container') return undefined;
  const actor = obj(o.Actor);
  const id = typeof actor?.ID === 'string' ? actor.ID : typeof o.id === 'string' ? o.id : '';
  if (!HEX_ID.test(id) || (ids && !ids.has(id))) return undefined;
  const raw = typeof o.Action === 'string' ? o.Action : typeof o.status === 'string' ? o.status : '';
  if (raw.length > 40) return undefined;
  const colon = raw.indexOf(':');
  const action = colon < 0 ? raw : raw.slice(0, colon);
  if (!ACTIONS.has(action)) return undefined;
  const at = timeOf(o);
  if (at === undefined) return undefined;
  const ev: DockerEvent = { at, id, action: action as DockerEventAction };
  const attrs = obj(actor?.Attributes);
  const code = attrs?.exitCode;
  if (typeof code === 'string' && /^\d{1,3}$/.test(code) && Number(code) <= 255) ev.exitCode = Number(code);
  const signal = attrs?.signal;
  if (typeof signal === 'string' && /^(?:\d{1,2}|SIG[A-Z0-9]{1,10})$/.test(signal)) ev.signal = signal;
  if (action === 'health_status') {
    const h = raw.slice(colon + 1).trim();
    if (h === 'healthy' || h === 'unhealthy' || h === 'starting') ev.health = h;
  }
  return ev;
}

/**
 * The answer's text (one JSON object a line; a last line cut by a cap is dropped) → the latest
 * MAX_EVENTS events of the given containers inside the window (a minute of clock slack), oldest
 * first, and how many were read.
 */
export function parseEventLines(text: string, ids: readonly string[], window: { sinceMs: number; untilMs: number }, complete = true): { events: DockerEvent[]; count: number; cut?: boolean } {
  const wanted = new Set(ids);
  const lines = text.split('\n');
  if (!complete) lines.pop();
  const kept: DockerEvent[] = [];
  let count = 0;
  let parsed = 0;
  let cut = false;
  for (const line of lines) {
    // An event names a 64-hex id: a shorter line is none; a longer one than MAX_EVENT_LINE neither.
    if (line.length < MIN_EVENT_LINE || line.length > MAX_EVENT_LINE) continue;
    if (++parsed > MAX_EVENT_LINES) {
      cut = true;
      break;
    }
    const start = line.trimStart();
    if (!start.startsWith('{')) continue;
    let value: unknown;
    try {
      value = JSON.parse(start);
    } catch {
      continue;
    }
    const ev = eventOf(value, wanted);
    if (!ev || ev.at < window.sinceMs - 60_000 || ev.at > window.untilMs + 60_000) continue;
    count++;
    kept.push(ev);
    if (kept.length > 2 * MAX_EVENTS) kept.splice(0, kept.length - MAX_EVENTS);
  }
  kept.sort((a, b) => a.at - b.at);
  return { events: kept.slice(-MAX_EVENTS), count, ...(cut ? { cut } : {}) };
}

/** `03:12:04Z` (with the date when not today's, by UTC). */
export function clock(ms: number, nowMs = Date.now()): string {
  const iso = new Date(ms).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(nowMs).toISOString().slice(0, 10);
  return sameDay ? `${iso.slice(11, 19)}Z` : `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

export function eventsOf(events: DockerEvents | undefined, id: string): DockerEvent[] {
  return events?.ok ? events.events.filter((e) => e.id === id) : [];
}

/** Starts that follow a die of the same container inside the window: restarts seen, not inferred. */
export function restartsIn(events: readonly DockerEvent[]): number {
  let died = false;
  let n = 0;
  for (const e of events) {
    if (e.action === 'die') died = true;
    else if (e.action === 'start' && died) {
      n++;
      died = false;
    }
  }
  return n;
}

/** The die events, each with whether an oom event of the container came just before it. */
export function deaths(events: readonly DockerEvent[]): { at: number; exitCode?: number; oom: boolean; signal?: string }[] {
  const out: { at: number; exitCode?: number; oom: boolean; signal?: string }[] = [];
  let oomAt: number | undefined;
  let signal: string | undefined;
  for (const e of events) {
    if (e.action === 'oom') oomAt = e.at;
    else if (e.action === 'kill') signal = e.signal;
    else if (e.action === 'die') {
      out.push({ at: e.at, ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}), oom: oomAt !== undefined && e.at - oomAt <= 5000, ...(signal ? { signal } : {}) });
      oomAt = undefined;
      signal = undefined;
    } else if (e.action === 'start') {
      oomAt = undefined;
      signal = undefined;
    }
  }
  return out;
}

function eventText(e: DockerEvent, nowMs: number): string {
  const extra = e.action === 'die' && e.exitCode !== undefined ? ` (exit ${e.exitCode})` : e.action === 'kill' && e.signal ? ` (signal ${e.signal})` : e.action === 'health_status' && e.health ? `: ${e.health}` : '';
  return `${clock(e.at, nowMs)} ${e.action}${extra}`;
}

/** The last `max` events as `03:12:04Z die (exit 137), 03:12:05Z start`, with how many came before. */
export function timelineText(events: readonly DockerEvent[], nowMs: number, max = 8): string {
  const shown = events.slice(-max).map((e) => eventText(e, nowMs));
  return `${events.length > max ? `… ${events.length - max} earlier, ` : ''}${shown.join(', ')}`;
}

/** Where the window begins, for evidence: `since the last good probe at 03:10:00Z` / `in the last 15 min (no last good probe known)`. */
export function windowText(ev: Pick<DockerEvents, 'since' | 'sinceFrom'>, nowMs: number): string {
  return ev.sinceFrom === 'last-good-probe' ? `since the last good probe at ${clock(Date.parse(ev.since) + 1000, nowMs)}` : `in the last ${Math.round(DEFAULT_EVENTS_WINDOW_MS / 60_000)} min (no last good probe known)`;
}

/**
 * One evidence line about a container's events: `Docker events since the last good probe at
 * 03:10:00Z: died at 03:12:04Z (exit 137, after an oom event), restarted 4 times; timeline: …`.
 * Undefined when the events could not be read (the caller says nothing, never infers).
 */
export function eventsEvidence(ev: DockerEvents | undefined, id: string, nowMs: number): string | undefined {
  if (!ev) return undefined;
  const where = windowText(ev, nowMs);
  if (!ev.ok) return `Docker events ${where} could not be read (${ev.error ?? 'failed'}): nothing is said from them`;
  const mine = eventsOf(ev, id);
  const cut = ev.truncated ? ` (cut at the ${ev.truncated === 'time' ? 'time bound' : ev.truncated === 'bytes' ? 'byte cap' : 'event cap'}: at least)` : '';
  if (mine.length === 0) return `Docker events ${where}: none for this container (die, oom, kill, stop, start, restart, health_status)${cut}; the engine keeps only its recent events`;
  const died = deaths(mine);
  const last = died[died.length - 1];
  const restarts = restartsIn(mine);
  const parts: string[] = [];
  if (last) {
    const why = [last.exitCode !== undefined ? `exit ${last.exitCode}` : undefined, last.oom ? 'after an oom event: the kernel OOM killer' : undefined, last.signal ? `killed with signal ${last.signal}` : undefined].filter(Boolean).join(', ');
    parts.push(`${died.length > 1 ? `died ${died.length} times, last` : 'died'} at ${clock(last.at, nowMs)}${why ? ` (${why})` : ''}`);
  }
  if (restarts > 0) parts.push(`restarted ${restarts} time${restarts === 1 ? '' : 's'}`);
  const ooms = mine.filter((e) => e.action === 'oom').length;
  if (ooms > 0 && !died.some((d) => d.oom)) parts.push(`${ooms} oom event${ooms === 1 ? '' : 's'}`);
  return `Docker events ${where}: ${parts.length ? `${parts.join(', ')}${cut}; ` : ''}timeline: ${timelineText(mine, nowMs)}`;
}

/**
 * `docker events` over SSH (remote/scripts.ts dockerEventsScript): `### window <since> <until>
 * <probe|default>` (the host's clock), the events, `### rc <docker's exit status>`. No rc line:
 * the answer was cut at the byte cap on the host. A non-zero rc: not read (stderr's first line).
 */
export function parseEventsOutput(stdout: string, stderr: string, ids: string[]): DockerEvents {
  const head = /^### window (\d{1,12}) (\d{1,12}) (probe|default)\n/.exec(stdout.slice(0, 80));
  const sinceMs = head ? Number(head[1]) * 1000 : NaN;
  const untilMs = head ? Number(head[2]) * 1000 : NaN;
  const base = {
    since: Number.isFinite(sinceMs) ? new Date(sinceMs).toISOString() : new Date(0).toISOString(),
    until: Number.isFinite(untilMs) ? new Date(untilMs).toISOString() : new Date(0).toISOString(),
    sinceFrom: head?.[3] === 'probe' ? ('last-good-probe' as const) : ('default-window' as const),
    ids,
  };
  if (!head) return { ...base, ok: false, error: 'no answer from the events script', events: [], count: 0 };
  const body = stdout.slice(head[0].length, head[0].length + MAX_EVENT_BYTES);
  const at = body.lastIndexOf('\n### rc ');
  const rcText = at >= 0 ? body.slice(at + 8, at + 12) : body.startsWith('### rc ') ? body.slice(7, 11) : undefined;
  const rc = rcText !== undefined ? Number.parseInt(rcText, 10) : undefined;
  if (rc !== undefined && rc !== 0) {
    const line = stderr.slice(0, 2000).split('\n').map((l) => l.trim()).find((l) => l !== '') ?? `exit status ${rc}`;
    return { ...base, ok: false, error: `docker events: ${redactLogLine(line.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200))}`, events: [], count: 0 };
  }
  const text = at >= 0 ? body.slice(0, at) : rc !== undefined ? '' : body;
  const { events, count, cut } = parseEventLines(text, ids, { sinceMs, untilMs }, rc !== undefined);
  const truncated = rc === undefined ? 'bytes' : cut || count > MAX_EVENTS ? 'events' : undefined;
  return { ...base, ok: true, events, count, ...(truncated ? { truncated } : {}) };
}
