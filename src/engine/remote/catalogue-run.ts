/**
 * Runs the whole catalogue over one SSH session in at most two channels, so
 * the account's login shell starts at most twice (issue #10):
 *
 *   A: every command that needs nothing from the host, one section each;
 *   B: the follow-up (redis.conf and its includes, /proc/<pid>/limits, df of
 *      the data directories, docker inspect), planned from A's ps, ss,
 *      systemctl and docker ps sections.
 *
 * B is opened together with A, so both login shells (and whatever their rc
 * files do) start side by side; B's `/bin/sh -s` waits for its script on stdin,
 * which is sent as soon as the sections it is planned from are parsed, while A
 * goes on. Every section is parsed when its end header arrives. Where sshd
 * admits one session per connection (MaxSessions 1), B opens once A is done.
 *
 * The SSH phase bound (bound.ts) closes whatever still runs; the commands that
 * did not answer by then are reported as such (`RemoteObservation.cutOff`),
 * and every section that did answer stays in the observation.
 */
import { CATALOGUE, planPhase2, RUN_ORDER, type CatalogueEntry, type Plan } from './catalogue.js';
import { batchScript, HOST_TIMEOUT_STATUSES, newMarker, type BatchSection } from './batch.js';
import { hostTimeoutSec } from './bound.js';
import { CHANNEL_REFUSED, outcomeOf } from './outcome.js';
import type { ExecResult, ShellChannel, ShellEnd, SshSession } from './session.js';
import { SectionReader, type SectionResult } from './stream.js';
import type { RemoteCommandId, RemoteCommandOutcome, RemoteObservation } from './types.js';

export interface CatalogueRunOptions {
  targetPort: number;
  /** The step timeout: each command's bound on the host. */
  stepTimeoutMs: number;
  /** performance.now() at which the SSH phase ends. */
  deadline: number;
  /** The SSH phase bound, for the reports. */
  boundMs: number;
  sudo: boolean;
  signal?: AbortSignal;
  /** Replaces the run's secrets in what the host printed, before any parser reads it (shared/redact.ts). */
  redact?: (text: string) => string;
  /** docker-events: since when (epoch seconds; the last good probe); absent: the host's last 15 min. */
  eventsSinceSec?: number;
}

type Outcomes = Map<RemoteCommandId, RemoteCommandOutcome>;

const ordered = (entries: readonly CatalogueEntry[]) => [...entries].sort((a, b) => RUN_ORDER.indexOf(a.id) - RUN_ORDER.indexOf(b.id));
/** The first script's commands and the follow-up's, in run order. */
export const FIRST: readonly CatalogueEntry[] = ordered(CATALOGUE.filter((e) => e.needs.length === 0));
export const FOLLOW_UP: readonly CatalogueEntry[] = ordered(CATALOGUE.filter((e) => e.needs.length > 0));
const FIRST_IDS = new Set(FIRST.map((e) => e.id));
/** What the follow-up is planned from. */
const GATE = [...new Set(FOLLOW_UP.flatMap((e) => e.needs).filter((id) => FIRST_IDS.has(id)))];

function sectionResult(s: SectionResult, hostTimeout: boolean, sec: number): ExecResult {
  const timedOut = hostTimeout && s.rc !== null && HOST_TIMEOUT_STATUSES.has(s.rc);
  return {
    stdout: s.stdout,
    stderr: s.stderr,
    exitCode: s.rc,
    timedOut,
    openFailed: false,
    truncated: false,
    durationMs: s.durationMs,
    ...(timedOut ? { timeoutDetail: `no answer within ${sec} s: stopped on the host by timeout(1)` } : {}),
  };
}

/**
 * The sections of one script, in run order. An entry with nothing to look at, or whose
 * values failed validation, is not built: `onLocal` gets its outcome instead.
 */
export function batchSections(entries: readonly CatalogueEntry[], plan: Plan, onLocal: (entry: CatalogueEntry, status: RemoteCommandOutcome['status'], detail: string) => void = () => {}): BatchSection[] {
  const out: BatchSection[] = [];
  for (const entry of entries) {
    let script: string | null;
    try {
      script = entry.script(plan);
    } catch {
      // A value failed validation (shell.ts): the command is not built at all.
      onLocal(entry, 'failed', 'not run: a value failed validation');
      continue;
    }
    if (script === null) onLocal(entry, 'unavailable', 'nothing to inspect');
    else out.push({ id: entry.id, script, ...(entry.guard ? { guard: entry.guard } : {}), ...(entry.collectsDirs ? { collectsDirs: true } : {}), ...(entry.takesDirs ? { takesDirs: true } : {}), ...(entry.takesLogs ? { takesLogs: true } : {}) });
  }
  return out;
}

/** One channel's script: its sections, the outcomes as they arrive. */
class ScriptRun {
  readonly ids = new Set<RemoteCommandId>();
  readonly channel: ShellChannel;
  sentAt = 0;
  private readonly reader: SectionReader;

  constructor(
    session: SshSession,
    marker: string,
    private readonly onOutcome: (entry: CatalogueEntry, res: ExecResult) => void,
    private readonly sec: number,
  ) {
    this.reader = new SectionReader(marker, (s) => this.section(s));
    this.channel = session.startShell((text) => this.reader.feed(text));
  }

  send(script: string, ids: readonly RemoteCommandId[]): void {
    for (const id of ids) this.ids.add(id);
    this.sentAt = performance.now();
    this.channel.send(script);
  }

