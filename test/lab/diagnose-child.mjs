// Runs the engine in a child process (see diagnose-in-netns.ts): reads
// { target, options } as JSON on stdin, prints the Diagnosis as JSON on stdout.
// Plain JavaScript because Node 20 cannot run TypeScript; Vite's module runner
// (what Vitest itself uses) loads the TypeScript sources.
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { target, options } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const { module } = await runnerImport(`${root}/src/engine/diagnose.ts`, { root, configFile: false, logLevel: 'silent' });
const diagnosis = await module.diagnose(target, options);
process.stdout.write(JSON.stringify(diagnosis));
