/**
 * One `docker inspect` object (Engine API GET /containers/{id}/json, or one element of the
 * CLI's array over SSH) → the container facts the rules read (issue #19). Only the fields
 * named here are read: Config.Env (where passwords live) is never copied, texts are capped
 * and command lines redacted. Whatever a field holds, a wrong type is "not known", never a throw.
 */
import type { DockerContainer, DockerPort } from '../remote/types.js';
import { capLine } from '../shared/lines.js';
import { redactCommandLine } from '../remote/parsers/ps.js';
import { redactLogLine } from './log-tail.js';

const MAX_PORT_KEYS = 64;
const MAX_BINDINGS = 16;
const MAX_OUTPUT_CHARS = 400;
/** Health log entries kept (Docker keeps the last 5). */
const MAX_HEALTH_LOG = 3;

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** `{"6379/tcp": [{"HostIp": "", "HostPort": "8301"}], "6380/tcp": null}` → ports (an entry without a binding: exposed only). */
export function portMap(v: unknown): DockerPort[] | undefined {
  const map = obj(v);
  if (!map) return undefined;
  const out: DockerPort[] = [];
  for (const [key, bindings] of Object.entries(map).slice(0, MAX_PORT_KEYS)) {
    const m = /^(\d{1,5})\/(tcp|udp|sctp)$/.exec(key);
    if (!m) continue;
    const base: DockerPort = { containerPort: Number(m[1]), protocol: m[2]! };
    const list = Array.isArray(bindings) ? bindings.slice(0, MAX_BINDINGS) : [];
    let bound = false;
    for (const b of list) {
      const o = obj(b);
      const hp = Number(str(o?.HostPort));
      if (!Number.isInteger(hp) || hp <= 0 || hp > 65535) continue;
      const ip = capLine(str(o?.HostIp)).slice(0, 64);
      out.push({ ...base, hostIp: ip, hostPort: hp });
      bound = true;
    }
    if (!bound) out.push(base);
  }
  return out;
}

/**
 * A healthcheck's command or output: one line, capped, redacted as a command line (`redis-cli -a
 * <password>`, `--pass`, `-u redis://:pw@`, `REDISCLI_AUTH=…`) and as a log line (`password=…`).
 */
