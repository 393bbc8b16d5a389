/**
 * Pure renderers for approval requests (INTERFACES.md section 6: buttons
 * `approve:<request-id>` / `deny:<request-id>` whose values are the request
 * id, a reference) and for what follows a decision.
 */
import type { types } from '@slack/bolt';
import type { ApprovalRequest, Decision } from '../../stores/approval-store.js';
import { context, fallback, section, targetLabel, type Rendered } from './elements.js';
import { LIMITS } from './limits.js';
import { code, escapeMrkdwn, mention, truncate } from './mrkdwn.js';
import { ACTION } from '../refs.js';

function what(req: ApprovalRequest): string {
  return `*${escapeMrkdwn(req.remediation.title)}* on ${targetLabel(req.target)} (${code(req.cause)}; risk ${req.remediation.risk}, ${req.remediation.mode})`;
}

function approverLine(approvers: string[]): string {
  return approvers.length > 0
    ? `Approvers: ${approvers.map(mention).join(', ')}`
    : 'No approvers are configured (`access.approvers`): nobody can approve this.';
}

export function renderApprovalRequest(req: ApprovalRequest, approvers: string[]): Rendered {
  const approve: types.Button = {
    type: 'button',
    action_id: `${ACTION.approve}${req.id}`,
    text: { type: 'plain_text', text: 'Approve' },
    style: 'primary',
    value: req.id,
  };
  if (req.remediation.risk === 'high') {
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
    text: fallback(`Approval requested: ${req.remediation.title}`),
    blocks: [
      section(`:raised_hand: ${mention(req.requestedBy)} asks to apply ${what(req)}.`, `approval:${req.id}`),
      context([approverLine(approvers)]),
      { type: 'actions', block_id: `decide:${req.id}`, elements: [approve, deny] },
    ],
  };
}

/** The request message after the decision: the buttons are gone. */
export function renderDecided(req: ApprovalRequest, d: Decision): Rendered {
  const icon = d.decision === 'approved' ? ':white_check_mark:' : ':no_entry_sign:';
  return {
    text: fallback(`${req.remediation.title}: ${d.decision}`),
    blocks: [
      section(`${icon} ${mention(req.requestedBy)} asked to apply ${what(req)}: *${d.decision}* by ${mention(d.by)}.`, `approval:${req.id}`),
      context([`Decided ${d.at} · request ${req.id}`]),
    ],
  };
}

function stepsText(req: ApprovalRequest): string {
  const steps = req.remediation.steps.map((s, i) => `${i + 1}. ${escapeMrkdwn(s)}`).join('\n');
  const verify = req.remediation.verify ? `\n_Verify:_ ${escapeMrkdwn(req.remediation.verify)}` : '';
  return `${steps}${verify}`;
}

/** An approved guided remediation: its steps, in the thread. */
export function renderGuidedSteps(req: ApprovalRequest, d: Decision): Rendered {
  return {
    text: fallback(`Steps for ${req.remediation.title}`),
    blocks: [
      section(`:clipboard: Approved by ${mention(d.by)}. Steps for *${escapeMrkdwn(req.remediation.title)}*:`, `steps:${req.id}`),
      section(stepsText(req)),
    ],
  };
}

/** An approved automatic remediation: recorded; this version does not execute it. */
export function renderAutomaticApproved(req: ApprovalRequest, d: Decision, verifyQueued: boolean): Rendered {
  const verify = verifyQueued
    ? 'A verifying re-diagnosis has been started and will post its result in this thread.'
    : 'The verifying re-diagnosis could not be started: run `/redis-diagnose` again after applying the steps.';
  return {
    text: fallback(`Approved: ${req.remediation.title}`),
    blocks: [
      section(`:white_check_mark: Approved by ${mention(d.by)} and recorded. Automatic execution is not enabled in this version: apply the steps by hand.\n${verify}`, `recorded:${req.id}`),
      section(stepsText(req)),
    ],
  };
}
