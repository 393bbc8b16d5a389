/** The public engine API: what the CLI, the worker and the monitor import. */
export { diagnose } from './diagnose.js';
export { evaluate } from './evaluate.js';
export { parseTarget, TargetError, type ParsedTarget, type ParsedAddress, type ParsedName } from './target.js';
export { CAUSE_IDS, isCauseId } from './causes.js';
export { DEFAULT_TIMEOUT_MS } from './options.js';
export type * from './types.js';
export type * from './options.js';
