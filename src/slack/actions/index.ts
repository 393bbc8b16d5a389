/** Every button of the bot, one module per kind (INTERFACES.md section 6). */
import type { App } from '@slack/bolt';
import { ACTION } from '../refs.js';
import { registerAlertActions } from './alerts.js';
import { approvalRechecks, registerApprovalActions } from './approvals.js';
import { actionContext, type ActionDeps, type RegisterActions } from './context.js';
import { registerRecheckActions } from './recheck.js';
import { registerStepsActions } from './steps.js';
import { registerUnknownActions } from './unknown.js';

export type { ActionDeps } from './context.js';

/** Each module and the action-id kinds (refs.ts ACTION) it answers; every other action id gets unknown.ts's answer. */
const HANDLERS: { kinds: (keyof typeof ACTION)[]; register: RegisterActions }[] = [
  { kinds: ['remediate', 'approve', 'deny'], register: registerApprovalActions },
  { kinds: ['steps'], register: registerStepsActions },
  { kinds: ['recheck'], register: registerRecheckActions },
  { kinds: ['ack', 'snooze'], register: registerAlertActions },
];

export function registerActions(app: App, deps: ActionDeps): void {
  const ctx = actionContext({ ...deps, recheckTargets: { ...approvalRechecks(deps), ...deps.recheckTargets } });
  for (const { register } of HANDLERS) register(app, ctx);
  registerUnknownActions(app, ctx, HANDLERS.flatMap((h) => h.kinds.map((k) => ACTION[k])));
}
