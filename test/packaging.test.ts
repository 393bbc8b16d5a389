/**
 * The Dockerfile's steps, run outside Docker (no daemon needed): its build
 * stage's COPY and RUN lines in a temp copy of the repository, its runtime
 * stage's COPY lines into a second directory, then the image's CMD started
 * with a config, /healthz checked with the image's own HEALTHCHECK command,
 * and a clean stop on SIGTERM. Reading the steps from the Dockerfile keeps
 * this test and the image in step.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from './lab/poll.js';
import { freePort } from './lab/ports.js';
import { makeTempDir, type TempDir } from './lab/tmp.js';
import { deleteKeysUnder } from './slack/helpers/redis-keys.js';
import { startSlackDouble, type SlackDouble } from './slack/helpers/slack-double.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction { op: string; args: string }

function stages(text: string): Instruction[][] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const out: Instruction[][] = [];
  for (const line of lines) {
    const m = /^([A-Z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'FROM') out.push([]);
    out.at(-1)?.push({ op: m[1]!, args: m[2]! });
  }
  return out;
}

/** Runs argv (never a shell), bounded; rejects with the output on failure. */
function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')} failed (exit code ${String(err.code)}): ${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

function copy(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}

const [buildStage, runtimeStage] = stages(DOCKERFILE);

describe('Dockerfile', () => {
  it('is multi-stage, builds with npm ci, keeps production dependencies only, runs as node, checks /healthz', () => {
    expect(stages(DOCKERFILE)).toHaveLength(2);
    const runs = buildStage!.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs[0]).toMatch(/^npm ci\b/);
    expect(runs).toContain('npm run build');
    expect(runs.at(-1)).toMatch(/^npm prune --omit=dev\b/);
    expect(runtimeStage!.find((i) => i.op === 'USER')?.args).toBe('node');
    expect(runtimeStage!.find((i) => i.op === 'HEALTHCHECK')?.args).toContain('/healthz');
    expect(runtimeStage!.every((i) => i.op !== 'RUN')).toBe(true);
  });
});

describe('manifest.yml', () => {
  const manifest = parseYaml(readFileSync(join(ROOT, 'manifest.yml'), 'utf8')) as {
    features: { slash_commands: { command: string; url: string; should_escape: boolean; usage_hint: string }[]; app_home: { home_tab_enabled: boolean } };
    oauth_config: { scopes: { bot: string[] } };
    settings: { interactivity: { is_enabled: boolean; request_url: string }; socket_mode_enabled: boolean; event_subscriptions: { request_url: string; bot_events: string[] } };
    display_information: { long_description?: string };
  };

  it('declares the slash command, interactivity, Socket Mode setting and only the scopes the bot uses', () => {
    expect(manifest.features.slash_commands).toEqual([expect.objectContaining({ command: '/redis-diagnose', should_escape: false })]);
    expect(manifest.features.slash_commands[0]!.url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity).toMatchObject({ is_enabled: true });
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    // chat.postMessage and chat.update need chat:write; the slash command needs commands. Nothing else is called.
    expect(manifest.oauth_config.scopes.bot).toEqual(['commands', 'chat:write']);
    // Slack requires 175–4000 characters when a long description is given.
    expect(manifest.display_information.long_description?.length).toBeGreaterThanOrEqual(175);
  });

  it('enables the Home tab with its event, and lists every subcommand in the usage hint', () => {
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    expect(manifest.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/);
    const hint = manifest.features.slash_commands[0]!.usage_hint;
    for (const word of ['<target>', 'from <location>', 'status', 'silence', 'silences', 'audit', 'help']) expect(hint).toContain(word);
  });
});

