/**
 * The target container's Docker events since the last good probe (docker/events.ts), for the
 * container rules' evidence: what was read for THIS container (by its id), never for another.
 * No events read (no window asked, the read failed, the container not among those asked
 * about): nothing is inferred, the evidence line says so or is absent.
 */
import type { Observations } from '../../model/types.js';
import { remoteOf } from './host.js';
import type { DockerContainer } from '../../remote/types.js';
import { clock, deaths, eventsEvidence, eventsOf, restartsIn, windowText, type DockerEvent, type DockerEvents } from '../../docker/events.js';

export interface ContainerEvents {
  read: DockerEvents;
  events: DockerEvent[];
  /** The read's `until`: the diagnosis' now, for the clock texts. */
  nowMs: number;
  restarts: number;
  deaths: ReturnType<typeof deaths>;
  ooms: DockerEvent[];
}

/** The events read for container `c`, or undefined when none were asked for it. */
export function containerEvents(obs: Observations, c: Pick<DockerContainer, 'id'>): ContainerEvents | undefined {
  // The Engine API read here, or docker events over the SSH session (remote/catalogue.ts docker-events).
  const read = obs.docker?.events ?? remoteOf(obs)?.docker?.events;
  if (!read || !read.ids.includes(c.id)) return undefined;
  const events = eventsOf(read, c.id);
  const until = Date.parse(read.until);
  return { read, events, nowMs: Number.isFinite(until) ? until : Date.now(), restarts: restartsIn(events), deaths: deaths(events), ooms: events.filter((e) => e.action === 'oom') };
}

/** The evidence line about `c`'s events (or that they could not be read), undefined when none were asked for it. */
export function containerEventsLine(obs: Observations, c: Pick<DockerContainer, 'id'>): string | undefined {
  const ce = containerEvents(obs, c);
  return ce ? eventsEvidence(ce.read, c.id, ce.nowMs) : undefined;
}

/** `since the last good probe at 03:10:00Z` for the events read of `c`. */
export function eventsWindowText(ce: ContainerEvents): string {
  return windowText(ce.read, ce.nowMs);
}

export { clock };
