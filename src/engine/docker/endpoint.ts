/**
 * Which Docker Engine holds the target's container (INTERFACES.md `--docker-host`):
 *  1. the given host (`--docker-host`, the target's docker.host): unix:// is read through the
 *     Engine API here; ssh:// through the target's own SSH session (its known_hosts verified)
 *     when it names the SSH host (never a Docker client's own SSH transport: docker-modem's
 *     verifies no host key);
 *  2. with --ssh and no host: the SSH host's own Docker (the catalogue's docker ps/inspect);
 *  3. else DOCKER_HOST (unix:// only), or /var/run/docker.sock, only when the target is an
 *     address of this machine: a Docker here says nothing about a container elsewhere.
 */
import type { SshTargetOptions } from '../model/options.js';

export type DockerEndpoint =
  | { kind: 'unix'; socket: string; uri: string; why: string }
  | { kind: 'ssh'; uri: string; why: string }
  | { kind: 'none'; why: string }
  | { kind: 'unsupported'; uri: string; why: string };

export const DEFAULT_SOCKET = '/var/run/docker.sock';
const MAX_URI = 512;

function unixPath(uri: string): string | undefined {
  const path = uri.slice('unix://'.length);
  return path.startsWith('/') && !path.includes('\0') ? path : undefined;
}

/** `ssh://[user@]host[:port]` → its parts; undefined when it is not one. */
export function parseSshUri(uri: string): { user?: string; host: string; port: number } | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'ssh:' || !u.hostname) return undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { ...(u.username ? { user: decodeURIComponent(u.username) } : {}), host, port: u.port ? Number(u.port) : 22 };
}

function fromUri(uri: string, why: string, ssh: SshTargetOptions | undefined): DockerEndpoint {
  if (uri.length > MAX_URI) return { kind: 'unsupported', uri: `${uri.slice(0, 60)}…`, why: `${why}: longer than ${MAX_URI} characters` };
  if (uri.startsWith('unix://')) {
    const socket = unixPath(uri);
    return socket ? { kind: 'unix', socket, uri, why } : { kind: 'unsupported', uri, why: `${why}: unix:// needs an absolute socket path` };
  }
  if (uri.startsWith('ssh://')) {
    const p = parseSshUri(uri);
    if (!p) return { kind: 'unsupported', uri, why: `${why}: not ssh://[user@]host[:port]` };
    if (!ssh) return { kind: 'unsupported', uri, why: `${why}: an ssh:// Docker host is read over the target's SSH session (known_hosts verified); give --ssh ${p.user ? `${p.user}@` : ''}${p.host} (or the target's ssh: block)` };
    if (p.host !== ssh.host || p.port !== ssh.port || (p.user !== undefined && p.user !== ssh.user)) {
      return { kind: 'unsupported', uri, why: `${why}: it names another host than the SSH checks (${ssh.user}@${ssh.host}:${ssh.port}); Docker over SSH is read only on the SSH host` };
    }
    return { kind: 'ssh', uri, why };
  }
  return { kind: 'unsupported', uri, why: `${why}: only unix:// and ssh:// Docker hosts are read (tcp:// would need the engine's TLS client certificates)` };
}

export function resolveDockerEndpoint(input: { host?: string; hostFrom?: string; envDockerHost?: string; ssh?: SshTargetOptions; targetIsLocal: boolean }): DockerEndpoint {
  if (input.host) return fromUri(input.host, input.hostFrom ?? '--docker-host', input.ssh);
  if (input.ssh) return { kind: 'ssh', uri: `ssh://${input.ssh.user}@${input.ssh.host}${input.ssh.port === 22 ? '' : `:${input.ssh.port}`}`, why: 'the SSH host\'s own Docker (--ssh)' };
  if (!input.targetIsLocal) return { kind: 'none', why: 'the target is not an address of this machine and no --docker-host was given' };
  if (input.envDockerHost) return fromUri(input.envDockerHost, 'DOCKER_HOST (the target is an address of this machine)', undefined);
  return { kind: 'unix', socket: DEFAULT_SOCKET, uri: `unix://${DEFAULT_SOCKET}`, why: 'the local Docker socket (the target is an address of this machine)' };
}
