#!/usr/bin/env node
/**
 * The `redis-doctor` executable (package.json "bin"). Kept tiny: it wires
 * the process to `run()` and exits with its status.
 */
import { run } from './run.js';

// Exit status when the report could not be written (a full disk, `> /dev/full`): the run's
// outcome did not reach its reader, which no caller may take for "healthy".
const EXIT_UNWRITTEN = 2;

// A reader that goes away (`redis-doctor … | head -1`) is not an internal error.
let writeError: NodeJS.ErrnoException | undefined;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  writeError ??= err;
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
// exitCode first: a reader that leaves while we drain (EPIPE above) must not turn "problem found" into 0.
process.exitCode = code;
// Wait until every write has settled (a file's write errors arrive after write() returned), so no
// report is cut short and none that failed is taken for success; then exit explicitly, so a socket
// the engine forgot to close cannot keep the CLI alive.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
if (writeError) {
  process.stderr.write(`redis-doctor: cannot write the report to stdout: ${writeError.code ?? writeError.message}\n`);
  process.exit(EXIT_UNWRITTEN);
}
process.exit(code);
