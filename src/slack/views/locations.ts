/**
 * Probe locations in Slack (issue #20): the parent of a `from <location>` /
 * `from all` diagnosis with each location's verdict, the header of each
 * location's part of the thread, and the locations part of `status`.
 * Pure functions over what the front end gathered; nothing is computed here.
 */
import type { Diagnosis, Finding } from '../../engine/index.js';
import type { LocationAnswer } from '../../jobs/location-jobs.js';
import type { LocationStatus } from '../../jobs/location-client.js';
import { context, fallback, section, slackDateOfMs, VERDICT_ICON, type Rendered } from './elements.js';
import { code, escapeMrkdwn, mention } from './mrkdwn.js';

export function renderLocationsPending(target: string, locations: readonly string[], requestedBy?: string): Rendered {
  const where = locations.map(code).join(', ');
  return {
    text: fallback(`Diagnosing ${target} from ${locations.join(', ')}…`),
    blocks: [
      section(`:hourglass_flowing_sand: Diagnosing ${code(target)} from ${where}…`, 'locations-pending'),
      ...(requestedBy ? [context([`requested by ${mention(requestedBy)}`])] : []),
    ],
  };
}

function answerLine(a: LocationAnswer): string {
  if (!a.ok) return `:grey_question: from ${code(a.location)}: *no answer* — ${escapeMrkdwn(a.reason)}`;
  const d = a.diagnosis;
  const primary = d.findings[0];
  return `${VERDICT_ICON[d.verdict]} from ${code(d.location ?? '?')}: *${d.verdict}*${primary ? ` — ${escapeMrkdwn(primary.title)} (${code(primary.cause)})` : ''}`;
}

/** The parent: one line per location, then the comparison's findings. */
export function renderLocationsResult(target: string, answers: readonly LocationAnswer[], compared: readonly Finding[], requestedBy?: string): Rendered {
  const blocks: Rendered['blocks'] = [section(`*${escapeMrkdwn(target)}* from ${answers.length} location${answers.length === 1 ? '' : 's'}`, 'locations-heading')];
  answers.forEach((a, i) => blocks.push(section(answerLine(a), `location-${i}`)));
  for (const f of compared.slice(0, 5)) blocks.push(section(`:no_entry: ${escapeMrkdwn(f.title)} (${code(f.cause)}, ${f.confidence})`, `compare-${f.cause}`));
  blocks.push(context([[`findings per location in the thread`, ...(requestedBy ? [`requested by ${mention(requestedBy)}`] : [])].join(' · ')]));
  const plain = answers.map((a) => (a.ok ? `${a.diagnosis.location}: ${a.diagnosis.verdict}` : `${a.location}: no answer`)).join('; ');
  return { text: fallback(`${target}: ${plain}${compared.length > 0 ? ` — ${compared.map((f) => f.cause).join(', ')}` : ''}`), blocks };
}

/** The thread reply that opens a location's part: its verdict, or why it has none. */
export function renderLocationHeader(a: LocationAnswer): Rendered {
  const d: Diagnosis | undefined = a.ok ? a.diagnosis : undefined;
  const n = d?.findings.length ?? 0;
  return {
    text: fallback(a.ok ? `From ${a.diagnosis.location}: ${a.diagnosis.verdict}` : `From ${a.location}: no answer — ${a.reason}`),
    blocks: [
      section(answerLine(a), 'location-header'),
      ...(d ? [context([`${n === 0 ? 'no findings' : `${n} finding${n === 1 ? '' : 's'} below`} · ${Math.round(d.durationMs)} ms`])] : []),
    ],
  };
}

/** A location the command cannot use: answered at once, nothing queued. */
export function renderLocationRefusal(text: string): Rendered {
  return { text: fallback(text), blocks: [section(`:no_entry: ${escapeMrkdwn(text)}`, 'location-refused')] };
}

/** No worker serves the location: answered at once. */
export function renderNoWorker(reason: string): Rendered {
  return { text: fallback(reason), blocks: [section(`:warning: ${escapeMrkdwn(reason)}. Nothing was queued; start its worker (REDIS_DOCTOR_LOCATION=…, npm run worker) and ask again.`, 'location-no-worker')] };
}

function statusLine(s: LocationStatus): string {
  const alive = s.workers === undefined ? ':grey_question: workers unknown (queue Redis not answering)'
    : s.workers > 0 ? `:large_green_circle: ${s.workers} worker${s.workers === 1 ? '' : 's'} alive` : ':red_circle: *no worker*';
  const seen = s.lastSeen !== undefined ? (s.workers && s.workers > 0 ? '' : ` · last seen ${slackDateOfMs(s.lastSeen)}`) : s.workers === 0 ? ' · never seen' : '';
  const depth = s.depth !== undefined ? ` · ${s.depth} job${s.depth === 1 ? '' : 's'} queued` : '';
  return `${code(s.location)}: ${alive}${seen}${depth}`;
}

/** `status`: one line per location, appended to the targets' lines. */
export function renderLocationStatus(statuses: readonly LocationStatus[]): Rendered['blocks'] {
  return [section(`*Probe locations*\n${statuses.map((s) => statusLine(s)).join('\n')}`, 'locations-status')];
}
