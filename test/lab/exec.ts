/**
 * Run a lab command (ip, iptables, openssl, redis-cli, mount …) with an argv
 * array — never through a shell — and a hard time bound, so a wedged command
 * fails the test instead of hanging it. which() finds a binary for the guards.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd argv…`; resolves with the exit code whatever it is (spawn errors reject). */
export function run(cmd: string, argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      argv,
      { timeout: options.timeoutMs ?? 10_000, killSignal: 'SIGKILL', env: options.env ?? process.env, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          // Not an exit status: ENOENT, or killed by our time bound.
          const why = error.killed ? `timed out after ${options.timeoutMs ?? 10_000} ms` : error.message;
          reject(new Error(`${cmd} ${argv.join(' ')}: ${why}`));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like run(), but a non-zero exit rejects with the command's stderr. Returns stdout. */
export async function runOk(cmd: string, argv: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(cmd, argv, options);
  if (result.code !== 0) {
    throw new Error(`${cmd} ${argv.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}

// PATH as tests see it may lack the sbin directories where ip and iptables live.
const SEARCH = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Absolute path of an executable found on PATH (or sbin), or undefined. */
export function which(name: string): string | undefined {
  for (const dir of SEARCH) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
