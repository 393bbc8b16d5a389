/** Runs a catalogue script the way the SSH session does (`/bin/sh -s`, script on stdin), but locally. */
import { spawn } from 'node:child_process';
import { preamble } from '../../src/engine/remote/scripts.js';

export function runLocally(script: string, sudo = false): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
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
    child.stdin.end(`${preamble(sudo)}\n${script}\n`);
  });
}
