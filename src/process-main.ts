/**
 * Process entry shared by `npm start` and `npm run worker`: start, then stop
 * gracefully on SIGTERM (what `docker stop` and Kubernetes send) or SIGINT.
 * A second signal while stopping ends the process at once.
 */
import { ConfigError } from './config/load.js';
import { startBot, type Role } from './bot.js';

export async function runProcess(role: Role): Promise<void> {
  let bot;
  try {
    bot = await startBot({
      role,
      onFatal: (err) => {
        process.stderr.write(`redis-doctor: stopping: ${err.message}\n`);
        process.exit(2);
      },
    });
  } catch (err) {
    // Configuration errors name the field; anything else is unexpected and shows its stack.
    const text = err instanceof ConfigError ? err.message : (err as Error).stack ?? String(err);
    process.stderr.write(`redis-doctor: cannot start: ${text}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(130);
    signalled = true;
    process.stderr.write(`redis-doctor: ${signal} received, stopping\n`);
    void bot.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