  private section(s: SectionResult): void {
    const entry = CATALOGUE.find((e) => e.id === s.id);
    if (!entry || !this.ids.has(entry.id)) return;
    this.onOutcome(entry, sectionResult(s, this.reader.hostTimeout, this.sec));
  }
}

export async function runCatalogue(session: SshSession, obs: RemoteObservation, o: CatalogueRunOptions): Promise<Outcomes> {
  const outcomes: Outcomes = new Map();
  const sec = hostTimeoutSec(o.stepTimeoutMs);
  const marker = newMarker();
  let stopped: 'bound' | 'aborted' | undefined;
  /** Entries the bound cut off, unanswered. */
  const cutOff = new Set<RemoteCommandId>();
  let shells = 0;

  const record = (entry: CatalogueEntry, res: ExecResult) => {
    if (outcomes.has(entry.id)) return;
    // Parsed as soon as it is back: the follow-up is planned from the observation.
    // Host output is outside text: secrets are replaced where it enters, never in the tool's own words.
    const clean = o.redact ? { ...res, stdout: o.redact(res.stdout), stderr: o.redact(res.stderr) } : res;
    outcomes.set(entry.id, outcomeOf(entry, clean, obs));
    if (FIRST_IDS.has(entry.id)) maybeFollowUp();
  };
  const local = (entry: CatalogueEntry, status: RemoteCommandOutcome['status'], detail: string) => outcomes.set(entry.id, { id: entry.id, status, durationMs: 0, detail });

  const sections = (entries: readonly CatalogueEntry[]) => batchSections(entries, planPhase2(obs, o.targetPort, sec, o.eventsSinceSec), local);
  const open = (): ScriptRun => {
    const run = new ScriptRun(session, marker, record, sec);
    void run.channel.opened.then((ok) => {
      if (ok) shells++;
    });
    return run;
  };

  const a = open();
  // Opened now, so its login shell starts next to A's; its script follows once the gate is parsed.
  let b = open();
  const first = sections(FIRST);
  a.send(batchScript(marker, sec, o.sudo, first), first.map((s) => s.id));

  let gateOpen!: () => void;
  const gate = new Promise<void>((resolve) => (gateOpen = resolve));
  let aDone = false;
  function maybeFollowUp(): void {
    if (aDone || stopped || GATE.every((id) => outcomes.has(id))) gateOpen();
  }
  maybeFollowUp();

  const stop = (why: 'bound' | 'aborted') => {
    if (stopped) return;
    stopped = why;
    a.channel.close();
    b.channel.close();
    gateOpen();
  };
  const timer = setTimeout(() => stop('bound'), Math.max(0, o.deadline - performance.now()));
  const onAbort = () => stop('aborted');
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });

  const finishA = a.channel.done.then((end) => {
    aDone = true;
    unanswered(a, FIRST, end);
    gateOpen();
    return end;
  });
  const finishB = (async () => {
    await gate;
    if (stopped) {
      b.channel.close();
      // Still say which of them had nothing to look at; the others never ran.
      sections(FOLLOW_UP);
      return;
    }
    const follow = sections(FOLLOW_UP);
    if (follow.length === 0) {
      b.channel.close();
      return;
    }
    const script = batchScript(marker, sec, o.sudo, follow);
    const ids = follow.map((s) => s.id);
    b.send(script, ids);
    let end = await b.channel.done;
    if (end.openFailed && !stopped) {
      // sshd admits fewer sessions than two (MaxSessions): run it once A's session is over.
      await finishA;
      if (!stopped) {
        b = open();
        b.send(script, ids);
        end = await b.channel.done;
      }
    }
    unanswered(b, FOLLOW_UP, end);
  })();

  /** The entry had no answer when the bound or the caller stopped the run; the bound's are reported as cut off. */
  function stoppedBefore(entry: CatalogueEntry, durationMs: number): void {
    if (stopped === 'bound') cutOff.add(entry.id);
    outcomes.set(entry.id, { id: entry.id, status: 'timeout', durationMs, detail: stopped === 'bound' ? `no answer within ${o.boundMs} ms (the SSH phase bound)` : 'aborted' });
  }

  function unanswered(run: ScriptRun, entries: readonly CatalogueEntry[], end: ShellEnd): void {
    const waited = Math.round(performance.now() - (run.sentAt || performance.now()));
    for (const entry of entries) {
      if (outcomes.has(entry.id) || !run.ids.has(entry.id)) continue;
      if (stopped) stoppedBefore(entry, waited);
      else if (end.openFailed) outcomes.set(entry.id, { id: entry.id, status: 'failed', durationMs: 0, detail: `${CHANNEL_REFUSED}: ${(end.message ?? '').split('\n')[0]!.slice(0, 160)}` });
      else if (end.truncated) outcomes.set(entry.id, { id: entry.id, status: 'failed', durationMs: waited, detail: 'output too large, cut' });
      else outcomes.set(entry.id, { id: entry.id, status: 'failed', durationMs: waited, detail: `no output: the shell ended before this check (exit status ${end.exitCode ?? 'unknown'})` });
    }
  }

  try {
    await Promise.all([finishA, finishB]);
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    a.channel.close();
    b.channel.close();
  }
  // A follow-up never sent (the bound ran out first) leaves its entries unanswered too.
  for (const entry of FOLLOW_UP) {
    if (!outcomes.has(entry.id) && stopped) stoppedBefore(entry, 0);
  }
  if (cutOff.size) obs.cutOff = { boundMs: o.boundMs, unanswered: CATALOGUE.filter((e) => cutOff.has(e.id)).map((e) => e.id) };
  obs.shellStarts = shells;
  return outcomes;
}
