/**
 * One CLI invocation: arguments → target → engine → report → exit status.
 *
 * Exit status (INTERFACES.md section 1):
 *   0 healthy · 1 degraded or unreachable · 2 usage or input error · 3 internal error
 *
 * Usage/input errors and internal errors print one line on stderr and nothing
 * on stdout, with or without --json: a script reading stdout gets either one
 * complete document or nothing, and the exit status says which.
 *
 * Start-up cost matters (bench: wall time within 3× `node -e 0`), so only
 * this file, args, the target parser and the redactor load eagerly. The
 * config loader (yaml, zod) loads only when a config file is named or exists
 * or the target is a name; the engine's pipeline loads on the first diagnose()
 * (engine/index.ts), so only once input is valid. Slack,
 * BullMQ and ioredis are never reachable from here.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { resolveTarget, type ResolvedTarget } from '../config/resolve-target.js';
import { diagnose, parseTarget, Redactor, typedUrlPassword, type Diagnosis } from '../engine/index.js';
import { isInputError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { HELP_TEXT, parseArgs, type DiagnoseArgs } from './args.js';
import { createProgress, type ProgressStream } from './progress.js';
import { urlPassword } from './url-password.js';
import { colourWanted, makeStyle, type Style } from './style.js';

export const EXIT = { healthy: 0, problem: 1, usage: 2, internal: 3 } as const;

// Same default as DEFAULT_CONFIG_PATH in config/load.ts, repeated here because
// importing load.ts would pull yaml and zod into every start.
const DEFAULT_CONFIG_FILE = './redis-doctor.yaml';

export interface CliIo {
  argv: readonly string[];
  env: Record<string, string | undefined>;
  stdout: ProgressStream;
  stderr: ProgressStream;
  /** Installed by main.ts so Ctrl-C can clear the progress line and abort the probes. */
  onInterrupt?: (handler: () => void) => void;
}

class InternalError extends Error {
  override name = 'InternalError';
}

/**
 * Secrets known before anything is parsed: a password in any redis:// word of
 * the command line (even a misplaced one that ends up in an error message) and
 * REDISCLI_AUTH. The --password-env value and the resolved password join later.
 */
function seedRedactor(argv: readonly string[], env: CliIo['env']): Redactor {
  const redactor = new Redactor();
  for (const word of argv) {
    redactor.add(urlPassword(word));
    redactor.add(typedUrlPassword(word));
  }
  redactor.add(env.REDISCLI_AUTH);
  return redactor;
}

async function loadConfigIfNeeded(args: DiagnoseArgs, env: CliIo['env'], redactor: Redactor): Promise<{ config?: Config; path: string }> {
  // An empty REDIS_DOCTOR_CONFIG counts as unset, as in config/load.ts.
  const named = args.config ?? (env.REDIS_DOCTOR_CONFIG || undefined);
  const path = named ?? DEFAULT_CONFIG_FILE;
  let isName = false;
  try {
    isName = parseTarget(args.target).kind === 'name';
  } catch {
    // resolveTarget reports the target error with the same message.
  }
  if (named === undefined && !isName && !existsSync(DEFAULT_CONFIG_FILE)) return { path };
  const { loadConfig } = await import('../config/load.js');
  const config = loadConfig(args.config, env as NodeJS.ProcessEnv);
  for (const t of config.targets) if (t.passwordEnv) redactor.add(env[t.passwordEnv]);
  return { config, path };
}

async function resolve(args: DiagnoseArgs, env: CliIo['env'], redactor: Redactor): Promise<ResolvedTarget> {
  const { config, path } = await loadConfigIfNeeded(args, env, redactor);
  const resolved = resolveTarget(args.target, {
    config,
    configPath: existsSync(path) ? path : `${path}: no such file`,
    env,
    flags: args.flags,
  });
  redactor.add(resolved.options.credentials?.password);
  return resolved;
}

function checkDiagnosis(d: Diagnosis): Diagnosis {
  if (!d || !['healthy', 'degraded', 'unreachable'].includes(d.verdict) || !Array.isArray(d.findings) || !Array.isArray(d.checks)) {
    throw new InternalError('the engine returned a malformed diagnosis');
  }
  return d;
}

async function runDiagnose(args: DiagnoseArgs, io: CliIo, redactor: Redactor): Promise<number> {
  const { target, options } = await resolve(args, io.env, redactor);
  // No redaction of whole lines here: the engine replaced secrets in outside text where it entered,
  // and the tool's own words (a password "redis" vs "redis-cli") must stay as written.
  const progress = createProgress(io.stderr, `diagnosing ${target.input}`, (t) => t);
  const abort = new AbortController();
  io.onInterrupt?.(() => {
    progress.stop();
    abort.abort();
  });
  let diagnosis: Diagnosis;
  try {
    diagnosis = checkDiagnosis(await diagnose(target, {
      ...options,
      timeoutMs: args.timeoutMs,
      onProgress: (e) => progress.onProgress(e),
      signal: abort.signal,
    }));
  } finally {
    progress.stop();
  }
  const out = args.json
    ? (await import('./render-json.js')).renderJson(diagnosis)
    : await renderForTerminal(diagnosis, args.brief, makeStyle(colourWanted(io.stdout, io.env)));
  io.stdout.write(out);
  return diagnosis.verdict === 'healthy' ? EXIT.healthy : EXIT.problem;
}

async function renderForTerminal(d: Diagnosis, brief: boolean, style: Style): Promise<string> {
  const text = await import('./render-text.js');
  return brief ? text.renderBrief(d, style) : text.renderText(d, style);
}

function errorLine(err: unknown, redactor: Redactor): { code: number; line: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const message = redactor.redact(e.message.split('\n')[0] ?? '');
  if (isInputError(e)) return { code: EXIT.usage, line: `redis-doctor: ${message}\n` };
  return { code: EXIT.internal, line: `redis-doctor: internal error: ${message}\n` };
}

export async function run(io: CliIo): Promise<number> {
  const redactor = seedRedactor(io.argv, io.env);
  try {
    const args = parseArgs(io.argv);
    if (args.command === 'help') {
      io.stdout.write(HELP_TEXT);
      return EXIT.healthy;
    }
    if (args.command === 'version') {
      io.stdout.write(`redis-doctor ${VERSION}\n`);
      return EXIT.healthy;
    }
    if (args.command === 'mcp') {
      // Stdout is the protocol from here on; the server returns when the client closes stdin.
      const { serveMcp } = await import('../mcp/server.js');
      await serveMcp({ env: io.env as NodeJS.ProcessEnv, ...(args.config ? { configPath: args.config } : {}) });
      return EXIT.healthy;
    }
    if (args.flags.passwordEnv !== undefined) redactor.add(io.env[args.flags.passwordEnv]);
    return await runDiagnose(args, io, redactor);
  } catch (err) {
    const { code, line } = errorLine(err, redactor);
    io.stderr.write(line);
    if (code === EXIT.internal && io.env.REDIS_DOCTOR_DEBUG && err instanceof Error && err.stack) {
      io.stderr.write(`${redactor.redact(err.stack)}\n`);
    }
    return code;
  }
}
