/**
 * One SSH connection per diagnosis (ssh2). The host key must match the
 * known_hosts entries before anything else happens: ssh2 calls the host
 * verifier during key exchange, before the user-authentication service is even
 * requested, so a mismatch means no credential is ever offered (RFC 4253 §8,
 * RFC 4252 §5). Commands run as session channels (`/bin/sh -s`, script on
 * stdin), several at a time; each is bounded by the step timeout.
 */
import ssh2 from 'ssh2';
import type { ConnectConfig, ClientChannel, AnyAuthMethod, AuthenticationType } from 'ssh2';
import type { SshTargetOptions } from '../model/options.js';
import { checkHostKey, blobType, entryMatchesHost, fingerprint, hostKeyAlgorithmsFor, lookupName, parseKnownHosts, type KnownHostEntry } from './known-hosts.js';
import type { RemoteFailureReason, RemoteSessionInfo } from './types.js';

const { Client, utils } = ssh2;

/** Output beyond these sizes is cut (and the command reported as failed by its parser if that matters). */
const MAX_STDOUT = 8 * 1024 * 1024;
const MAX_STDERR = 64 * 1024;

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  timedOut: boolean;
  /** The server refused the channel (sshd MaxSessions …): worth retrying once others finished. */
  openFailed: boolean;
  truncated: boolean;
  durationMs: number;
}

export interface OpenResult {
  session?: SshSession;
  info: RemoteSessionInfo;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EADDRNOTAVAIL', 'EPIPE']);

/**
 * We offer only the host key types known_hosts lists for the host; a server with none of them
 * ends the key exchange before presenting a key (ssh2: "no matching host key format"). That is
 * a host key problem too: known_hosts does not vouch for any key this server has.
 */
function noListedKeyType(err: Error & { level?: string }): boolean {
  return err.level === 'handshake' && /no matching host key/i.test(err.message);
}

function classify(err: Error & { level?: string; code?: string }, hostKeyDenied: boolean): RemoteFailureReason {
  if (hostKeyDenied) return 'host-key-mismatch';
  if (err.level === 'client-authentication') return 'auth-failed';
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') return 'timeout';
  if (err.code && UNREACHABLE_CODES.has(err.code)) return 'unreachable';
  return 'protocol-error';
}

/** Error text without anything that could carry a secret (key material never appears in ssh2 messages, but stay short). */
function shortMessage(err: Error & { code?: string }): string {
  return `${err.code ? `${err.code}: ` : ''}${err.message}`.split('\n')[0]!.slice(0, 200);
}

export class SshSession {
  private constructor(private readonly client: InstanceType<typeof Client>) {}

