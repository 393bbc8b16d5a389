/**
 * A worker process with short BullMQ stall settings (test/slack/helpers/worker-child.mjs:
 * the TypeScript sources, as `npm run worker` runs them): so a test can SIGKILL it mid-job
 * and see another worker take the job over within seconds, not BullMQ's default 30 s lock.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pollUntil } from '../../lab/poll.js';
import { hasExited, pdeathsigArgv, spawnTracked } from '../../lab/procs.js';
import { assertNoPlantedSecret } from '../../lab/secrets.js';

const CHILD = join(import.meta.dirname, '..', '..', 'slack', 'helpers', 'worker-child.mjs');

export const SHORT_STALLS = { lockDurationMs: 2000, stalledIntervalMs: 250, maxStalledCount: 2 };

export interface WorkerChild {
  child: ChildProcess;
  lines(): string[];
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startWorkerChild(env: NodeJS.ProcessEnv, stalls = SHORT_STALLS): Promise<WorkerChild> {
  const { SLACK_SIGNING_SECRET: _unused, ...rest } = env;
  const child = spawnTracked(pdeathsigArgv([process.execPath, CHILD, JSON.stringify(stalls)]), { env: { ...rest, PORT: '0' } });
  let out = '';
  const lines: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { lines.push(...c.split('\n').filter(Boolean)); });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await pollUntil(async () => {
    if (hasExited(child)) throw new Error(`worker process exited: ${lines.slice(-5).join('\n')}`);
    return out.includes('\n') ? true : undefined;
  }, { what: 'the worker process to start', timeoutMs: 30_000, intervalMs: 50, stopOn: (e) => e instanceof Error && e.message.startsWith('worker process exited') });
  return {
    child,
    lines: () => [...lines],
    kill: async (signal = 'SIGKILL') => {
      if (!hasExited(child)) child.kill(signal);
      const code = await exit;
      assertNoPlantedSecret('the worker process log', lines.join('\n'));
      return code;
    },
  };
}
