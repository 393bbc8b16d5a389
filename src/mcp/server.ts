/**
 * `redis-doctor mcp`: the diagnosis as a Model Context Protocol server on stdio, for AI
 * assistants and investigation agents that have no Redis tool of their own.
 *
 * A front end like Slack and the CLI: it turns a tool call into a diagnosis and renders the
 * document (INTERFACES.md section 2). The same target rules as Slack: configured names, and
 * ad-hoc addresses only as `access.allowAdHocTargets` / `access.adHocNetworks` allow (IP
 * literals, no typed passwords, no probe of this machine's loopback for an ad-hoc address);
 * REDISCLI_AUTH is ignored, as in the bot: only a configured target's `passwordEnv` supplies
 * credentials. Read-only: nothing here can run a remediation. Stdout carries the protocol
 * and nothing else; diagnostics go to stderr.
 */
import { McpServer } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { diagnose, hostPort, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS, parseTarget, Redactor, type Diagnosis } from '../engine/index.js';
import { RefusedTargetError, resolveJobTarget } from '../slack/resolve.js';
import { isInputError } from '../util/errors.js';
import { VERSION } from '../version.js';

/** Diagnoses one server runs at once: an agent looping on the tool must not turn it into a scanner. */
export const MAX_CONCURRENT_DIAGNOSES = 4;
/** The longest target text accepted: a URL with a user, an IPv6 host and a db fits well inside. */
const MAX_TARGET_LENGTH = 512;
const LIST_HINT = 'The list_targets tool lists the configured targets.';

export interface McpOptions {
  configPath?: string;
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  log?: (line: string) => void;
}

interface ToolText {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  isError?: boolean;
}

function toolError(message: string): ToolText {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Every password the config can hand the engine: redacted from all output, as in the CLI. */
function redactorFor(config: Config, env: NodeJS.ProcessEnv): Redactor {
  const redactor = new Redactor();
  for (const t of config.targets) if (t.passwordEnv) redactor.add(env[t.passwordEnv]);
  return redactor;
}

/** A configured target as an agent may see it: its address, never its credentials. */
function describeTarget(t: Config['targets'][number]) {
  let address = '';
  try {
    const parsed = parseTarget(t.url);
    if (parsed.kind !== 'name') address = hostPort(parsed.host, parsed.port);
  } catch {
    // The schema validated the url; an unparsable one is shown without an address.
  }
  return {
    name: t.name,
    address,
    tls: t.url.startsWith('rediss://'),
    sshChecks: t.ssh !== undefined,
    ...(t.sentinelMaster ? { sentinelMaster: t.sentinelMaster } : {}),
  };
}

const diagnosisShape = z.object({
  target: z.object({}).loose(),
  verdict: z.enum(['healthy', 'degraded', 'unreachable']),
  primaryCause: z.string().nullable(),
  findings: z.array(z.object({}).loose()),
  checks: z.array(z.object({}).loose()),
  durationMs: z.number(),
}).loose();

export function createMcpServer(config: Config, opts: Pick<McpOptions, 'configPath' | 'env' | 'log'>): McpServer {
  const redactor = redactorFor(config, opts.env);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let running = 0;

  const server = new McpServer({ name: 'redis-doctor', version: VERSION });

  server.registerTool('list_targets', {
    title: 'List Redis targets',
    description: 'The Redis targets redis-doctor is configured to diagnose by name, and whether ad-hoc addresses are allowed.',
    inputSchema: z.object({}),
    annotations: { readOnlyHint: true, openWorldHint: false },
  }, async () => {
    const listing = {
      targets: config.targets.map(describeTarget),
      adHoc: { allowed: config.access.allowAdHocTargets, networks: config.access.adHocNetworks },
    };
    return { content: [{ type: 'text', text: JSON.stringify(listing) }], structuredContent: listing };
  });

  server.registerTool('diagnose', {
    title: 'Diagnose a Redis endpoint',
    description: 'Finds out why a Redis endpoint refuses connections or misbehaves: DNS, TCP, TLS, the Redis protocol, INFO, '
      + 'topology and (where configured) read-only SSH checks. Returns the diagnosis document: verdict, primaryCause, findings '
      + 'with evidence and remediation steps, checks. Read-only. target: a configured name (see list_targets) or, where allowed, '
      + 'an IP address host:port.',
    inputSchema: z.object({
      target: z.string().min(1).max(MAX_TARGET_LENGTH).describe('a configured target name, or host:port / redis://host:port/db where ad-hoc targets are allowed'),
      timeoutMs: z.number().int().min(MIN_TIMEOUT_MS).max(MAX_TIMEOUT_MS).optional().describe('bound for each network step in ms (default 2000)'),
    }),
    outputSchema: diagnosisShape,
    annotations: { readOnlyHint: true, openWorldHint: true },
  }, async ({ target, timeoutMs }) => {
    if (running >= MAX_CONCURRENT_DIAGNOSES) return toolError(`busy: ${running} diagnoses are running; try again when one has finished`);
    running++;
    try {
      const resolved = resolveJobTarget(target, config, opts.env, opts.configPath, LIST_HINT);
      redactor.add(resolved.options.credentials?.password);
      const diagnosis: Diagnosis = redactor.redactDeep(await diagnose(resolved.target, { ...resolved.options, ...(timeoutMs ? { timeoutMs } : {}) }));
      return { content: [{ type: 'text', text: redactor.redact(JSON.stringify(diagnosis)) }], structuredContent: diagnosis as unknown as Record<string, unknown> };
    } catch (err) {
      const message = redactor.redact(err instanceof Error ? err.message : String(err));
      if (isInputError(err) || err instanceof RefusedTargetError) return toolError(message);
      log(`redis-doctor mcp: internal error in diagnose: ${message}`);
      return toolError(`internal error: ${message}`);
    } finally {
      running--;
    }
  });

  return server;
}

/** Serves until the client closes stdin. */
export async function serveMcp(opts: McpOptions): Promise<void> {
  const config = loadConfig(opts.configPath, opts.env);
  const server = createMcpServer(config, opts);
  const transport = new StdioServerTransport(opts.stdin as never, opts.stdout as never);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  await closed;
  await server.close().catch(() => undefined);
}
