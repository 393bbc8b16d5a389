/**
 * Read-only lookups over what the SSH checks saw on the Redis host
 * (Observations.remote), shared by the rules that combine host and network
 * evidence. No decisions here; evidence lines say which command saw what.
 *
 * A process counts as "on this host's network" when `ss -ltnp` lists one of its
 * listening sockets. `ps` also shows processes in other network namespaces
 * (containers, pods), which serve other addresses: they are reported, never
 * taken for the server behind the target.
 */
import type { RedisConfFile, RemoteObservation, TcpListener } from '../../remote/types.js';
import type { Observations } from '../../model/types.js';

/** The host observation, only when the session ran commands. */
export function remoteOf(obs: Observations): RemoteObservation | undefined {
  return obs.remote?.session.ok ? obs.remote : undefined;
}

export function commandOk(remote: RemoteObservation, id: RemoteObservation['commands'][number]['id']): boolean {
  return remote.commands.some((c) => c.id === id && c.status === 'ok');
}

const WILDCARDS = new Set(['0.0.0.0', '*', '::', '[::]']);

/** Does a socket bound to `listen` accept connections addressed to `target`? */
export function listenCovers(listen: string, target: string | undefined): boolean {
  if (WILDCARDS.has(listen)) return true;
  if (!target) return false;
  return listen === target || listen === `::ffff:${target}`;
}

/** The address the client connected to (the TCP probe's), else the target host. */
export function targetAddress(obs: Observations): string {
  return obs.tcp?.address || obs.target.host;
}

export function isRedisListener(l: TcpListener, remote: RemoteObservation): boolean {
  if (l.process) return l.process === 'redis-server';
  // No process column (ss without privileges): a redis-server title naming this port is the best we have.
  return (remote.processes ?? []).some((p) => !p.defunct && (p.titlePort ?? p.argPort) === l.port);
}

export function listenersOnPort(remote: RemoteObservation, port: number): TcpListener[] {
  return (remote.listeners ?? []).filter((l) => l.port === port);
}

export function redisListeners(remote: RemoteObservation): TcpListener[] {
  return (remote.listeners ?? []).filter((l) => isRedisListener(l, remote));
}

/**
 * redis.conf files that describe the instance behind `port`. A running process
 * (`pid`) is tied only to the file on its own command line or its systemd unit:
 * a default location may belong to another instance, so it is not quoted for it.
 * With no process (nothing runs), the files that would serve the port are the
 * candidates (a file without `port` means 6379), except those another process named.
 */
export function confsForPort(remote: RemoteObservation, port: number, pid?: number): RedisConfFile[] {
  const files = remote.redisConf ?? [];
  if (pid !== undefined) {
    const named = remote.processes?.find((p) => p.pid === pid)?.configPath;
    const unit = remote.systemd?.units.find((u) => u.mainPid === pid)?.configPath;
    return files.filter((f) => f.path === named || f.path === unit);
  }
  const ownedByOthers = new Set((remote.processes ?? []).filter((p) => !p.defunct).map((p) => p.configPath));
  return files.filter((f) => !(f.source === 'process' && ownedByOthers.has(f.path)) && (f.port ?? 6379) === port);
}

export function confLine(file: RedisConfFile, directive: string): string | undefined {
  const l = [...file.lines].reverse().find((x) => x.text.toLowerCase().startsWith(`${directive} `) || x.text.toLowerCase() === directive);
  // A directive from an included file is quoted with that file's name and line.
  return l ? `${l.file ?? file.path}:${l.n}: ${l.text}` : undefined;
}

export function hostName(remote: RemoteObservation): string {
  return remote.session.host;
}

/** `ss -ltnp on cache-1: LISTEN 0 511 127.0.0.1:6379 … redis-server` */
export function ssEvidence(remote: RemoteObservation, l: TcpListener): string {
  return `ss -ltnp on ${hostName(remote)}: ${l.line}`;
}

/** Sizes as people read them in df -h / free -h terms: GiB, MiB, or KiB for small filesystems. */
export function mib(bytes: number): string {
  if (bytes >= 1073741824) return `${(bytes / 1073741824).toFixed(1)} GiB`;
  if (bytes >= 1048576 || bytes === 0) return `${Math.round(bytes / 1048576)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}
