/**
 * The bot as users run it, in a process of its own: `node dist/main.js`
 * (`npm start`), built by `npm test`. Each process gets its own PORT; its JSON log lines (stderr)
 * are kept so a test can read what it said. stop() sends SIGTERM (the
 * graceful path) and waits for the exit; kill() is SIGKILL.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pollUntil } from '../../lab/poll.js';
import { freePort } from '../../lab/ports.js';
import { hasExited, pdeathsigArgv, spawnTracked } from '../../lab/procs.js';
import { assertNoPlantedSecret, plantEnvSecrets } from '../../lab/secrets.js';

const ROOT = resolve(import.meta.dirname, '../../..');

export interface BotProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** JSON log lines so far (and any other stderr lines). */
  lines(): string[];
  /** Lines whose msg matches. */
  logged(msg: string | RegExp): Record<string, unknown>[];
  exit: Promise<number | null>;
  /** SIGTERM, then the exit code (bounded). */
  stop(ms?: number): Promise<number | null>;
  kill(): Promise<void>;
}

function builtEntry(): string {
  const path = join(ROOT, 'dist', 'main.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run build" first (npm test does)`);
  return path;
}

export async function startBotProcess(env: NodeJS.ProcessEnv, opts: { waitHealthy?: boolean } = {}): Promise<BotProcess> {
  plantEnvSecrets(env);
  const port = await freePort();
  const child = spawnTracked(pdeathsigArgv([process.execPath, builtEntry()]), {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'debug', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let buffer = '';
  const lines: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const proc: BotProcess = {
    child, port, url, exit,
    lines: () => [...lines],
    logged: (msg) => lines.flatMap((l) => {
      try {
        const o = JSON.parse(l) as Record<string, unknown>;
        const m = String(o.msg ?? '');
        return (typeof msg === 'string' ? m === msg : msg.test(m)) ? [o] : [];
      } catch {
        return [];
      }
    }),
    stop: async (ms = 15_000) => {
      if (!hasExited(child)) child.kill('SIGTERM');
      const code = await Promise.race([exit, new Promise<number | null>((_, reject) => setTimeout(() => reject(new Error(`no exit within ${ms} ms of SIGTERM`)), ms))]);
      assertNoPlantedSecret('the bot process log', lines.join('\n'));
      return code;
    },
    kill: async () => {
      if (!hasExited(child)) child.kill('SIGKILL');
      await exit;
      assertNoPlantedSecret('the bot process log', lines.join('\n'));
    },
  };
  if (opts.waitHealthy !== false) {
    await pollUntil(async () => {
      if (hasExited(child)) throw new Error(`the bot process exited: ${lines.slice(-5).join('\n')}`);
      const r = await fetch(`${url}/healthz`).catch(() => undefined);
      return r?.ok ? true : undefined;
    }, { what: 'the bot process /healthz', timeoutMs: 20_000, intervalMs: 50, stopOn: (e) => e instanceof Error && e.message.startsWith('the bot process exited') });
  }
  return proc;
}
