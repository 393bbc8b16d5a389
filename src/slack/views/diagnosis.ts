/**
 * Pure renderer: Diagnosis → Block Kit. No I/O, no clock, no decisions:
 * everything shown comes from the Diagnosis document or the arguments.
 *
 * Ids (INTERFACES.md section 6): each finding's section block has block_id
 * `finding:<cause>`; each remediation button has action_id
 * `remediate:<remediation-id>` (runs once approved) or `steps:<remediation-id>`
 * (guided: its steps at once), and a value that is a reference (refs.ts).
 */
import type { types } from '@slack/bolt';
import type { Check, Diagnosis, Finding, Remediation, Severity, TargetInfo, ProgressEvent } from '../../engine/index.js';
import { LIMITS } from './limits.js';
import { code, escapeMrkdwn, mention, truncate } from './mrkdwn.js';
import { ACTION, encodeRemediateRef } from '../refs.js';
import { address, context, fallback, fallbackMrkdwn, linksBlock, section, slackDateOfIso, targetLabel, VERDICT_ICON, type Rendered } from './elements.js';

type KnownBlock = types.KnownBlock;
type Button = types.Button;

const SEVERITY_ICON: Record<Severity, string> = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' };
const CHECK_ICON: Record<Check['status'], string> = { pass: '✓', fail: '✗', warn: '!', skip: '–' };

function plainTargetLabel(target: TargetInfo): string {
  return target.name ?? address(target);
}

export interface ProgressView {
  target: TargetInfo;
  requestedBy?: string;
  /** Steps seen so far, in order, with their last phase. */
  steps: ProgressEvent[];
  note?: string;
  /** Time since the diagnosis began, measured by the caller (renderers never read the clock). */
  elapsedMs?: number;
}

/** `3 s`, `1 min 5 s`: progress time, whole seconds. */
function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
}

export function renderProgress(view: ProgressView): Rendered {
  const who = view.requestedBy ? ` for ${mention(view.requestedBy)}` : '';
  const time = view.elapsedMs !== undefined ? ` ${elapsed(view.elapsedMs)}` : '';
  const blocks: KnownBlock[] = [section(`:hourglass_flowing_sand: Diagnosing ${targetLabel(view.target)}${who}…${time}`, 'progress')];
  if (view.steps.length > 0) {
    // The step running now, with the time so far: `probing tls… 3 s`.
    const running = [...view.steps].reverse().find((s) => s.phase !== 'done');
    const done = view.steps.filter((s) => s.phase === 'done').map((s) => `✓ ${escapeMrkdwn(s.step)}`);
    const now = running ? [`*${escapeMrkdwn(running.step)}…*${time}`] : [];
    blocks.push(context([[...done, ...now].join('  ')]));
  }
  if (view.note) blocks.push(context([escapeMrkdwn(view.note)]));
  return { text: fallback(`Diagnosing ${plainTargetLabel(view.target)}…`), blocks };
}

export interface ResultView {
  requestedBy?: string;
  /** Shown under the verdict, e.g. "the job queue is down: ran in the web process". */
  note?: string;
  /** The parent message of a re-diagnosis posted inside an existing thread. */
  heading?: string;
  /** This run checks a fix: say `verified: healthy`, or what is still wrong. */
  verification?: boolean;
  /** The target's runbook and dashboard (config `runbookUrl`, `dashboardUrl`): shown as links. */
  links?: { runbookUrl?: string; dashboardUrl?: string };
  /** The parent of a diagnosis whose fix has since run: what the verifying re-diagnosis found. */
  fix?: FixView;
}

/** A fix of this diagnosis's primary cause, and what the re-diagnosis after it found. */
export interface FixView {
  /** Who approved it (or asked, for steps): shown as a mention. */
  by?: string;
  remediation: string;
  /** The cause it fixed. */
  cause: string;
  /** `fixed`: verified healthy. `not-fixed`: the re-diagnosis still finds something. `failed`: the command failed or was not sent. */
  outcome: 'fixed' | 'not-fixed' | 'failed';
  /** not-fixed: what is still wrong; failed: why. */
  detail?: string;
}

