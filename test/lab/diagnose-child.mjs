// Runs the engine in a child process (see diagnose-in-netns.ts): reads
// { target, options } as JSON on stdin, prints the Diagnosis as JSON on stdout.
// Plain JavaScript: the TypeScript sources load through ts-import.mjs.
import { fileURLToPath } from 'node:url';
import { importTs } from './ts-import.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { target, options } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const { diagnose } = await importTs(root, `${root}/src/engine/index.ts`);
const diagnosis = await diagnose(target, options);
process.stdout.write(JSON.stringify(diagnosis));
process.exit(0);
