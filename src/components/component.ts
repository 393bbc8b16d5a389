/**
 * The parts a bot process is made of, with one shape (like bolt-js's
 * Receiver{init, start, stop}): the Slack front end, the diagnose worker, the
 * health server of a worker alone — and, in their slots in bot.ts, the
 * monitor and the remediate worker. bot.ts starts the components its role
 * needs in order and stops them in reverse.
 */
import type { Logger } from '../log.js';
import { withTimeout } from '../util/timeout.js';

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** Finishes or hands back in-flight work, then releases what start() took. Never throws. */
  stop(): Promise<void>;
  /** Drops what is left at once (connections), when stop() overran the shutdown bound. */
  kill?(): void;
}

/** Starts in order; when one fails, the ones already started are stopped (in reverse) and the error is rethrown. */
export async function startAll(components: readonly Component[], log: Logger, stopMs: number): Promise<void> {
  const started: Component[] = [];
  try {
    for (const c of components) {
      await c.start();
      started.push(c);
    }
  } catch (err) {
    await stopAll(started, log, stopMs);
    throw err;
  }
}

/**
 * Stops in reverse order within one deadline for all of them: a component that
 * overruns is logged and killed, and the ones before it are still stopped
 * (the connections last), so a hung job cannot keep the process from exiting.
 */
export async function stopAll(components: readonly Component[], log: Logger, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (const c of [...components].reverse()) {
    try {
      await withTimeout(c.stop(), Math.max(1, deadline - Date.now()), `stopping ${c.name}`);
    } catch (err) {
      log.log('warn', (err as Error).message);
      c.kill?.();
    }
  }
}
