/**
 * Helpers for the CLI tests: run the BUILT CLI (`npm run build` first; the
 * package `test` script does) and count connections on a listener to prove
 * nothing was probed. redis-server processes come from test/lab.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertNoPlantedSecret, plantEnvSecrets } from '../lab/secrets.js';

// Real redis-server processes and free ports come from the shared lab.
export { startRedis, type RedisServer } from '../lab/redis.js';
export { freePort } from '../lab/ports.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/cli/main.js');
export const RECORD_MODULES = join(ROOT, 'test/cli/fixtures/record-modules.mjs');

/** The engine's entry module, unbundled (dist/engine/pipeline/diagnose.js) or as the CLI bundle's chunk. */
export const ENGINE_MODULE = /\/dist\/(engine\/pipeline\/diagnose\.js|cli\/chunks\/diagnose-[\w-]+\.js)$/;

export function ensureBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let counter = 0;
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** A clean environment: nothing from the developer's shell (REDISCLI_AUTH, NO_COLOR, a config path) leaks in. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extra };
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Extra node flags, e.g. ['--import', RECORD_MODULES]. */
  nodeArgs?: string[];
}

/** Runs `node dist/cli/main.js …`; killed after 20 s so a hang fails the test instead of stalling it. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  if (opts.env) plantEnvSecrets(opts.env);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, ...args], {
      env: opts.env ?? baseEnv(),
      cwd: opts.cwd ?? tmpdir(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // The shared secrets assertion (lab/secrets.ts): what the CLI printed holds no planted password.
      try {
        assertNoPlantedSecret('the CLI stdout', stdout);
        assertNoPlantedSecret('the CLI stderr', stderr);
      } catch (err) {
        reject(err as Error);
        return;
      }
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A TCP listener that counts connections: the "would-be" endpoint of a refused input. */
export async function countingListener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, connections: () => count, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export function readLog(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}
