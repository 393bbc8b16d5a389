/**
 * `/redis-diagnose <target> from <location>` and `from all` (issue #20), and
 * a plain `/redis-diagnose <target>` whose probeFrom does not include
 * `local`. The front end checks everything it can before the ack (the name,
 * the location, the target's probeFrom, a live worker there: bounded reads),
 * so a bad request or a location nobody serves is answered at once with
 * nothing queued. Then each location's job is queued, their documents come
 * back through the queue (jobs/location-client.ts), and the front end posts
 * them: one parent with each location's verdict, the comparison
 * (blocked-from-location, engine compareLocations) and each location's
 * findings in the thread.
 */
import { randomBytes } from 'node:crypto';
import type { SlashCommand } from '@slack/bolt';
import type { Config } from '../config/schema.js';
import { isValidLocationName } from '../config/schema.js';
import { compareLocations, type Diagnosis, type Finding, type Remediation, type TargetInfo } from '../engine/index.js';
import type { LocationAnswer } from '../jobs/location-jobs.js';
import type { LocationClient } from '../jobs/location-client.js';
import { knownLocations, LOCAL_LOCATION, probeLocations } from '../jobs/locations.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { DiagnosisStore } from '../stores/diagnosis-store.js';
import { admitTarget } from './admission.js';
import type { Reporter } from './reporter.js';
import { renderFinding } from './views/diagnosis.js';
import { address, type Rendered } from './views/elements.js';
import { renderLocationHeader, renderLocationRefusal, renderLocationsPending, renderLocationsResult, renderNoWorker } from './views/locations.js';
import { code } from './views/mrkdwn.js';

export const FROM_ALL = 'all';
const MAX_WORD = 80;

export type FromRequest =
  | { kind: 'none' }
  | { kind: 'from'; target: string; from: string }
  | { kind: 'bad'; reason: string };

/** `<target> from <location|all>`; anything else with `from` as its second word is a usage error. */
export function parseFrom(text: string): FromRequest {
  const words = text.trim().slice(0, 400).split(/\s+/);
  if (words.length < 2 || words[1]!.toLowerCase() !== 'from') return { kind: 'none' };
  if (words.length !== 3) return { kind: 'bad', reason: 'Usage: `/redis-diagnose <target> from <location>` or `/redis-diagnose <target> from all`.' };
  const from = words[2]!.toLowerCase();
  if (from !== FROM_ALL && !isValidLocationName(from)) {
    return { kind: 'bad', reason: `${code(words[2]!.slice(0, MAX_WORD))} is not a location name (lower-case letters, digits and -, starting with a letter or digit).` };
  }
  return { kind: 'from', target: words[0]!, from };
}

export interface LocationCommandDeps {
  config: Config;
  locations: LocationClient;
  store: DiagnosisStore;
  reporter: Reporter;
  metrics: Metrics;
  log: Logger;
  /** How long the front end waits for a location's document (bounded). */
  resultTimeoutMs: number;
  /** Whether a remediation of this target runs something once approved (as diagnosis-thread.ts). */
  runs?: (target: TargetInfo, r: Remediation) => boolean;
}

export type Planned =
  | { ok: false; answer: Rendered }
  | { ok: true; target: string; locations: string[]; noWorker: Map<string, string> };

/**
 * Everything checked before the ack: the target is a config target, each
 * location is known and in its probeFrom, and (for one location) a worker
 * serves it. `explicit` false: a plain diagnose of a target not probed from `local`.
 */
export async function planLocations(deps: LocationCommandDeps, target: string, from: string): Promise<Planned> {
  const { config, locations } = deps;
  const refuse = (text: string): Planned => ({ ok: false, answer: renderLocationRefusal(text) });
  const admission = admitTarget(target, config);
  if (!admission.ok) return { ok: false, answer: renderLocationRefusal(admission.reason) };
  if (admission.kind !== 'named') return refuse(`"from" works with configured targets only: each location's worker resolves the target from its own config.`);
  const t = config.targets.find((x) => x.name === admission.input)!;
  const where = probeLocations(t);
  let wanted: string[];
  if (from === FROM_ALL) {
    wanted = where;
  } else {
    if (!knownLocations(config).includes(from)) return refuse(`Unknown location ${from}: the known locations are ${knownLocations(config).join(', ')}.`);
    if (!where.includes(from)) return refuse(`${t.name} is not probed from ${from} (its probeFrom: ${where.join(', ')}).`);
    wanted = [from];
  }
  const noWorker = new Map<string, string>();
  await Promise.all(wanted.map(async (l) => {
    if ((await locations.liveWorkers(l)) === 0) noWorker.set(l, await locations.noWorker(l));
  }));
  if (noWorker.size === wanted.length) {
    return { ok: false, answer: renderNoWorker(wanted.map((l) => noWorker.get(l)!).join('; ')) };
  }
  return { ok: true, target: t.name, locations: wanted, noWorker };
}

