/**
 * Pure renderers for approval requests (INTERFACES.md section 6: buttons
 * `approve:<request-id>` / `deny:<request-id>` whose values are the request
 * id, a reference) and for everything that follows: the request message
 * edited once decided (buttons gone: who, when, what ran, its reply), the
 * steps of a guided fix with a `recheck:` button, and the outcome reply.
 * Everything that came from a server or a person is escaped.
 */
import type { types } from '@slack/bolt';
import type { ActionPlan } from '../../jobs/remediation-action.js';
import { commandText, type ApprovalRequest, type Ledger } from '../../stores/approval-store.js';
import { STATE_WORDS, type RequestState } from '../../stores/remediation-states.js';
import { address, context, fallbackMrkdwn, packSections, recheckButton, section, slackDateOfIso, targetLabel, type Rendered } from './elements.js';
import { stepLines } from './steps.js';
import { LIMITS } from './limits.js';
import { code, escapeMrkdwn, mention, truncate } from './mrkdwn.js';
import { ACTION, recheckRef } from '../refs.js';

/** The recheck reference kind of an approval request: `recheck:a.<request-id>`. */
export const APPROVAL_RECHECK_KIND = 'a';

/** What will happen, not the catalogue's mode: an automatic fix on a `fixes: guided` target is guided. */
function modeWord(req: ApprovalRequest, plan: ActionPlan['plan'] | undefined): string {
  if (plan === 'run') return 'runs one command';
  if (plan === 'steps') return 'guided: nothing is run';
  return req.remediation.mode === 'automatic' ? 'automatic' : 'guided';
}

function what(req: ApprovalRequest, plan: ActionPlan['plan'] | undefined): string {
  return `*${escapeMrkdwn(req.remediation.title)}* on ${targetLabel(req.target)} (${code(req.cause)}; risk ${req.remediation.risk}, ${modeWord(req, plan)})`;
}

/** The push text's subject, escaped: `cache-prod: raise maxmemory (memory-limit-reached)`. */
function subject(req: ApprovalRequest): string {
  return escapeMrkdwn(`${req.target.name ?? address(req.target)}: ${req.remediation.title} (${req.cause})`);
}

function approverLine(approvers: string[], selfApproval: boolean): string {
  if (approvers.length === 0) return 'No approvers are configured (`access.approvers`): nobody can approve this.';
  return `Approvers: ${approvers.map(mention).join(', ')}${selfApproval ? '' : ' (not the person who asked)'}`;
}

function planText(plan: ActionPlan, req: ApprovalRequest): string {
  if (plan.plan === 'run') return `On approval redis-doctor sends this command to ${targetLabel(req.target)}, once: ${code(plan.argv.join(' '))}`;
  return `On approval its steps are posted in this thread; nothing is run (${plan.why}).`;
}

export interface RequestView {
  approvers: string[];
  selfApproval: boolean;
  plan: ActionPlan;
}

export function renderApprovalRequest(req: ApprovalRequest, view: RequestView): Rendered {
  const approve: types.Button = {
    type: 'button',
    action_id: `${ACTION.approve}${req.id}`,
    text: { type: 'plain_text', text: 'Approve' },
    style: 'primary',
    value: req.id,
  };
  // Asked before approving what runs; approving steps changes nothing on the server.
  if (req.remediation.risk === 'high' && view.plan.plan === 'run') {
    approve.confirm = {
      title: { type: 'plain_text', text: 'Approve a high-risk change?' },
      text: { type: 'mrkdwn', text: truncate(`${escapeMrkdwn(req.remediation.title)} can disrupt clients of this Redis.`, LIMITS.confirmText) },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
    };
  }
  const deny: types.Button = { type: 'button', action_id: `${ACTION.deny}${req.id}`, text: { type: 'plain_text', text: 'Deny' }, style: 'danger', value: req.id };
  return {
    text: fallbackMrkdwn(`Approval requested by ${mention(req.requestedBy)} for ${subject(req)}`),
    blocks: [
      section(`:raised_hand: ${mention(req.requestedBy)} asks to apply ${what(req, view.plan.plan)}.`, `approval:${req.id}`),
      section(planText(view.plan, req), `plan:${req.id}`),
      context([approverLine(view.approvers, view.selfApproval), `Expires ${slackDateOfIso(req.expiresAt)} · request ${req.id}`]),
      { type: 'actions', block_id: `decide:${req.id}`, elements: [approve, deny] },
    ],
  };
}

const STATE_ICON: Record<RequestState, string> = {
  pending: ':hourglass:',
  approved: ':white_check_mark:',
  denied: ':no_entry_sign:',
  expired: ':alarm_clock:',
  withdrawn: ':wastebasket:',
  running: ':gear:',
  applied: ':white_check_mark:',
  failed: ':x:',
  unknown: ':warning:',
  refused: ':no_entry:',
};

