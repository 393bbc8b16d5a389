/**
 * `redis-doctor mcp` driven as an agent drives it: the official MCP client SDK spawns the BUILT
 * CLI over stdio. A real redis-server with a password (planted: it must never come back), a
 * closed port, a listener that must never be contacted for a refused ad-hoc address, and
 * hostile targets that must come back as tool errors while the server keeps serving.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, CLI, countingListener, ensureBuilt, freePort, runCli, startRedis, type RedisServer } from '../cli/helpers.js';
import { assertNoPlantedSecret, plantSecret } from '../lab/secrets.js';

const PASSWORD = plantSecret('mcp-planted-Secret-41');

let redis: RedisServer;
let closedPort: number;
let listener: Awaited<ReturnType<typeof countingListener>>;
let dir: string;
let configPath: string;
let client: Client;
let transport: StdioClientTransport;
let stderr = '';

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };

async function call(name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  const result = (await client.callTool({ name, arguments: args })) as ToolResult;
  assertNoPlantedSecret(`the MCP result of ${name}`, JSON.stringify(result));
  return result;
}

function text(result: ToolResult): string {
  return result.content.map((c) => c.text ?? '').join('\n');
}

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis({ password: PASSWORD });
  closedPort = await freePort();
  listener = await countingListener();
  dir = mkdtempSync(join(tmpdir(), `rd-mcp-${process.pid}-`));
  configPath = join(dir, 'redis-doctor.yaml');
  writeFileSync(configPath, [
    'targets:',
    '  - name: cache',
    `    url: redis://127.0.0.1:${redis.port}`,
    '    passwordEnv: RD_MCP_CACHE_PASSWORD',
    '  - name: gone',
    `    url: redis://127.0.0.1:${closedPort}`,
    'access:',
    '  allowAdHocTargets: true',
    '  adHocNetworks: [198.18.0.0/15]',
    '',
  ].join('\n'));
  transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', '--config', configPath],
    // REDISCLI_AUTH is a terminal convenience: the MCP server, like the bot, must never use it.
    env: baseEnv({ RD_MCP_CACHE_PASSWORD: PASSWORD, REDISCLI_AUTH: PASSWORD }),
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  client = new Client({ name: 'redis-doctor-test', version: '1.0.0' });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
  await listener?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  assertNoPlantedSecret('the MCP server stderr', stderr);
});

describe('redis-doctor mcp', () => {
  it('offers diagnose and list_targets, both read-only', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['diagnose', 'list_targets']);
    for (const tool of tools) expect(tool.annotations?.readOnlyHint).toBe(true);
    const diagnoseTool = tools.find((t) => t.name === 'diagnose')!;
    expect(diagnoseTool.inputSchema.required).toEqual(['target']);
  });

  it('list_targets: names and addresses, never credentials', async () => {
    const result = await call('list_targets');
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({
      targets: [
        { name: 'cache', address: `127.0.0.1:${redis.port}`, tls: false, sshChecks: false },
        { name: 'gone', address: `127.0.0.1:${closedPort}`, tls: false, sshChecks: false },
      ],
      adHoc: { allowed: true, networks: ['198.18.0.0/15'] },
    });
  });

  it('diagnose of a real Redis returns the diagnosis document, authenticated with the configured password', async () => {
    const result = await call('diagnose', { target: 'cache', timeoutMs: 2000 });
    expect(result.isError).toBeFalsy();
    const doc = result.structuredContent!;
    expect(doc).toMatchObject({ verdict: 'healthy', primaryCause: null, target: { name: 'cache', host: '127.0.0.1', port: redis.port } });
    expect(Array.isArray(doc.checks)).toBe(true);
    expect(JSON.parse(text(result))).toEqual(doc);
  });

  it('diagnose of a closed port names the cause', async () => {
    const result = await call('diagnose', { target: 'gone' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ verdict: 'unreachable' });
    expect(['connection-refused', 'wrong-port', 'server-not-running']).toContain(result.structuredContent!.primaryCause);
  });

  it('bad targets are tool errors with a reason, nothing is contacted, and the server keeps serving', async () => {
    const before = listener.connections();
    const cases: [string, RegExp][] = [
      ['nosuch', /Unknown target .*nosuch.*The list_targets tool lists the configured targets/],
      [`127.0.0.1:${listener.port}`, /outside the networks ad-hoc targets may use/],
      ['localhost;rm -rf /', /not allowed/],
      [`redis://:typed-pass-word@198.18.0.9:6379`, /Never type a password/],
      ['cache.example.com:6379', /must be IP addresses/],
    ];
    for (const [target, reason] of cases) {
      const result = await call('diagnose', { target });
      expect(result.isError, target).toBe(true);
      expect(text(result), target).toMatch(reason);
      expect(text(result)).not.toContain('typed-pass-word');
    }
    expect(listener.connections()).toBe(before);
    const after = await call('diagnose', { target: 'cache' });
    expect(after.structuredContent).toMatchObject({ verdict: 'healthy' });
  });

  it('arguments outside the schema are refused, not run', async () => {
    for (const args of [{ target: 'cache', timeoutMs: 1 }, { target: 'x'.repeat(600) }, {}]) {
      const outcome = await client.callTool({ name: 'diagnose', arguments: args }).then(
        (r) => (r as ToolResult).isError === true,
        () => true,
      );
      expect(outcome, JSON.stringify(args).slice(0, 40)).toBe(true);
    }
    expect((await call('list_targets')).isError).toBeFalsy();
  });
});

describe('redis-doctor mcp on the command line', () => {
  it('takes only --config', async () => {
    const r = await runCli(['mcp', '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('redis-doctor: redis-doctor mcp takes only --config, not --json: targets and their settings come from the config file\n');
    const t = await runCli(['mcp', 'cache']);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('takes no target');
  });

  it('exits 0 when the client closes stdin', async () => {
    const r = await runCli(['mcp', '--config', configPath], { env: baseEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });
});
