/**
 * Start-up stays light: the CLI never loads Slack, BullMQ or ioredis, and
 * loads yaml/zod only when a config file is involved. Every module the
 * process resolves is recorded by a `--import` preload (ESM resolve hook plus
 * CommonJS Module._load) and checked here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, ENGINE_MODULE, ensureBuilt, RECORD_MODULES, readLog, runCli, startRedis, uniqueName, type RedisServer } from './helpers.js';

let redis: RedisServer;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), `${uniqueName('rd-cli-modules')}-`));
});
afterAll(async () => {
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function modulesOf(argv: string[]): Promise<{ code: number | null; modules: string[] }> {
  const log = join(dir, `${uniqueName('modules')}.log`);
  const r = await runCli(argv, { env: baseEnv({ RD_MODULE_LOG: log }), nodeArgs: ['--import', RECORD_MODULES], cwd: dir });
  return { code: r.code, modules: readLog(log) };
}

const FORBIDDEN = /node_modules\/(@slack\/|bullmq\/|ioredis\/)|[:/](bullmq|ioredis|@slack\/[a-z-]+)( |$)|\/dist\/(slack|jobs|http|monitor)\//;

describe('modules loaded by the CLI', () => {
  it('a full diagnosis loads the engine but no Slack, BullMQ, ioredis, ssh2, yaml or zod', async () => {
    const { code, modules } = await modulesOf(['diagnose', `127.0.0.1:${redis.port}`, '--json']);
    expect(code).toBe(0);
    // Positive control: the recorder sees the engine, so an absence below means something.
    expect(modules.some((m) => ENGINE_MODULE.test(m))).toBe(true);
    expect(modules.filter((m) => FORBIDDEN.test(m))).toEqual([]);
    expect(modules.filter((m) => /node_modules\/(ssh2|yaml|zod|@modelcontextprotocol)\//.test(m))).toEqual([]);
  });

  it('a named target loads the config modules (and the recorder sees node_modules), still no Slack/BullMQ/ioredis', async () => {
    const config = join(dir, 'rd.yaml');
    writeFileSync(config, `targets:\n  - name: local\n    url: redis://127.0.0.1:${redis.port}\n`);
    const { code, modules } = await modulesOf(['diagnose', 'local', '--config', config]);
    expect(code).toBe(0);
    expect(modules.some((m) => /node_modules\/yaml\//.test(m))).toBe(true);
    expect(modules.some((m) => /node_modules\/zod\//.test(m))).toBe(true);
    expect(modules.filter((m) => FORBIDDEN.test(m))).toEqual([]);
  });

  it('--version loads neither the engine nor the config', async () => {
    const { code, modules } = await modulesOf(['--version']);
    expect(code).toBe(0);
    expect(modules.some((m) => m.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(modules.filter((m) => ENGINE_MODULE.test(m) || /node_modules\//.test(m))).toEqual([]);
  });
});
