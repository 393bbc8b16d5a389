// A diagnosis worker in its own process, as `npm run worker` runs one, so a
// test can SIGKILL it mid-job. Settings come from the environment like the
// real entry point; argv[2] is JSON stall options (BotOptions.stalls).
// Plain JavaScript: the TypeScript sources load through test/lab/ts-import.mjs.
// Prints {"port":…} on stdout once started.
import { fileURLToPath } from 'node:url';
import { importTs } from '../../lab/ts-import.mjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const stalls = JSON.parse(process.argv[2] ?? '{}');
const { startBot } = await importTs(root, `${root}/src/bot.ts`);
const bot = await startBot({ role: 'worker', stalls });
process.stdout.write(`${JSON.stringify({ port: bot.port, pid: process.pid })}\n`);
process.once('SIGTERM', () => void bot.stop().then(() => process.exit(0)));
