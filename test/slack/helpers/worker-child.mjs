// A worker process as `npm run worker` runs one (diagnose and remediate
// workers, monitor), so a test can SIGKILL it mid-job or mid-incident.
// Settings come from the environment like the real entry point; argv[2] is
// JSON BotOptions (`stalls`, `monitor`). Started by startWorkerChild()
// (test/faults/helpers/worker-child.ts). Plain JavaScript: the TypeScript
// sources load through test/lab/ts-import.mjs.
// Prints {"port":…,"pid":…} on stdout once started.
import { fileURLToPath } from 'node:url';
import { importTs } from '../../lab/ts-import.mjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const options = JSON.parse(process.argv[2] ?? '{}');
const { startBot } = await importTs(root, `${root}/src/bot.ts`);
const bot = await startBot({ role: 'worker', ...options });
process.stdout.write(`${JSON.stringify({ port: bot.port, pid: process.pid })}\n`);
process.once('SIGTERM', () => void bot.stop().then(() => process.exit(0)));
