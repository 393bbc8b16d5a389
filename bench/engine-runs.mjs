// Runs the engine N times against one target in this process and prints one
// JSON line: [{ durationMs, verdict, primaryCause }, …]. bench/run.mjs starts
// it directly (healthy, refused) or inside a network namespace (dropped).
//   node bench/engine-runs.mjs <host> <port> <runs> <timeoutMs>
import { diagnose } from '../dist/engine/pipeline/diagnose.js';

const [host, portText, runsText, timeoutText] = process.argv.slice(2);
const port = Number(portText);
const runs = Math.min(100, Math.max(1, Number(runsText)));
const timeoutMs = Number(timeoutText);
const target = { input: `${host}:${port}`, host, port, tls: false };

// One unmeasured run first: the first diagnose pays for loading the probe and rule modules.
await diagnose(target, { timeoutMs });
const results = [];
for (let i = 0; i < runs; i++) {
  const d = await diagnose(target, { timeoutMs });
  results.push({ durationMs: d.durationMs, verdict: d.verdict, primaryCause: d.primaryCause });
}
process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);
