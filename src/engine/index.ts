/**
 * The engine's one front door: the only module of src/engine/ that code
 * outside it imports (eslint.config.js enforces it). Inside, the rooms are:
 *
 *   model/        the public document model: Diagnosis, Finding, Observations, cause ids, options, targets
 *   pipeline/     one diagnosis: network and remote phases → observations → evaluate → Diagnosis
 *   probes/       one module per network probe (dns, tcp, tls, resp, …) → an observation
 *   remote/       the SSH session, the fixed read-only catalogue and one parser per command
 *   rules/        one module per cause id (the ranking is the order in rules/index.ts); helpers/ holds what they share
 *   remediations/ the fix catalogue, by theme
 *   shared/       small helpers of every room: addresses, the clock, redaction
 *
 * Importing this module is cheap: diagnose() loads the pipeline (probes,
 * rules, remediations) on its first call, so `redis-doctor --version` and the
 * Slack front end's start-up do not pay for it.
 */
import type { DiagnoseOptions, DiagnoseTarget } from './model/options.js';
import type { Diagnosis } from './model/types.js';
import type { UpOptions, UpResult } from './probes/up.js';

export type * from './model/types.js';
export type * from './model/options.js';
export { CAUSE_IDS, isCauseId, LOCATION_CAUSE_IDS } from './model/causes.js';
/** The documents of one target from several probe locations, compared (blocked-from-location). */
export { compareLocations } from './pipeline/compare-locations.js';
export { DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS } from './model/options.js';
export {
  hideUrlPassword,
  isValidHostname,
  isValidTargetName,
  parseTarget,
  printable,
  TargetError,
  typedUrlPassword,
  type ParsedAddress,
  type ParsedName,
  type ParsedTarget,
} from './model/target.js';
export { hostPort } from './shared/address.js';
export { Redactor } from './shared/redact.js';
export { showInvisible } from './shared/text.js';
/** The RESP codec of the probes, for the one command an approved remediation sends (jobs/target-session.ts). */
export { encodeCommand, RespParser, RespProtocolError } from './probes/resp-parser.js';
export { pacedData } from './probes/paced.js';
export type { UpOptions, UpResult, UpStep } from './probes/up.js';
export type { ServerIdentity } from './probes/up-sample.js';
export type { IdleEnd, IdleEnded, IdleHold } from './probes/idle-hold.js';

/** One bounded diagnosis of `target` (pipeline/diagnose.ts). */
export async function diagnose(target: DiagnoseTarget, options?: DiagnoseOptions): Promise<Diagnosis> {
  const pipeline = await import('./pipeline/diagnose.js');
  return pipeline.diagnose(target, options);
}

let severities: Promise<(cause: string | undefined) => number> | undefined;

/**
 * How grave a primary cause is, for ordering what to tell first (the
 * monitor's alerts when Slack rate-limits them): lower is graver. Causes that
 * make the server unusable come first (Rule.impact), each tier in the rules'
 * ranking order (rules/index.ts, the one place it is written); a failure with
 * no cause (`none`, a diagnosis that could not run) comes after the unusable
 * ones and before those that only degrade the server. Loaded on first use,
 * like diagnose().
 */
export async function causeSeverity(): Promise<(cause: string | undefined) => number> {
  severities ??= import('./rules/index.js').then(({ RULES }) => {
    const n = RULES.length;
    const rank = new Map(RULES.map((r, i) => [r.cause as string, (r.impact === 'unusable' ? 0 : n + 1) + i]));
    return (cause) => (cause !== undefined ? rank.get(cause) : undefined) ?? n;
  });
  return severities;
}

let upModule: Promise<typeof import('./probes/up.js')> | undefined;

/**
 * The monitor's cheap up/down probe (probes/up.ts): connect, TLS when asked,
 * [AUTH] [SELECT] PING in one write, one deadline for it all. Loaded on first
 * use, like diagnose().
 */
export async function probeUp(target: DiagnoseTarget, options?: UpOptions): Promise<UpResult> {
  upModule ??= import('./probes/up.js');
  return (await upModule).probeUp(target, options);
}

/**
 * One connection held idle after the up probe's handshake (probes/idle-hold.ts),
 * for the monitor's idle watch: how and after how long idle it is reaped.
 */
export async function holdIdle(target: DiagnoseTarget, options?: UpOptions): Promise<{ result: UpResult; hold?: import('./probes/idle-hold.js').IdleHold }> {
  const mod = await import('./probes/idle-hold.js');
  return mod.holdIdle(target, options);
}
