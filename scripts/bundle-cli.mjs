// Second build step (`npm run build` runs it after tsc): bundles the CLI's
// compiled modules into dist/cli/main.js plus a few chunks in dist/cli/chunks/.
//
// Why: the CLI must start within 3× a bare `node -e 0` (bench/README.md). The
// engine is ~60 small ES modules (one per rule, probe, remediation); loading
// them one by one cost ~30 ms on the measuring machine, a bundle ~11 ms.
// Lazy boundaries stay lazy: each dynamic import() becomes its own chunk, and
// packages from node_modules (yaml, zod, ssh2) stay external, loaded only when
// a config file or --ssh needs them. The worker and the Slack bot keep using
// the unbundled tsc output in dist/.
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const entry = join(root, 'dist/cli/main.js');

// version.js reads ../package.json relative to itself, which a bundle moves;
// the bundle gets the version as a constant instead (and skips a file read).
const inlineVersion = {
  name: 'inline-version',
  load(id) {
    if (id === join(root, 'dist/version.js')) return `export const VERSION = ${JSON.stringify(version)};\n`;
    return null;
  },
};

// Chunk names carry content hashes: clear the last build's so none goes stale.
rmSync(join(root, 'dist/cli/chunks'), { recursive: true, force: true });
await build({
  input: entry,
  platform: 'node',
  // Every bare specifier (node:*, packages) stays an import: node_modules are never inlined.
  external: [/^[^./]/],
  plugins: [inlineVersion],
  logLevel: 'warn',
  output: {
    dir: join(root, 'dist/cli'),
    format: 'esm',
    entryFileNames: 'main.js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    sourcemap: true,
  },
});
chmodSync(entry, 0o755);
