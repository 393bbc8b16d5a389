/**
 * One SSH connection per diagnosis (ssh2). The host key must match the
 * known_hosts entries before anything else happens: ssh2 calls the host
 * verifier during key exchange, before the user-authentication service is even
 * requested, so a mismatch means no credential is ever offered (RFC 4253 §8,
 * RFC 4252 §5). Commands run as session channels (`/bin/sh -s`, script on
 * stdin), several at a time; each is bounded by the step timeout.
 */
import { StringDecoder } from 'node:string_decoder';
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
  /** What to say when timedOut (default: "no answer within <durationMs> ms"). */
  timeoutDetail?: string;
}

/** How a shell channel ended. */
export interface ShellEnd {
  exitCode: number | null;
  /** The first MAX_STDERR bytes of stderr, decoded. */
  stderr: string;
  /** The server refused the channel (sshd MaxSessions …); `message` says how. */
  openFailed: boolean;
  message?: string;
  /** stdout went past MAX_STDOUT: the channel was closed there. */
  truncated: boolean;
}

export interface ShellChannel {
  /** The script for `/bin/sh -s`, fed on stdin once the channel is open; only the first call counts. */
  send(script: string): void;
  /** Closes the channel (idempotent); `done` resolves at once. */
  close(): void;
  /** Resolves true once the server opened the channel, false if it refused or we closed it first. */
  readonly opened: Promise<boolean>;
  readonly done: Promise<ShellEnd>;
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

  /**
   * Opens a session channel running `/bin/sh -s` at once (so the login shell starts, and reads
   * whatever its rc files do, while the caller still prepares the script) and feeds it the
   * script given to `send`, as soon as both the channel and the script are there. stdout is
   * handed over as it arrives, decoded. Never throws; `done` never rejects.
   */
  startShell(onStdout: (text: string) => void): ShellChannel {
    return new OpenShell(this.client, onStdout);
  }

  /** Runs one script through `/bin/sh -s`; resolves (never rejects) within timeoutMs. */
  async exec(script: string, timeoutMs: number): Promise<ExecResult> {
    const started = performance.now();
    let stdout = '';
    const shell = this.startShell((t) => (stdout += t));
    shell.send(script);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      shell.close();
    }, timeoutMs);
    const end = await shell.done;
    clearTimeout(timer);
    return {
      stdout: timedOut ? '' : stdout,
      stderr: end.openFailed ? end.message ?? '' : end.stderr,
      exitCode: timedOut ? null : end.exitCode,
      timedOut,
      openFailed: end.openFailed,
      truncated: end.truncated,
      durationMs: Math.round(performance.now() - started),
    };
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

class OpenShell implements ShellChannel {
  readonly opened: Promise<boolean>;
  readonly done: Promise<ShellEnd>;
  private script: string | undefined;
  private stream: ClientChannel | undefined;
  private finished = false;
  private closing = false;
  private resolveOpened!: (ok: boolean) => void;
  private resolveDone!: (end: ShellEnd) => void;
  private readonly end: ShellEnd = { exitCode: null, stderr: '', openFailed: false, truncated: false };
  private readonly err: Buffer[] = [];
  private errLen = 0;
  private outLen = 0;

  constructor(client: InstanceType<typeof Client>, onStdout: (text: string) => void) {
    this.opened = new Promise((r) => (this.resolveOpened = r));
    this.done = new Promise((r) => (this.resolveDone = r));
    const decoder = new StringDecoder('utf8');
    try {
      // The login shell only ever sees this constant command; the script travels on stdin.
      client.exec('/bin/sh -s', (e, stream) => {
        if (e) {
          this.end.openFailed = true;
          this.end.message = e.message;
          return this.finish();
        }
        if (this.closing) {
          stream.on('error', () => {});
          stream.close();
          return;
        }
        this.stream = stream;
        this.resolveOpened(true);
        stream.on('data', (d: Buffer) => {
          if (this.finished) return;
          if (this.outLen + d.length > MAX_STDOUT) {
            this.end.truncated = true;
            stream.close();
            return this.finish();
          }
          this.outLen += d.length;
          onStdout(decoder.write(d));
        });
        stream.stderr.on('data', (d: Buffer) => {
          if (this.errLen < MAX_STDERR) this.err.push(d.subarray(0, MAX_STDERR - this.errLen));
          this.errLen += d.length;
        });
        stream.on('exit', (code: number | null) => {
          this.end.exitCode = typeof code === 'number' ? code : null;
        });
        stream.on('error', () => this.finish());
        stream.on('close', () => {
          if (!this.finished) onStdout(decoder.end());
          this.finish();
        });
        if (this.script !== undefined) stream.end(this.script);
      });
    } catch (e) {
      this.end.openFailed = true;
      this.end.message = (e as Error).message;
      this.finish();
    }
  }

  send(script: string): void {
    if (this.script !== undefined || this.finished) return;
    this.script = `${script}\n`;
    this.stream?.end(this.script);
  }

  close(): void {
    if (this.finished) return;
    this.closing = true;
    this.stream?.close();
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.end.stderr = Buffer.concat(this.err).toString('utf8');
    this.resolveOpened(false);
    this.resolveDone({ ...this.end });
  }
}
