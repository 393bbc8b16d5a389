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
