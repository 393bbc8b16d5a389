// A diagnosis worker in its own process, as `npm run worker` runs one, so a
// test can SIGKILL it mid-job. Settings come from the environment like the
// real entry point; argv[2] is JSON stall options (BotOptions.stalls).
// Plain JavaScript because Node 20 cannot run TypeScript; Vite's module
// runner (what Vitest itself uses) loads the TypeScript sources, as in
// test/lab/diagnose-child.mjs. Prints {"port":…} on stdout once started.
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const stalls = JSON.parse(process.argv[2] ?? '{}');
const { module } = await runnerImport(`${root}/src/bot.ts`, { root, configFile: false, logLevel: 'silent' });
const bot = await module.startBot({ role: 'worker', stalls });
process.stdout.write(`${JSON.stringify({ port: bot.port, pid: process.pid })}\n`);
process.once('SIGTERM', () => void bot.stop().then(() => process.exit(0)));
