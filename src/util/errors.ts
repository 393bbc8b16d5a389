/**
 * One shape for the failures we raise on purpose (after bolt-js's CodedError):
 * a code that callers branch on, and whether trying again can help. Anything
 * that is not a CodedError is unexpected: a bug, or a library failing in a way
 * we did not foresee. Subclasses keep their own `name` for logs and messages.
 */
export type ErrorCode =
  /** CLI usage: an unknown option, a missing value. */
  | 'args'
  /** The YAML config file or the process environment. */
  | 'config'
  /** A target that cannot be turned into what the engine needs (unknown name, unset passwordEnv …). */
  | 'resolve'
  /** A malformed target string. */
  | 'target'
  /** The bot's admission policy refused a target (ad-hoc off, outside adHocNetworks …). */
  | 'target-refused'
  /** The queue Redis cannot take a job right now. */
  | 'queue-down'
  /** Slack refused a post or did not answer it. */
  | 'slack-post'
  /** A remediation's target could not be reached or refused our credentials before anything was sent. */
  | 'target-connect'
  /** A remediation job that must not (or need not) run: not approved, already run, refused by policy. */
  | 'remediation'
  /** A probe location could not take or answer a job (no worker serves it, it refused the target). */
  | 'location';

export class CodedError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly retryable = false) {
    super(message);
  }
}

/** Mistakes in what a person typed or configured: exit status 2 in the CLI, a plain answer in Slack. */
const INPUT_CODES: ReadonlySet<ErrorCode> = new Set(['args', 'config', 'resolve', 'target']);

export function isInputError(err: unknown): err is CodedError {
  return err instanceof CodedError && INPUT_CODES.has(err.code);
}

/** A failure that will happen again however often it is retried. */
export function isPermanent(err: unknown): boolean {
  return err instanceof CodedError && !err.retryable;
}