export function healthText(text: string): string {
  const flat = text.slice(0, MAX_OUTPUT_CHARS).replace(/[\u0000-\u001f\u007f\u0080-\u009f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  // `redis-cli AUTH <password>` (or `AUTH <user> <password>`) as the command's own arguments.
  return redactLogLine(flat).replace(/\bAUTH( [^ ;|&]+)( [^ ;|&<]+)?/gi, 'AUTH <redacted>');
}

/** The inspect facts, to merge over what `docker ps` / the container list said. */
export function inspectFacts(entry: unknown): Partial<DockerContainer> & { id?: string; name?: string } {
  const e = obj(entry);
  if (!e) return {};
  const out: Partial<DockerContainer> & { id?: string; name?: string } = {};
  const id = str(e.Id);
  if (/^[0-9a-f]{12,64}$/.test(id)) out.id = id;
  const name = str(e.Name).replace(/^\//, '');
  if (name) out.name = capLine(name).slice(0, 256);
  const host = obj(e.HostConfig);
  const state = obj(e.State);
  const config = obj(e.Config);
  const mode = str(host?.NetworkMode);
  if (mode) out.networkMode = capLine(mode).slice(0, 128);
  if (state) {
    if (state.OOMKilled === true) out.oomKilled = true;
    const status = str(state.Status);
    if (/^[a-z]{1,16}$/.test(status)) out.state = status;
    const code = int(state.ExitCode);
    if (code !== undefined) out.exitCode = code;
    if (out.state) out.running = out.state === 'running';
    const health = obj(state.Health);
    const hs = str(health?.Status);
    if (/^[a-z]{1,16}$/.test(hs)) out.health = hs;
    const log = Array.isArray(health?.Log) ? health.Log : [];
    const last = obj(log[log.length - 1]);
    const output = str(last?.Output).trim();
    if (output) out.healthOutput = healthText(output);
    const streak = int(health?.FailingStreak);
    if (streak !== undefined && streak >= 0) out.healthFailingStreak = streak;
    const entries = log.slice(-MAX_HEALTH_LOG).map(obj).filter((x): x is Record<string, unknown> => x !== undefined);
    if (entries.length) {
      out.healthLog = entries.map((x) => {
        const code = int(x.ExitCode);
        const end = str(x.End);
        const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.exec(end.slice(0, 40));
        return { ...(code !== undefined ? { exitCode: code } : {}), output: healthText(str(x.Output).trim()), ...(m ? { at: `${m[1]}${m[2]}` } : {}) };
      });
    }
    const err = str(state.Error);
    if (err) out.error = redactCommandLine(err.slice(0, MAX_OUTPUT_CHARS));
    const finished = str(state.FinishedAt);
    if (/^\d{4}-\d\d-\d\dT[\d:.]{1,20}Z$/.test(finished) && !finished.startsWith('0001')) out.finishedAt = finished;
    const started = str(state.StartedAt);
    if (/^\d{4}-\d\d-\d\dT[\d:.]{1,20}Z$/.test(started) && !started.startsWith('0001')) out.startedAt = started;
  }
  const restarts = int(e.RestartCount);
  if (restarts !== undefined && restarts >= 0) out.restartCount = restarts;
  const policy = str(obj(host?.RestartPolicy)?.Name);
  if (/^[a-z-]{1,20}$/.test(policy)) out.restartPolicy = policy;
  const memory = int(host?.Memory);
  if (memory !== undefined && memory >= 0) out.memoryBytes = memory;
  const bindings = portMap(host?.PortBindings);
  if (bindings) out.bindings = bindings.filter((p) => p.hostPort !== undefined);
  const exposed = portMap(config?.ExposedPorts);
  if (exposed) out.exposed = exposed;
  const live = portMap(obj(e.NetworkSettings)?.Ports);
  if (live) out.ports = live;
  const hc = obj(config?.Healthcheck);
  const test = Array.isArray(hc?.Test) ? (hc.Test as unknown[]).slice(0, 64).map(str) : [];
  // ["NONE"] disables the image's check; ["CMD", argv…] or ["CMD-SHELL", "a shell line"].
  if (test.length > 1 && (test[0] === 'CMD' || test[0] === 'CMD-SHELL')) out.healthTest = healthText(test.slice(1).join(' '));
  const interval = int(hc?.Interval);
  if (interval !== undefined && interval > 0) out.healthIntervalSec = Math.round(interval / 1e9);
  const retries = int(hc?.Retries);
  if (retries !== undefined && retries > 0) out.healthRetries = retries;
  const image = str(config?.Image);
  if (image) out.image = capLine(image).slice(0, 256);
  const cmd = Array.isArray(config?.Cmd) ? (config.Cmd as unknown[]).slice(0, 64).map(str).join(' ') : '';
  const entrypoint = Array.isArray(config?.Entrypoint) ? (config.Entrypoint as unknown[]).slice(0, 16).map(str).join(' ') : '';
  const command = `${entrypoint} ${cmd}`.trim();
  if (command) out.command = redactCommandLine(command);
  return out;
}

/** The port Redis listens on inside the container: `--port N` on its command line, else its only exposed TCP port, else 6379. */
export function innerRedisPort(c: Pick<DockerContainer, 'command' | 'exposed'>): number {
  const m = /(?:^|\s)--port[\s=]+(\d{1,5})(?:\s|$)/.exec(c.command.slice(0, 4096));
  if (m && Number(m[1]) > 0 && Number(m[1]) <= 65535) return Number(m[1]);
  const tcp = (c.exposed ?? []).filter((p) => p.protocol === 'tcp');
  if (tcp.length === 1) return tcp[0]!.containerPort;
  return tcp.some((p) => p.containerPort === 6379) || tcp.length === 0 ? 6379 : tcp[0]!.containerPort;
}
