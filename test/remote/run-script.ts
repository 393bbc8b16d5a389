/** Runs a catalogue script the way the SSH session does (`/bin/sh -s`, script on stdin), but locally. */
import { execFileSync, spawn } from 'node:child_process';
import { preamble } from '../../src/engine/remote/scripts.js';

export interface LocalRun {
  /** The preamble's `s` runs `sudo -n`. */
  sudo?: boolean;
  /** Run as this local account (the caller must be root). */
  user?: string;
  /** HOME, TMPDIR and working directory of the shell. */
  home?: string;
}

function account(user: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8', timeout: 5000 }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

export function runLocally(script: string, opts: LocalRun = {}): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-s'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.user ? account(opts.user) : {}),
      ...(opts.home ? { cwd: opts.home, env: { ...process.env, HOME: opts.home, TMPDIR: opts.home } } : {}),
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
    child.stdin.end(`${preamble(opts.sudo === true)}\n${script}\n`);
  });
}
