/**
 * Two probe locations as network namespaces for the locations tests: a queue
 * Redis and a diagnosed Redis, both real redis-servers on the host ends of
 * the veths (namespaces cannot reach the host's loopback), and one worker
 * process per location started through `ip netns exec` with
 * REDIS_DOCTOR_LOCATION and its own config file — no Slack variable, no PORT.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '../lab/poll.js';
import { captureOutput, hasExited, spawnTracked } from '../lab/procs.js';
import type { Netns } from '../lab/netns.js';
import type { Call, SlackDouble } from '../slack/helpers/slack-double.js';

const CHILD = join(import.meta.dirname, '..', 'slack', 'helpers', 'worker-child.mjs');

export interface LocationWorker {
  child: ChildProcess;
  lines(): string[];
  kill(): Promise<void>;
}

/** Starts `npm run worker`'s bot in `ns` (or here) as location `location`; resolves once it has started (or rejects with its log). */
export async function startLocationWorker(ns: Netns | undefined, env: Record<string, string>, bot: Record<string, unknown> = {}): Promise<LocationWorker> {
  const argv = [process.execPath, CHILD, JSON.stringify(bot)];
  const options = { env: { PATH: process.env.PATH ?? '', ...env } };
  const child = ns ? ns.spawn(argv, options) : spawnTracked(argv, options);
  const output = captureOutput(child);
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  await pollUntil(async () => {
    if (hasExited(child)) throw new Error(`location worker exited: ${output.all().join('\n').slice(-4000)}`);
    return output.stdout().includes('\n') ? true : undefined;
  }, { what: 'the location worker to start', timeoutMs: 90_000, intervalMs: 50, stopOn: (e) => e instanceof Error && e.message.startsWith('location worker exited') });
  return {
    child,
    lines: output.lines,
    kill: async () => {
      if (!hasExited(child)) child.kill('SIGKILL');
      await Promise.race([exit, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
}

/** Writes a config file into `dir`; returns its path. */
export function writeConfig(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The parent of the latest location diagnosis (posted after `since`) once every location answered, and its thread. */
export async function locationRun(double: SlackDouble, since: number): Promise<{ parent: Call; thread: Call[] }> {
  let parentTs = '';
  await double.waitFor('the location parent to be updated with the verdicts', (calls) => {
    const u = calls.find((c) => c.at >= since && c.method === 'chat.update' && (c.body.blocks ?? []).some((b) => b.block_id === 'locations-heading'));
    parentTs = u?.body.ts ?? '';
    return u !== undefined;
  }, 60_000);
  // The thread is posted after the update: wait until its headers are all there.
  await new Promise((r) => setTimeout(r, 1500));
  const parent = [...double.calls].reverse().find((c) => c.method === 'chat.update' && c.body.ts === parentTs)!;
  return { parent, thread: double.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === parentTs) };
}