function fixLine(f: FixView): string {
  const by = f.by ? ` by ${mention(f.by)}` : '';
  const what = `*${escapeMrkdwn(f.remediation)}*`;
  if (f.outcome === 'fixed') return `:white_check_mark: *Fixed*${by}, was ${code(f.cause)} — ${what} ran and a fresh diagnosis found it healthy.`;
  if (f.outcome === 'not-fixed') return `:x: *Not fixed*: ${what} ran${by}, but the fresh diagnosis still finds ${f.detail ? escapeMrkdwn(f.detail) : 'something wrong'} (was ${code(f.cause)}). See the thread.`;
  return `:x: *The fix failed*: ${what}${by}${f.detail ? ` — ${escapeMrkdwn(f.detail)}` : ''}. The cause ${code(f.cause)} is still there.`;
}

function fixText(f: FixView): string {
  if (f.outcome === 'fixed') return `fixed${f.by ? ` by ${mention(f.by)}` : ''}, was ${escapeMrkdwn(f.cause)}`;
  if (f.outcome === 'not-fixed') return `not fixed by ${escapeMrkdwn(f.remediation)}: still ${escapeMrkdwn(f.detail ?? 'wrong')}`;
  return `the fix failed (${escapeMrkdwn(f.remediation)}): ${escapeMrkdwn(f.cause)} is still there`;
}

/** After a fix, the new primary cause (what is still wrong), or undefined: verified healthy. */
function stillWrong(d: Diagnosis): Finding | undefined {
  return d.verdict === 'healthy' ? undefined : d.findings[0];
}

/** After a fix: `verified: healthy`, or the new primary cause (what is still wrong). */
function verificationLine(wrong: Finding | undefined): string {
  if (!wrong) return `:white_check_mark: verified: healthy`;
  return `:x: not fixed: still wrong — ${escapeMrkdwn(wrong.title)} (${code(wrong.cause)})`;
}

/** The one-line verdict: what the parent message ends with. */
function verdictLine(d: Diagnosis): string {
  const primary = d.findings[0];
  const what = primary ? `: ${escapeMrkdwn(primary.title)} (${code(primary.cause)})` : '';
  return `${VERDICT_ICON[d.verdict]} ${targetLabel(d.target)} is *${d.verdict}*${what}`;
}

/** Checks whose detail is worth a place even when they pass: the latency sample's p50/p99/max. */
const DETAIL_SHOWN = new Set(['latency-sample']);

function checksLine(checks: Check[]): string {
  return checks.map((c) => `${CHECK_ICON[c.status]} ${escapeMrkdwn(c.id)}${(c.status === 'fail' || DETAIL_SHOWN.has(c.id)) && c.detail ? ` (${escapeMrkdwn(c.detail)})` : ''}`).join('  ');
}