describe('the image steps, outside Docker', () => {
  let tmp: TempDir;
  let runtime: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];
  const prefix = `{rdpack-${process.pid}}`;
  // The Web API the bot talks to: never slack.com from a test.
  let slack: SlackDouble;

  beforeAll(async () => {
    slack = await startSlackDouble();
    tmp = makeTempDir('packaging');
    const build = join(tmp.path, 'build');
    runtime = join(tmp.path, 'runtime');
    mkdirSync(build);
    mkdirSync(runtime);
    // npm's cache makes `npm ci` fast; the command itself is the Dockerfile's.
    const buildEnv = { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' };
    for (const i of buildStage!) {
      if (i.op === 'COPY') {
        const parts = i.args.split(/\s+/);
        const dest = parts.pop()!;
        for (const src of parts) copy(join(ROOT, src), dest.endsWith('/') ? join(build, dest, src) : join(build, dest));
      } else if (i.op === 'RUN') {
        await run(i.args.split(/\s+/), build, buildEnv, 240_000);
      }
    }
    env = { PATH: process.env.PATH };
    for (const i of runtimeStage!) {
      if (i.op === 'COPY') {
        const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--chown'));
        const fromBuild = parts[0] === '--from=build';
        const [src, dest] = fromBuild ? [parts[1]!, parts[2]!] : [parts[0]!, parts[1]!];
        copy(fromBuild ? join(build, src.replace(/^\/app\//, '')) : join(ROOT, src), join(runtime, dest));
      } else if (i.op === 'ENV') {
        const [k, v] = i.args.split('=');
        env[k!] = v;
      }
    }
  }, 300_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    try {
      await deleteKeysUnder(redis, prefix);
    } finally {
      redis.disconnect();
      await slack?.close();
      await tmp?.remove();
    }
  });

  it('keeps production dependencies only', () => {
    for (const dev of ['typescript', 'vitest', 'eslint', 'rolldown']) expect(existsSync(join(runtime, 'node_modules', dev)), dev).toBe(false);
    for (const prod of ['@slack/bolt', 'bullmq', 'ioredis', 'prom-client', 'zod', 'yaml']) expect(existsSync(join(runtime, 'node_modules', prod)), prod).toBe(true);
    expect(existsSync(join(runtime, 'dist', 'main.js'))).toBe(true);
    expect(existsSync(join(runtime, 'dist', 'worker.js'))).toBe(true);
  });

  async function start(cmd: string[], extra: Record<string, string>): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
    const port = await freePort();
    const configPath = join(tmp.path, 'redis-doctor.yaml');
    writeFileSync(configPath, 'targets:\n  - name: cache\n    url: redis://127.0.0.1:6379\naccess:\n  diagnose: ["*"]\n');
    const child = spawn(cmd[0]!, cmd.slice(1), {
      cwd: runtime,
      env: {
        ...env, PORT: String(port), SLACK_BOT_TOKEN: 'xoxb-packaging', SLACK_SIGNING_SECRET: 'packaging-secret-0123456789',
        REDIS_URL: 'redis://127.0.0.1:6379', REDIS_DOCTOR_CONFIG: configPath, REDIS_DOCTOR_QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn',
        SLACK_API_URL: slack.apiUrl, ...extra,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    await pollUntil(async () => {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stderr}`);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      return res.ok ? true : undefined;
    }, { what: `${cmd.join(' ')} /healthz`, timeoutMs: 20_000, intervalMs: 100, stopOn: (e) => e instanceof Error && e.message.startsWith('exited') });
    return { child, port, stderr: () => stderr };
  }

  async function stop(child: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return pollUntil(() => Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]), { what: 'exit after SIGTERM', timeoutMs: 15_000 });
  }

  it('starts the image CMD with a config; the HEALTHCHECK command passes; SIGTERM stops it cleanly', async () => {
    const cmd = JSON.parse(runtimeStage!.find((i) => i.op === 'CMD')!.args) as string[];
    const { child, port, stderr } = await start(cmd, {});
    // Ready once Slack (the double) answered auth.test and the queue Redis answers.
    const ready = await pollUntil(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return r.ok ? r.json() : undefined;
    }, { what: '/readyz', timeoutMs: 10_000, intervalMs: 100 });
    expect(ready).toEqual({ status: 'ready', queue: 'up', slack: 'up' });
    const health = JSON.parse(/CMD\s+(\[.*\])$/.exec(runtimeStage!.find((i) => i.op === 'HEALTHCHECK')!.args)![1]!) as string[];
    await run(health, runtime, { ...env, PORT: String(port) }, 10_000);
    expect(await stop(child)).toBe(0);
    expect(stderr()).toContain('SIGTERM received, stopping');
  });

  it('runs a worker alone with `node dist/worker.js`', async () => {
    const { child, port } = await start(['node', 'dist/worker.js'], { SLACK_SIGNING_SECRET: '' });
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ status: 'ok', role: 'worker' });
    expect(await stop(child)).toBe(0);
  });

  it('refuses to start on a config error, naming the field, with exit status 2', async () => {
    const bad = join(tmp.path, 'bad.yaml');
    writeFileSync(bad, 'targets:\n  - name: Bad Name\n    url: redis://127.0.0.1:6379\n');
    const err = await run(['node', 'dist/main.js'], runtime, { ...env, SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 'packaging-secret-0123456789', REDIS_DOCTOR_CONFIG: bad, PORT: '0' }, 15_000)
      .then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/targets\[0\]\.name: must match/);
    expect(err?.message).toContain('exit code 2');
  });
});
