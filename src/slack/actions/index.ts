/** Every button of the bot, one module per kind (INTERFACES.md section 6). */
import type { App } from '@slack/bolt';
import { registerAlertActions } from './alerts.js';
import { registerApprovalActions } from './approvals.js';
import { actionContext, type ActionDeps, type RegisterActions } from './context.js';
import { registerRecheckActions } from './recheck.js';

export type { ActionDeps } from './context.js';

const HANDLERS: RegisterActions[] = [registerApprovalActions, registerRecheckActions, registerAlertActions];

export function registerActions(app: App, deps: ActionDeps): void {
  const ctx = actionContext(deps);
  for (const register of HANDLERS) register(app, ctx);
}