export function renderResult(d: Diagnosis, view: ResultView = {}): Rendered {
  const blocks: KnownBlock[] = [];
  if (view.fix) blocks.push(section(fixLine(view.fix), 'fix'));
  if (view.heading) blocks.push(section(escapeMrkdwn(view.heading), 'heading'));
  const wrong = stillWrong(d);
  if (view.verification) blocks.push(section(verificationLine(wrong), 'verification'));
  blocks.push(section(`${view.fix ? 'Before the fix: ' : ''}${verdictLine(d)}`, 'verdict'));
  const n = d.findings.length;
  // Healthy: no checks row, but the latency sample still says how fast it answered (issue #18).
  const sample = d.verdict === 'healthy' ? d.checks.find((c) => c.id === 'latency-sample' && c.detail) : undefined;
  const facts = [
    n === 0 ? 'no findings' : `${n} finding${n === 1 ? '' : 's'} in the thread`,
    `${Math.round(d.durationMs)} ms`,
    ...(sample ? [`latency-sample (${escapeMrkdwn(sample.detail!)})`] : []),
    ...(view.requestedBy ? [`requested by ${mention(view.requestedBy)}`] : []),
  ];
  blocks.push(context([facts.join(' · ')]));
  // A healthy verdict needs no list of what passed: the row is for what failed or warned.
  if (d.checks.length > 0 && d.verdict !== 'healthy') blocks.push(context([checksLine(d.checks)]));
  if (view.note) blocks.push(context([`:warning: ${escapeMrkdwn(view.note)}`]));
  const links = view.links && linksBlock(view.links);
  if (links) blocks.push(links);
  const primary = d.findings[0];
  const verified = view.verification ? (wrong ? 'not fixed — ' : 'verified: healthy — ') : '';
  const text = `${verified}${plainTargetLabel(d.target)}: ${d.verdict}${primary ? ` — ${primary.cause}: ${primary.title}` : ''}`;
  // A mention notifies and shows as a name: the rest is escaped.
  if (view.fix) return { text: fallbackMrkdwn(`${escapeMrkdwn(plainTargetLabel(d.target))}: ${fixText(view.fix)}`), blocks };
  return { text: fallback(text), blocks };
}

