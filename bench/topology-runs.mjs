// Runs the engine against several targets round-robin in this one process
// and prints one JSON line: { <label>: [{ durationMs, verdict, primaryCause, checks }], … }.
// Round-robin, so load from other processes on the box falls on every target
// alike. bench/topology.mjs starts it.
//   node bench/topology-runs.mjs '<targets JSON>' <runs> <timeoutMs>
// Each target: { label, host, port, topology?, engine? } — `engine` is the path of
// another build's dist/engine/pipeline/diagnose.js (a baseline measured in the same run).
import { pathToFileURL } from 'node:url';
import { diagnose as current } from '../dist/engine/pipeline/diagnose.js';

const [targetsJson, runsText, timeoutText] = process.argv.slice(2);
const targets = JSON.parse(targetsJson);
const runs = Math.min(200, Math.max(1, Number(runsText)));
const timeoutMs = Number(timeoutText);

const engines = new Map();
for (const t of targets) {
  if (t.engine && !engines.has(t.engine)) engines.set(t.engine, (await import(pathToFileURL(t.engine).href)).diagnose);
}
const run = (t) => (t.engine ? engines.get(t.engine) : current)(
  { input: `${t.host}:${t.port}`, host: t.host, port: t.port, tls: false },
  { timeoutMs, ...(t.topology ? { topology: t.topology } : {}) },
);

// One unmeasured run of each first: the first diagnose pays for loading the modules.
for (const t of targets) await run(t);
const results = Object.fromEntries(targets.map((t) => [t.label, []]));
for (let i = 0; i < runs; i++) {
  for (const t of targets) {
    const d = await run(t);
    results[t.label].push({ durationMs: d.durationMs, verdict: d.verdict, primaryCause: d.primaryCause, checks: d.checks.length });
  }
}
process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);
