// Loads the TypeScript sources in a plain Node child process (Node 20 cannot
// run TypeScript), with Vite's module runner — what Vitest itself uses. Unlike
// Vite's runnerImport(), which closes its runner once the first import is done,
// this runner stays open for the life of the process, so the sources' own lazy
// import()s (the engine's pipeline, the SSH checks) keep working.
import { createRunnableDevEnvironment, resolveConfig } from 'vite';

let environment;

/** The module at `path` (absolute), evaluated from the TypeScript sources under `root`. */
export async function importTs(root, path) {
  if (!environment) {
    const config = await resolveConfig({
      root,
      configFile: false,
      envDir: false,
      logLevel: 'silent',
      environments: { inline: { consumer: 'server', dev: { moduleRunnerTransform: true }, resolve: { external: true, mainFields: [], conditions: ['node'] } } },
    }, 'serve');
    environment = createRunnableDevEnvironment('inline', config, { runnerOptions: { hmr: { logger: false } }, hot: false });
    await environment.init();
  }
  return environment.runner.import(path);
}
