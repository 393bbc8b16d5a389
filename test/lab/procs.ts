/**
 * Every long-running process the lab starts goes through spawnTracked(), so
 * nothing outlives the test process:
 *  - a registry of live children, killed with SIGKILL when this process exits;
 *  - `setpriv --pdeathsig KILL` where the caller builds the argv with
 *    pdeathsigArgv(): the kernel kills the child if the test process dies
 *    without running its exit hooks (a worker killed by SIGKILL).
 * Other resources that must go on exit (namespaces, mounts) register a
 * synchronous hook with onExitSync().
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();
const exitHooks = new Set<() => void>();
let installed = false;

let cleanedUp = false;

function cleanUp(): void {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  // Last registered first, like nested finally blocks: a mount goes before the directory under it.
  for (const hook of [...exitHooks].reverse()) {
    try {
      hook();
    } catch {
      // best effort: the process is exiting
    }
  }
}

function installExitHandler(): void {
  if (installed) return;
  installed = true;
  process.once('exit', cleanUp);
  // Vitest stops its fork workers with SIGTERM, which skips 'exit' handlers,
  // and it replaces process.exit() in workers. So clean up here, then die of
  // the same signal: with our one-shot listener gone, Node restores the
  // default action.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUp();
      process.kill(process.pid, signal);
    });
  }
}

/** Registers a synchronous cleanup for process exit; returns a function that unregisters it. */
export function onExitSync(hook: () => void): () => void {
  installExitHandler();
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}

/**
 * `setpriv --pdeathsig KILL [extra setpriv options] -- argv…`. Put credential
 * changes (--reuid …) in `setprivOptions`: Linux clears the parent-death signal
 * when a process changes credentials, so it must be set by the same setpriv
 * that drops them (setpriv applies it last).
 */
export function pdeathsigArgv(argv: readonly string[], setprivOptions: readonly string[] = []): string[] {
  return ['setpriv', '--pdeathsig', 'KILL', ...setprivOptions, '--', ...argv];
}

/** spawn() whose child is killed on process exit if it is still running. */
export function spawnTracked(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('spawnTracked: empty argv');
  installExitHandler();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, shell: false });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** True while a process with this pid exists (EPERM: it exists, it is just not ours). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** SIGTERM, wait up to graceMs, then SIGKILL and wait up to 3 s more. Rejects if it still lives. */
export async function stopProcess(child: ChildProcess, graceMs = 1500): Promise<void> {
  if (hasExited(child) || child.pid === undefined) return;
  if (graceMs > 0) {
    child.kill('SIGTERM');
    if (await waitExit(child, graceMs)) return;
  }
  child.kill('SIGKILL');
  if (!(await waitExit(child, 3000))) throw new Error(`process ${child.pid} did not exit after SIGKILL`);
}

export interface ChildOutput {
  /** Everything on stdout so far. */
  stdout(): string;
  /** The complete stderr lines so far (a bot's JSON log). */
  lines(): string[];
  /** The complete lines and the unfinished last one. */
  all(): string[];
}

/** Collects a child's stdout and its stderr as lines. */
export function captureOutput(child: ChildProcess): ChildOutput {
  let out = '';
  let partial = '';
  const lines: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    const parts = (partial + c).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  return { stdout: () => out, lines: () => [...lines], all: () => [...lines, partial] };
}
