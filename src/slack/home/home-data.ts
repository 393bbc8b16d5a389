/**
 * What the App Home tab shows, read from the stores (INTERFACES.md section 6):
 * each configured target with its monitor state and last diagnosis, the open
 * incidents (who acked, since when, the cause), the latest diagnoses, and
 * whatever other parts of the bot add (`HomeSectionsHook`: e.g. the active
 * silences, from the silence store, when it exists). Plain data; rendering
 * is views/home.ts.
 */
import type { Config } from '../../config/schema.js';
import type { LastState } from '../../stores/diagnosis-store.js';
import type { IncidentRecord } from '../../stores/monitor-store.js';
import type { MonitorStatus } from '../../monitor/status.js';
import type { TargetState } from '../../monitor/state-machine.js';

export interface HomeTarget {
  name: string;
  /** The config URL's host:port (never a password: parseTarget keeps none). */
  url: string;
  monitored: boolean;
  monitor?: MonitorStatus;
  last?: LastState;
}

export interface HomeIncident {
  target: string;
  since: number;
  cause?: string;
  title?: string;
  ackedBy?: string;
  ackedAt?: number;
  channel: string;
  ts?: string;
}

/** A part another module adds to the Home tab: a title and its lines, already mrkdwn (escaped by whoever builds them). */
export interface HomeSection {
  id: string;
  title: string;
  lines: string[];
}

/** Adds sections to the Home tab (e.g. the active silences): called on each publish, bounded by the caller's own timeout. */
export type HomeSectionsHook = (now: number) => Promise<HomeSection[]>;

export interface HomeData {
  targets: HomeTarget[];
  incidents: HomeIncident[];
  /** The latest diagnoses, newest first. */
  diagnoses: (LastState & { target: string })[];
  sections: HomeSection[];
  /** False: the queue Redis could not be read; what this process knows only. */
  shared: boolean;
}

export interface HomeSources {
  config: Config;
  lastStates(): Promise<{ states: Map<string, LastState>; shared: boolean }>;
  /** The monitored targets and how to read their states and incidents (absent without `alerts:`). */
  monitor?: {
    targets: readonly string[];
    statuses(): Promise<Map<string, MonitorStatus>>;
    states(targets: readonly string[]): Promise<Map<string, TargetState>>;
    incident(id: string): Promise<IncidentRecord | undefined>;
  };
  sections?: HomeSectionsHook;
}

export const MAX_DIAGNOSES_SHOWN = 10;
const MAX_TARGETS = 200;

export async function loadHome(src: HomeSources, now: number): Promise<HomeData> {
  const { states, shared } = await src.lastStates();
  const m = src.monitor;
  const monitored = new Set(m?.targets ?? []);
  const [statuses, targetStates] = m
    ? await Promise.all([m.statuses().catch(() => new Map<string, MonitorStatus>()), m.states(m.targets).catch(() => new Map<string, TargetState>())])
    : [new Map<string, MonitorStatus>(), new Map<string, TargetState>()];
  const targets: HomeTarget[] = src.config.targets.slice(0, MAX_TARGETS).map((t) => {
    const status = statuses.get(t.name);
    const last = states.get(t.name);
    return { name: t.name, url: t.url, monitored: monitored.has(t.name), ...(status ? { monitor: status } : {}), ...(last ? { last } : {}) };
  });
  const incidents: HomeIncident[] = [];
  if (m) {
    const open = [...targetStates.values()].map((s) => s.incident?.id).filter((id): id is string => id !== undefined);
    const recs = await Promise.all(open.map((id) => m.incident(id).catch(() => undefined)));
    for (const r of recs) {
      if (!r || r.resolvedAt !== undefined) continue;
      incidents.push({
        target: r.target, since: r.firstFailureAt, channel: r.channel,
        ...(r.cause && r.cause !== 'none' ? { cause: r.cause } : {}), ...(r.title ? { title: r.title } : {}),
        ...(r.ackedBy ? { ackedBy: r.ackedBy } : {}), ...(r.ackedAt !== undefined ? { ackedAt: r.ackedAt } : {}), ...(r.ts ? { ts: r.ts } : {}),
      });
    }
    incidents.sort((a, b) => a.since - b.since);
  }
  const diagnoses = [...states].map(([target, s]) => ({ target, ...s }))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, MAX_DIAGNOSES_SHOWN);
  const sections = src.sections ? await src.sections(now).catch(() => []) : [];
  return { targets, incidents, diagnoses, sections, shared };
}
