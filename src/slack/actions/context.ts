/**
 * What every button handler shares: its dependencies, a private answer to
 * whoever clicked, and the audit write. One module per kind of button beside
 * this one (approvals.ts: remediate/approve/deny; recheck.ts …), registered in
 * index.ts.
 */
import type { App, BlockAction } from '@slack/bolt';
import type { Config } from '../../config/schema.js';
import type { Dispatcher } from '../../jobs/dispatcher.js';
import type { RemediateQueue } from '../../jobs/remediate-queue.js';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import type { IncidentActions } from '../../monitor/incident-actions.js';
import type { ApprovalStore } from '../../stores/approval-store.js';
import type { AuditRecord } from '../../stores/audit-log.js';
import type { DiagnosisStore } from '../../stores/diagnosis-store.js';
import type { Reporter } from '../reporter.js';
import { section } from '../views/elements.js';

export interface ActionDeps {
  config: Config;
  store: DiagnosisStore;
  approvals: ApprovalStore;
  dispatcher: Dispatcher;
  reporter: Reporter;
  metrics: Metrics;
  log: Logger;
  /** The `remediate` queue: an approved automatic fix becomes one job. */
  remediations: RemediateQueue;
  /** The clock decisions and expiry are judged by (tests move it). */
  now?: () => number;
  /**
   * What a `recheck:<ref>` button's reference names: ref kind (the part before
   * the first '.') → the target input (a config name or admitted address) it
   * refers to, or undefined when it is no longer known. A RecheckTarget also
   * says how the re-diagnosis is headed and whether it verifies a fix.
   */
  recheckTargets?: Record<string, (id: string) => Promise<RecheckTarget | undefined>>;
  /** The monitor's incidents, for the `ack:` and `snooze:` buttons of alerts (when `alerts:` is configured). */
  alerts?: IncidentActions;
}

export interface RecheckTarget {
  input: string;
  /**
   * The channel what the reference names was posted in: a click from any other channel is
   * refused (a copied or forged value must not post a diagnosis where it was never asked for).
   * Undefined: none is recorded, and the click is refused as well.
   */
  channel: string | undefined;
  /** Replaces the default heading ("Re-check of this target"). */
  heading?: string;
  /** The re-diagnosis checks a fix: its verdict reads `verified: healthy` or names what is still wrong. */
  verifies?: string;
}

export interface ActionContext extends ActionDeps {
  /**
   * An ephemeral answer to whoever clicked, through the click's response_url.
   * Not Bolt's respond(): its HTTP client has no timeout, so a response_url
   * that never answers would hold the handler forever; the Reporter's is bounded.
   */
  tell(body: BlockAction, text: string): Promise<void>;
  /** A JSON log line and an entry in the audit stream. */
  audit(record: AuditRecord): Promise<void>;
}

export function actionContext(deps: ActionDeps): ActionContext {
  return {
    ...deps,
    tell: async (body, text) => {
      await deps.reporter.respond(body.response_url, { text, blocks: [section(text)] });
    },
    audit: async (record) => {
      await deps.approvals.audit.append(record);
    },
  };
}

export type RegisterActions = (app: App, ctx: ActionContext) => void;