  /** Connects, verifies the host key, authenticates. Never throws: failures come back in `info`. */
  static open(opts: SshTargetOptions, timeoutMs: number, signal?: AbortSignal): Promise<OpenResult> {
    const started = performance.now();
    const info: RemoteSessionInfo = { ok: false, host: opts.host, port: opts.port, user: opts.user, durationMs: 0, authAttempted: false, sudo: opts.sudo === true };
    const fail = (reason: RemoteFailureReason, message: string): OpenResult => {
      info.ok = false;
      info.failureReason = reason;
      info.message = message;
      info.durationMs = Math.round(performance.now() - started);
      return { info };
    };

    let entries: KnownHostEntry[];
    try {
      entries = parseKnownHosts(opts.knownHosts);
    } catch {
      return Promise.resolve(fail('known-hosts-unreadable', 'known_hosts could not be parsed'));
    }
    const agent = opts.useAgent !== false ? process.env.SSH_AUTH_SOCK : undefined;
    let key: ReturnType<typeof utils.parseKey> | undefined;
    if (opts.privateKey) {
      const parsed = utils.parseKey(opts.privateKey);
      // An encrypted key needs a passphrase we do not take: say so instead of failing at the server.
      if (parsed instanceof Error) return Promise.resolve(fail('key-unreadable', `private key not usable: ${parsed.message.slice(0, 120)}`));
      key = parsed;
    }
    if (!key && !agent) return Promise.resolve(fail('no-credentials', 'no private key and no ssh-agent (SSH_AUTH_SOCK)'));
    if (signal?.aborted) return Promise.resolve(fail('aborted', 'aborted before connecting'));

    return new Promise<OpenResult>((resolve) => {
      const client = new Client();
      let settled = false;
      let hostKeyDenied = false;
      const finish = (r: OpenResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const giveUp = (reason: RemoteFailureReason, message: string) => {
        client.removeAllListeners('ready');
        client.on('error', () => {});
        client.end();
        client.destroy?.();
        finish(fail(reason, message));
      };
      const onAbort = () => giveUp('aborted', 'aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => giveUp('timeout', `no SSH session within ${timeoutMs} ms`), timeoutMs);

      const methods: AnyAuthMethod[] = [];
      if (key) methods.push({ type: 'publickey', username: opts.user, key: opts.privateKey! });
      if (agent) methods.push({ type: 'agent', username: opts.user, agent });
      const authHandler = (_left: AuthenticationType[], _partial: boolean, next: (m: AnyAuthMethod | false) => void) => {
        // Only reached after the host key was accepted and the userauth service granted.
        info.authAttempted = true;
        next(methods.shift() ?? false);
      };

      const algorithms = hostKeyAlgorithmsFor(entries, opts.host, opts.port);
      const config: ConnectConfig = {
        host: opts.host,
        port: opts.port,
        username: opts.user,
        readyTimeout: timeoutMs,
        keepaliveInterval: 0,
        authHandler: authHandler as unknown as ConnectConfig['authHandler'],
        hostVerifier: (blob: Buffer) => {
          const check = checkHostKey(entries, opts.host, opts.port, blob);
          info.hostKey = { status: check.status, fingerprint: fingerprint(blob) };
          const type = blobType(blob);
          if (type) info.hostKey.type = type;
          if (check.line !== undefined) info.hostKey.line = check.line;
          hostKeyDenied = check.status !== 'match';
          return !hostKeyDenied;
        },
      };
      if (algorithms.length) config.algorithms = { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };

      client.on('ready', () => {
        // From here on the session belongs to the caller; a late transport error must not crash the process.
        client.removeAllListeners('close');
        client.removeAllListeners('error');
        client.on('error', () => {});
        info.ok = true;
        info.durationMs = Math.round(performance.now() - started);
        finish({ session: new SshSession(client), info });
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (noListedKeyType(err)) {
          const listed = entries.find((e) => e.marker === undefined && entryMatchesHost(e, lookupName(opts.host, opts.port)));
          info.hostKey = { status: 'mismatch', ...(listed ? { line: listed.line } : {}) };
          return giveUp('host-key-mismatch', `the server offers none of the host key types known_hosts lists for it (${algorithms.join(', ')})`);
        }
        const reason = classify(err, hostKeyDenied);
        const message = reason === 'host-key-mismatch' ? hostKeyMessage(info) : shortMessage(err);
        giveUp(reason, message);
      });
      client.on('close', () => giveUp(hostKeyDenied ? 'host-key-mismatch' : 'protocol-error', hostKeyDenied ? hostKeyMessage(info) : 'connection closed before the session was ready'));
      try {
        client.connect(config);
      } catch (err) {
        giveUp('protocol-error', shortMessage(err as Error));
      }
    });
  }

  /** Runs one catalogue script through `/bin/sh -s`; resolves (never rejects) within timeoutMs. */
  exec(script: string, timeoutMs: number): Promise<ExecResult> {
    const started = performance.now();
    return new Promise<ExecResult>((resolve) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outLen = 0;
      let errLen = 0;
      let exitCode: number | null = null;
      let truncated = false;
      let done = false;
      let channel: ClientChannel | undefined;
      const finish = (extra: Partial<ExecResult> = {}) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          exitCode,
          timedOut: false,
          openFailed: false,
          truncated,
          durationMs: Math.round(performance.now() - started),
          ...extra,
        });
      };
      const timer = setTimeout(() => {
        channel?.close();
        finish({ timedOut: true });
      }, timeoutMs);
      try {
        // The login shell only ever sees this constant command; the script travels on stdin.
        this.client.exec('/bin/sh -s', (e, stream) => {
          if (e) return finish({ openFailed: true, stderr: e.message });
          channel = stream;
          stream.on('data', (d: Buffer) => {
            if (outLen + d.length > MAX_STDOUT) {
              truncated = true;
              stream.close();
              return;
            }
            outLen += d.length;
            out.push(d);
          });
          stream.stderr.on('data', (d: Buffer) => {
            if (errLen < MAX_STDERR) err.push(d.subarray(0, MAX_STDERR - errLen));
            errLen += d.length;
          });
          stream.on('exit', (code: number | null) => {
            exitCode = typeof code === 'number' ? code : null;
          });
          stream.on('close', () => finish());
          stream.end(`${script}\n`);
        });
      } catch (e) {
        finish({ openFailed: true, stderr: (e as Error).message });
      }
    });
  }

  close(): void {
    this.client.end();
  }
}

function hostKeyMessage(info: RemoteSessionInfo): string {
  const hk = info.hostKey;
  if (!hk) return 'host key not accepted';
  const what = `${hk.type ?? 'host'} key ${hk.fingerprint ?? ''}`.trim();
  if (hk.status === 'revoked') return `${what} is marked @revoked in known_hosts (line ${hk.line})`;
  if (hk.status === 'mismatch') return `${what} does not match known_hosts (line ${hk.line} lists another key for this host)`;
  return `${what}: host not listed in known_hosts`;
}
