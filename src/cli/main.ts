#!/usr/bin/env node
/**
 * The `redis-doctor` executable (package.json "bin"). Kept tiny: it wires
 * the process to `run()` and exits with its status.
 */
import { run } from './run.js';

// A reader that goes away (`redis-doctor … | head -1`) is not an internal error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const code = await run({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  onInterrupt(handler) {
    process.once('SIGINT', () => {
      handler();
      process.stderr.write('redis-doctor: interrupted\n');
      // 128 + SIGINT, as shells report it.
      process.exit(130);
    });
  },
});
// Exiting explicitly means a socket the engine forgot to close cannot keep
// the CLI alive; wait for stdout to drain first so no report is cut short.
// exitCode first: a reader that leaves while we drain (EPIPE above) must not turn "problem found" into 0.
process.exitCode = code;
if (process.stdout.writableLength > 0) process.stdout.once('drain', () => process.exit(code));
else process.exit(code);
