/**
 * diagnose() in a child process inside a network namespace: for states the
 * test process itself must not be in, such as a resolver that answers
 * NXDOMAIN (dns.ts). The child is `ip netns exec <ns> node diagnose-child.mjs`;
 * target and options go in as JSON on stdin, the Diagnosis comes back as JSON.
 */
import { fileURLToPath } from 'node:url';
import type { DiagnoseOptions, DiagnoseTarget } from '../../src/engine/model/options.js';
import type { Diagnosis } from '../../src/engine/model/types.js';
import type { Netns } from './netns.js';

/** The options that survive JSON: no signal, no progress callback. */
export type PlainDiagnoseOptions = Omit<DiagnoseOptions, 'signal' | 'onProgress'>;

const CHILD = fileURLToPath(new URL('./diagnose-child.mjs', import.meta.url));

export async function diagnoseInNetns(
  netns: Netns,
  target: DiagnoseTarget,
  options: PlainDiagnoseOptions = {},
  timeoutMs = 20_000,
): Promise<Diagnosis> {
  const stdout = await netns.exec([process.execPath, CHILD], { input: JSON.stringify({ target, options }), timeoutMs });
  return JSON.parse(stdout) as Diagnosis;
}
