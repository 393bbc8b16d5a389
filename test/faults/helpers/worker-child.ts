/**
 * A worker process as `npm run worker` runs one (test/slack/helpers/worker-child.mjs:
 * the TypeScript sources), so a test can SIGKILL it mid-job. By default with
 * short BullMQ stall settings: another worker takes a killed one's job over
 * within seconds, not BullMQ's default 30 s lock.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BotOptions } from '../../../src/bot.js';
import { pollUntil } from '../../lab/poll.js';
import { captureOutput, hasExited, pdeathsigArgv, spawnTracked } from '../../lab/procs.js';
import { assertNoPlantedSecret } from '../../lab/secrets.js';

const CHILD = join(import.meta.dirname, '..', '..', 'slack', 'helpers', 'worker-child.mjs');

export const SHORT_STALLS = { lockDurationMs: 2000, stalledIntervalMs: 250, maxStalledCount: 2 };

export interface WorkerChildOptions {
  /** The child's BotOptions (sent as JSON, so timings only); default `{ stalls: SHORT_STALLS }`. */
  bot?: Pick<BotOptions, 'monitor' | 'stalls'>;
  /** Variables set on top of the given environment (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
}

export interface WorkerChild {
  child: ChildProcess;
  /** From the child's first stdout line: its health port and its pid. */
  port: number;
  pid: number;
  /** Its stderr (JSON log) lines so far. */
  lines(): string[];
  /** Sends the signal (default SIGKILL) unless it has exited, waits for the exit, checks its log for planted secrets. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startWorkerChild(env: NodeJS.ProcessEnv, o: WorkerChildOptions = {}): Promise<WorkerChild> {
  const { SLACK_SIGNING_SECRET: _unused, ...rest } = env;
  const argv = [process.execPath, CHILD, JSON.stringify(o.bot ?? { stalls: SHORT_STALLS })];
  const child = spawnTracked(pdeathsigArgv(argv), { env: { ...rest, PORT: '0', ...o.env } });
  const output = captureOutput(child);
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const started = await pollUntil(async () => {
    if (hasExited(child)) throw new Error(`worker process exited: ${output.lines().slice(-5).join('\n')}`);
    return output.stdout().includes('\n') ? (JSON.parse(output.stdout().split('\n')[0]!) as { port: number; pid: number }) : undefined;
  }, { what: 'the worker process to start', timeoutMs: 30_000, intervalMs: 50, stopOn: (e) => e instanceof Error && e.message.startsWith('worker process exited') });
  return {
    child,
    port: started.port,
    pid: started.pid,
    lines: output.lines,
    kill: async (signal = 'SIGKILL') => {
      if (!hasExited(child)) child.kill(signal);
      const code = await exit;
      assertNoPlantedSecret('the worker process log', output.all().join('\n'));
      return code;
    },
  };
}
