/**
 * `docker ps -a --no-trunc --format '{{json .}}'` (one JSON object a line) and
 * `docker inspect <id>…` → containers and their port mappings. Only the fields
 * named here are read: environment variables (where passwords live) are never
 * copied, and command lines are redacted.
 *
 * Docker prints a published port as `0.0.0.0:6380->6379/tcp` and an exposed but
 * unpublished one as `6379/tcp` (docker ps "PORTS" column).
 */
import type { DockerContainer, DockerPort } from '../types.js';
import { redactCommandLine } from './ps.js';
import { capLine, MAX_LINES } from '../../shared/lines.js';
import { inspectFacts } from '../../docker/inspect.js';
import { cleanLogLine } from '../../docker/log-tail.js';
import { looksDenied, splitSections } from './sections.js';

const MAX_CONTAINERS = 200;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The PORTS column: `0.0.0.0:6380->6379/tcp, :::6380->6379/tcp, 6379/tcp`. */
export function parseDockerPorts(text: string): DockerPort[] {
  const out: DockerPort[] = [];
  for (const part of text.split(/,\s*/)) {
    const m = /^(?:(.*):(\d+)(?:-(\d+))?->)?(\d+)(?:-(\d+))?\/(\w+)$/.exec(part.trim());
    if (!m) continue;
    const cLo = Number(m[4]);
    const cHi = m[5] ? Number(m[5]) : cLo;
    const hLo = m[2] ? Number(m[2]) : undefined;
    for (let i = 0; i <= Math.min(cHi - cLo, 64); i++) {
      const p: DockerPort = { containerPort: cLo + i, protocol: m[6]! };
      if (hLo !== undefined) {
        p.hostPort = hLo + i;
        p.hostIp = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1');
      }
      if (!out.some((o) => o.containerPort === p.containerPort && o.hostPort === p.hostPort && o.hostIp === p.hostIp)) out.push(p);
    }
  }
  return out;
}

export function looksLikeRedis(image: string, command: string): boolean {
  return /(^|\/)(redis|valkey|redis-stack[\w-]*|bitnami\/redis[\w-]*)(:|@|$)/i.test(image) || /\bredis-server\b/.test(command);
}

export function parseDockerPs(output: string): DockerContainer[] {
  const out: DockerContainer[] = [];
  // Not capped per line (a JSON line is read whole, JSON.parse is linear), but in number.
  for (const line of output.split('\n', MAX_LINES)) {
    if (!line.trim().startsWith('{')) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const id = str(o.ID);
    if (!/^[0-9a-f]{12,64}$/.test(id)) continue;
    const image = capLine(str(o.Image));
    // A JSON line is read whole (JSON.parse is linear); its texts are capped before any pattern.
    const command = redactCommandLine(capLine(str(o.Command)).replace(/^"|"$/g, ''));
    const state = str(o.State);
    const status = capLine(str(o.Status));
    out.push({
      ...(/^[a-z]{1,16}$/.test(state) ? { state } : {}),
      id,
      name: capLine(str(o.Names)),
      image,
      command,
      status,
      running: state ? state === 'running' : /^Up\b/.test(status),
      redis: looksLikeRedis(image, command),
      ports: parseDockerPorts(capLine(str(o.Ports))),
      portsText: capLine(str(o.Ports)),
    });
    if (out.length >= MAX_CONTAINERS) break;
  }
  return out;
}

/** Merges `docker inspect` facts (network mode, bindings, state, restarts, health: docker/inspect.ts) into the containers from `docker ps`. */
export function applyDockerInspect(containers: DockerContainer[], output: string): DockerContainer[] {
  let entries: unknown[];
  try {
    const parsed: unknown = JSON.parse(output);
    entries = Array.isArray(parsed) ? parsed.slice(0, MAX_CONTAINERS) : [];
  } catch {
    return containers;
  }
  const facts = entries.map(inspectFacts);
  return containers.map((c) => {
    const f = facts.find((x) => x.id !== undefined && (x.id === c.id || x.id.startsWith(c.id)));
    if (!f) return c;
    // docker ps said who it is; inspect adds what it is doing (its id and name stay as ps printed them).
    const { id: _id, name: _name, image: _image, command: _command, ...rest } = f;
    return { ...c, ...rest };
  });
}

export interface DockerLogRead {
  id: string;
  lines: string[];
  /** Why no log came: the docker CLI's or sudo's own words (the section printed those instead). */
  unread?: string;
}

/** An answer that is the CLI (or sudo) refusing, not a log: short, and said by them. */
function refusal(lines: readonly string[]): string | undefined {
  if (lines.length === 0 || lines.length > 2) return undefined;
  const first = lines[0]!;
  return /^(?:Error response from daemon|Error: No such container|sudo: |Got permission denied|permission denied)/i.test(first) || looksDenied(first) ? first.slice(0, 160) : undefined;
}

/**
 * The docker-inspect section (scripts.ts dockerInspectScript): `### inspect`, the JSON, `### rc`, then
 * `### logs <id>` and that log's lines behind `| `. Output without headers is inspect's JSON alone.
 * Only the last DOCKER_LOG_LINES of each log are kept, each capped, stripped of control characters
 * and redacted (docker/log-tail.ts cleanLogLine) before anything reads it.
 */
export function splitDockerInspectOutput(output: string, maxLines = 30): { inspect: string; logs: DockerLogRead[] } {
  if (!output.startsWith('### inspect')) return { inspect: output, logs: [] };
  const logs: DockerLogRead[] = [];
  let inspect = '';
  for (const section of splitSections(output)) {
    if (section.name === 'inspect' && !inspect) inspect = section.body.join('\n');
    const id = section.args[0] ?? '';
    if (section.name !== 'logs' || !/^[0-9a-f]{12,64}$/.test(id) || logs.some((l) => l.id === id)) continue;
    // Our `| ` prefix on every line the log printed; the trailing empty line is our own echo.
    const lines = section.body.filter((l) => l.startsWith('| ')).map((l) => l.slice(2));
    const why = refusal(lines);
    logs.push(why !== undefined ? { id, lines: [], unread: why } : { id, lines: lines.slice(-maxLines).map(cleanLogLine) });
  }
  return { inspect, logs };
}

/** Each log tail read goes to its container (matched by full id, or a docker ps id it starts with). */
export function applyDockerLogs(containers: DockerContainer[], logs: readonly DockerLogRead[]): DockerContainer[] {
  return containers.map((c) => {
    const log = logs.find((l) => l.unread === undefined && (l.id === c.id || l.id.startsWith(c.id) || c.id.startsWith(l.id)));
    return log ? { ...c, logTail: log.lines } : c;
  });
}
