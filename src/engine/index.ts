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
export { CAUSE_IDS, isCauseId } from './model/causes.js';
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

/** One bounded diagnosis of `target` (pipeline/diagnose.ts). */
export async function diagnose(target: DiagnoseTarget, options?: DiagnoseOptions): Promise<Diagnosis> {
  const pipeline = await import('./pipeline/diagnose.js');
  return pipeline.diagnose(target, options);
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
