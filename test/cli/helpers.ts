/**
 * Helpers for the CLI tests: run the BUILT CLI (`npm run build` first; the
 * package `test` script does), start throwaway redis-server processes on free
 * loopback ports, and count connections on a listener to prove nothing was probed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/cli/main.js');
export const RECORD_MODULES = join(ROOT, 'test/cli/fixtures/record-modules.mjs');

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
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
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

export interface RedisServer {
  port: number;
  stop(): Promise<void>;
}

async function pingOnce(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect({ host: '127.0.0.1', port });
    let data = '';
    s.setTimeout(500, () => { s.destroy(); r(false); });
    s.on('error', () => r(false));
    s.on('connect', () => s.write('PING\r\n'));
    // Any reply (+PONG, -NOAUTH) means the server is accepting commands.
    s.on('data', (c) => { data += c.toString(); if (data.includes('\r\n')) { s.destroy(); r(data.startsWith('+PONG') || data.startsWith('-NOAUTH')); } });
  });
}

/** A throwaway redis-server on a free loopback port; `args` are extra `--directive value` pairs. */
export async function startRedis(args: string[] = []): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), `${uniqueName('rd-cli-redis')}-`));
  const port = await freePort();
  const child: ChildProcess = spawn('/usr/bin/redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', ...args,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async () => {
    if (!exited) {
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await done;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Bounded wait: 100 tries × 50 ms.
  for (let i = 0; i < 100; i++) {
    if (exited) break;
    if (await pingOnce(port)) return { port, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`redis-server on port ${port} did not start`);
}

export function readLog(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}
