// A worker process as `npm run worker` runs one (diagnose worker + monitor),
// so a test can SIGKILL it mid-incident. Settings come from the environment
// like the real entry point; argv[2] is JSON BotOptions (`monitor`, `stalls`).
// Plain JavaScript: the TypeScript sources load through test/lab/ts-import.mjs.
// Prints {"port":…,"pid":…} on stdout once started.
import { fileURLToPath } from 'node:url';
import { importTs } from '../lab/ts-import.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const options = JSON.parse(process.argv[2] ?? '{}');
const { startBot } = await importTs(root, `${root}/src/bot.ts`);
const bot = await startBot({ role: 'worker', ...options });
process.stdout.write(`${JSON.stringify({ port: bot.port, pid: process.pid })}\n`);
process.once('SIGTERM', () => void bot.stop().then(() => process.exit(0)));