/** After the ack: queue each location's job, wait for the documents, post them. Never throws. */
export async function runLocations(deps: LocationCommandDeps, plan: Extract<Planned, { ok: true }>, body: SlashCommand): Promise<void> {
  const { reporter, locations, store, log } = deps;
  const channel = body.channel_id;
  let parentTs: string | undefined;
  try {
    parentTs = await reporter.post(channel, renderLocationsPending(plan.target, plan.locations, body.user_id));
    const answers: LocationAnswer[] = await Promise.all(plan.locations.map(async (l): Promise<LocationAnswer & { id?: string }> => {
      const missing = plan.noWorker.get(l);
      if (missing) return { ok: false, location: l, reason: missing };
      try {
        const id = await locations.submit(l, plan.target, body.trigger_id);
        const answer = await locations.result(l, id, deps.resultTimeoutMs);
        // Stored under the job id, so each finding's buttons work as any diagnosis's.
        if (answer.ok && l !== LOCAL_LOCATION) await store.save(id, answer.diagnosis, channel).catch(() => undefined);
        return { ...answer, id };
      } catch (err) {
        return { ok: false, location: l, reason: `could not queue it at ${l}: ${(err as Error).message.slice(0, 200)}` };
      }
    }));
    const docs = answers.filter((a): a is Extract<LocationAnswer, { ok: true }> => a.ok).map((a) => a.diagnosis);
    const compared = compareLocations(docs);
    await reporter.update(channel, parentTs, renderLocationsResult(plan.target, answers, compared, body.user_id));
    if (compared.length > 0) {
      // The comparison is stored as a document of its own (the blocked location's, with the comparison first) so its buttons work.
      const blocked = docs.find((d) => d.location === compared[0]!.details?.blockedFrom) ?? docs[0]!;
      const cid = `c-${randomBytes(12).toString('hex')}`;
      await store.save(cid, { ...blocked, findings: [...compared, ...blocked.findings] }, channel).catch(() => undefined);
      for (const f of compared) await reporter.post(channel, findingView(deps, f, cid, blocked), parentTs);
    }
    for (const a of answers as (LocationAnswer & { id?: string })[]) {
      await reporter.post(channel, renderLocationHeader(a), parentTs);
      if (!a.ok) continue;
      for (const f of a.diagnosis.findings) await reporter.post(channel, findingView(deps, f, a.id!, a.diagnosis), parentTs);
    }
    log.log('info', 'location diagnosis posted', { target: plan.target, locations: plan.locations, answered: docs.length, compared: compared.map((f) => f.cause) });
  } catch (err) {
    log.log('warn', 'location diagnosis could not be posted', { target: plan.target, error: (err as Error).message });
    await reporter.respond(body.response_url, renderLocationRefusal(`The diagnosis of ${plan.target} from ${plan.locations.join(', ')} could not be posted here: ${(err as Error).message.slice(0, 200)}`));
  }
}

function findingView(deps: LocationCommandDeps, f: Finding, id: string, d: Diagnosis): Rendered {
  const runsOn = deps.runs;
  return renderFinding(f, id, { ...(runsOn ? { runs: (r: Remediation) => runsOn(d.target, r) } : {}), target: d.target.name ?? address(d.target) });
}

/**
 * The command's hook (slack/commands.ts): a `from` request, or a plain
 * diagnose of a target not probed from `local`. Answers through `answer`
 * (the ack) and returns true when it took the command; false leaves it to
 * the usual path.
 */
export async function handleLocated(body: SlashCommand, text: string, deps: LocationCommandDeps, answer: (r: Rendered) => Promise<void>): Promise<boolean> {
  const req = parseFrom(text);
  let target: string;
  let from: string;
  if (req.kind === 'bad') {
    deps.metrics.commands.inc({ outcome: 'refused' });
    await answer(renderLocationRefusal(req.reason));
    return true;
  }
  if (req.kind === 'from') {
    ({ target, from } = req);
  } else {
    const t = deps.config.targets.find((x) => x.name === text.trim());
    if (!t || probeLocations(t).includes(LOCAL_LOCATION)) return false;
    target = t.name;
    from = FROM_ALL;
  }
  const plan = await planLocations(deps, target, from);
  if (!plan.ok) {
    deps.metrics.commands.inc({ outcome: 'refused' });
    await answer(plan.answer);
    return true;
  }
  deps.metrics.commands.inc({ outcome: 'queued' });
  deps.log.log('info', 'location diagnosis requested', { user: body.user_id, channel: body.channel_id, target: plan.target, locations: plan.locations });
  await answer({ text: `Diagnosing ${plan.target} from ${plan.locations.join(', ')}`, blocks: renderLocationsPending(plan.target, plan.locations).blocks });
  // Bounded and never throws: not awaited, so the command handler ends with the ack.
  void runLocations(deps, plan, body);
  return true;
}