/** Evidence as one code block; past the section limit it is cut with a note saying how much was left out. */
export function evidenceText(evidence: string[]): string {
  // A ``` inside evidence would close our code block early.
  const body = evidence.map((e) => escapeMrkdwn(e).replace(/```/g, 'ˋˋˋ')).join('\n');
  const fence = '```';
  const room = LIMITS.sectionText - 2 * fence.length;
  if (body.length <= room) return `${fence}${body}${fence}`;
  // 80 characters is more than the note below can take, so the whole text stays within the limit.
  const keep = room - 80;
  return `${fence}${truncate(body, keep)}${fence}\n_evidence truncated: ${keep} of ${body.length} characters shown_`;
}

/**
 * Whether clicking a remediation's button runs something once approved
 * (`remediate:`, asks an approver) or shows its steps (`steps:`, at once).
 * The caller decides it from its config (jobs/remediation-action.ts planFor);
 * without one, only an automatic remediation asks for approval, and the
 * approval itself says when it will post steps instead of running.
 */
export type RunsCheck = (r: Remediation) => boolean;
const byMode: RunsCheck = (r) => r.mode === 'automatic';

/** What the caller knows about where a finding is shown: what runs there, and the target's name for the push text. */
export interface FindingView {
  runs?: RunsCheck;
  /** The config name or address of the diagnosed target. */
  target?: string;
}

function remediationLine(r: Remediation, runs: boolean): string {
  const how = runs ? `runs one Redis command once an approver agrees` : 'guided: steps to follow, nothing is run';
  return `• *${escapeMrkdwn(r.title)}* — risk ${r.risk}, ${how}`;
}

function confirmFor(r: Remediation): types.ConfirmationDialog | undefined {
  // Slack's confirm object asks before the click is sent: worth it where a change can hurt.
  // Only approval buttons get one: showing steps changes nothing.
  if (r.risk === 'low') return undefined;
  return {
    title: { type: 'plain_text', text: truncate(`Request approval (${r.risk} risk)?`, LIMITS.confirmTitle) },
    text: { type: 'mrkdwn', text: truncate(`*${escapeMrkdwn(r.title)}* changes the server. An approver must agree before anything is applied.`, LIMITS.confirmText) },
    confirm: { type: 'plain_text', text: 'Request approval' },
    deny: { type: 'plain_text', text: 'Cancel' },
    ...(r.risk === 'high' ? { style: 'danger' as const } : {}),
  };
}

function remediationButton(diagnosisId: string, finding: Finding, r: Remediation, runs: boolean): Button {
  const value = encodeRemediateRef({ diagnosisId, cause: finding.cause, remediationId: r.id });
  if (!runs) {
    return { type: 'button', action_id: truncate(`${ACTION.steps}${r.id}`, LIMITS.actionId, ''), text: { type: 'plain_text', text: truncate(`Steps: ${r.title}`, LIMITS.buttonShort) }, value };
  }
  const button: Button = {
    type: 'button',
    action_id: truncate(`${ACTION.remediate}${r.id}`, LIMITS.actionId, ''),
    text: { type: 'plain_text', text: truncate(r.title, LIMITS.buttonShort) },
    value,
  };
  if (r.risk === 'high') button.style = 'danger';
  const confirm = confirmFor(r);
  if (confirm) button.confirm = confirm;
  return button;
}

/**
 * A `possible` finding the target's own history argues against (the engine
 * says so in `details.historyAgainst`: it answered at this address until
 * then): an unlikely alternative, worth one line, not a second critical with
 * fixes that would move clients elsewhere.
 */
export function historyAgainst(finding: Finding): string | undefined {
  const at = finding.details?.historyAgainst;
  return finding.confidence === 'possible' && typeof at === 'string' ? at : undefined;
}

function renderUnlikely(finding: Finding, at: string, view: FindingView): Rendered {
  const c = finding.cause;
  const line = `:information_source: _Possible but unlikely:_ ${escapeMrkdwn(finding.title)} (${code(c)}, possible) — this target answered at this address until ${slackDateOfIso(at)}: the instance there is more likely down than the port wrong.`;
  const on = view.target ? `${view.target}: ` : '';
  return { text: fallback(`note: ${on}${finding.title} (${c}, unlikely)`), blocks: [section(line, `finding:${c}`)] };
}

/** One threaded reply per finding: title + severity, evidence, and a button per remediation. */
export function renderFinding(finding: Finding, diagnosisId: string, view: FindingView = {}): Rendered {
  const c = finding.cause;
  const unlikely = historyAgainst(finding);
  if (unlikely) return renderUnlikely(finding, unlikely, view);
  const runs = view.runs ?? byMode;
  const blocks: KnownBlock[] = [
    section(`${SEVERITY_ICON[finding.severity]} *${escapeMrkdwn(finding.title)}*\nseverity *${finding.severity}* · ${finding.confidence} · cause ${code(c)}`, `finding:${c}`),
  ];
  if (finding.evidence.length > 0) blocks.push(section(evidenceText(finding.evidence), `evidence:${c}`));
  // Remediation ids are unique per finding; a duplicate would make Slack refuse the actions block.
  const seen = new Set<string>();
  const remediations = finding.remediations.filter((r) => !seen.has(r.id) && seen.add(r.id));
  if (remediations.length > 0) {
    blocks.push(section(`*Fixes*\n${remediations.map((r) => remediationLine(r, runs(r))).join('\n')}`, `fixes:${c}`));
    for (let i = 0; i < remediations.length && blocks.length < LIMITS.blocks - 1; i += LIMITS.actionsElements) {
      blocks.push({
        type: 'actions',
        block_id: `actions:${c}:${i / LIMITS.actionsElements}`,
        elements: remediations.slice(i, i + LIMITS.actionsElements).map((r) => remediationButton(diagnosisId, finding, r, runs(r))),
      });
    }
  }
  const on = view.target ? `${view.target}: ` : '';
  return { text: fallback(`${finding.severity}: ${on}${finding.title} (${c})`), blocks: blocks.slice(0, LIMITS.blocks) };
}

/** `target` is what the user asked for (a name or an address), shown escaped. */
export function renderFailure(target: string, reason: string, attempts: number): Rendered {
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return {
    text: fallback(`Diagnosis of ${target} failed${tries}: ${reason}`),
    blocks: [section(`:x: The diagnosis of ${code(target)} failed${tries}: ${escapeMrkdwn(reason)}`, 'failure')],
  };
}