/** What was (or is being) done, line by line: who decided when, the command, its reply, why it ended so. */
function facts(l: Ledger): string[] {
  const req = l.request;
  const lines: string[] = [];
  if (l.decidedBy && l.decidedAt) lines.push(`${l.state === 'denied' ? 'Denied' : 'Approved'} by ${mention(l.decidedBy)} at ${slackDateOfIso(l.decidedAt)}.`);
  const command = commandText(req.remediation.redisCommand);
  if (l.plan === 'run' && command) {
    if (l.state === 'approved' || l.state === 'running') lines.push(`Running ${code(command)} on ${targetLabel(req.target)} (once)…`);
    else if (l.sent) lines.push(`Ran ${code(command)} on ${targetLabel(req.target)}${l.startedAt ? ` at ${slackDateOfIso(l.startedAt)}` : ''}.`);
    else if (l.state !== 'denied' && l.state !== 'expired') lines.push(`${code(command)} was not sent.`);
  }
  if (l.plan === 'steps' && l.state === 'approved') lines.push('Guided: the steps are posted in this thread; nothing was run.');
  if (l.reply !== undefined) lines.push(`Reply: ${code(truncate(l.reply, 500))}`);
  if (l.reason) lines.push(escapeMrkdwn(l.reason));
  return lines;
}

/** The request message once it is no longer pending: the buttons are gone. */
export function renderRequestStatus(l: Ledger): Rendered {
  const req = l.request;
  const state = l.plan === 'steps' && l.state === 'approved' ? 'approved (guided)' : STATE_WORDS[l.state];
  const lines = facts(l);
  return {
    text: fallbackMrkdwn(`${subject(req)}: ${escapeMrkdwn(state)}${l.decidedBy ? ` by ${mention(l.decidedBy)}` : ''}`),
    blocks: [
      section(`${STATE_ICON[l.state]} ${mention(req.requestedBy)} asked to apply ${what(req, l.plan)}: *${state}*.`, `approval:${req.id}`),
      ...(lines.length > 0 ? [section(lines.join('\n'), `status:${req.id}`)] : []),
      context([`Asked ${slackDateOfIso(req.createdAt)} · request ${req.id}`]),
    ],
  };
}

/** An approved guided fix: its steps, and a button for the verifying re-diagnosis once they are applied. */
export function renderGuidedSteps(l: Ledger): Rendered {
  const req = l.request;
  const blocks: types.KnownBlock[] = [
    section(`:clipboard: Approved by ${mention(l.decidedBy ?? '')}. Steps for *${escapeMrkdwn(req.remediation.title)}* — redis-doctor runs nothing; apply them, then re-check:`, `steps:${req.id}`),
  ];
  packSections(blocks, stepLines(req.remediation), 1);
  blocks.push({ type: 'actions', block_id: `verify:${req.id}`, elements: [recheckButton(recheckRef(APPROVAL_RECHECK_KIND, req.id), 'Re-check: is it fixed?')] });
  return { text: fallbackMrkdwn(`Steps for ${subject(req)}, approved by ${mention(l.decidedBy ?? '')}`), blocks };
}

const OUTCOME_LINE: Partial<Record<RequestState, string>> = {
  applied: ':white_check_mark: Applied',
  failed: ':x: Failed',
  unknown: ':warning: Outcome unknown',
  refused: ':no_entry: Not run',
};

/**
 * An approved fix that did not run because no worker serves its probe
 * location (jobs/location-remediate.ts): nothing was sent and the approval
 * stands; the button (an `approve:` click, approvers only) queues it again.
 */
export function renderNotRun(l: Ledger, reason: string): Rendered {
  const req = l.request;
  const command = commandText(req.remediation.redisCommand) ?? '';
  const t = `:hourglass: Not run yet: ${code(command)} on ${targetLabel(req.target)} — ${escapeMrkdwn(truncate(reason, 300))}. Nothing was sent; the approval stands. An approver can run it once a worker serves that location:`;
  return {
    text: fallbackMrkdwn(`${subject(req)}: not run yet (${escapeMrkdwn(truncate(reason, 120))})`),
    blocks: [
      section(t, `not-run:${req.id}`),
      { type: 'actions', block_id: `retry:${req.id}`, elements: [{ type: 'button', action_id: truncate(`${ACTION.approve}${req.id}`, LIMITS.actionId, ''), text: { type: 'plain_text', text: 'Run it now' }, value: req.id }] },
    ],
  };
}

/** The thread reply after the worker is done with an automatic fix. */
export function renderOutcome(l: Ledger, verifying: boolean): Rendered {
  const req = l.request;
  const head = OUTCOME_LINE[l.state] ?? STATE_WORDS[l.state];
  const command = commandText(req.remediation.redisCommand) ?? '';
  const lines = [
    `${head}: ${code(command)} on ${targetLabel(req.target)}${l.decidedBy ? `, approved by ${mention(l.decidedBy)}` : ''}.`,
    ...(l.reply !== undefined ? [`Reply: ${code(truncate(l.reply, 500))}`] : []),
    ...(l.reason ? [escapeMrkdwn(l.reason)] : []),
    ...(l.state === 'unknown' ? ['It is not sent again: check the server (CONFIG GET, INFO) before asking for it once more.'] : []),
    verifying ? 'A verifying re-diagnosis follows in this thread.' : '',
  ].filter((x) => x !== '');
  const by = l.decidedBy ? `, approved by ${mention(l.decidedBy)}` : '';
  return { text: fallbackMrkdwn(`${subject(req)}: ${escapeMrkdwn(STATE_WORDS[l.state])}${by}`), blocks: [section(lines.join('\n'), `outcome:${req.id}`)] };
}
