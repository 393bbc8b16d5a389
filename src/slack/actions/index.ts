/** Every button of the bot, one module per kind (INTERFACES.md section 6). */
import type { App } from '@slack/bolt';
import { approvalRechecks, registerApprovalActions } from './approvals.js';
import { actionContext, type ActionDeps, type RegisterActions } from './context.js';
import { registerRecheckActions } from './recheck.js';

export type { ActionDeps } from './context.js';

const HANDLERS: RegisterActions[] = [registerApprovalActions, registerRecheckActions];

export function registerActions(app: App, deps: ActionDeps): void {
  const ctx = actionContext({ ...deps, recheckTargets: { ...approvalRechecks(deps), ...deps.recheckTargets } });
  for (const register of HANDLERS) register(app, ctx);
}
