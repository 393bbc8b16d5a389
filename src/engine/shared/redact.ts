/**
 * Secrets never leave the process in any output. Two layers:
 *  - parsers replace known secret fields (requirepass, masterauth, AUTH args) at the source;
 *  - a Redactor knows the secret values of this run and scrubs any string before it is printed or sent.
 */
export const REDACTED = '<redacted>';

export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): this {
    // Very short values would mangle ordinary text; they are still never printed by the code paths.
    if (secret && secret.length >= 3) this.secrets.add(secret);
    return this;
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(REDACTED);
    for (const s of this.secrets) {
      const enc = encodeURIComponent(s);
      if (enc !== s) out = out.split(enc).join(REDACTED);
    }
    return out;
  }

  /** Deep-redacts every string in a JSON-like value (walks the values: no encoding can hide a secret). */
  redactDeep<T>(value: T): T {
    if (this.secrets.size === 0) return value;
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((v) => this.walk(v));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.redact(k), this.walk(v)]));
    }
    return value;
  }
}

// Lines such as `requirepass s3cret`, `masterauth "x y"`, `--requirepass s3cret` on a command line.
const SECRET_DIRECTIVE_RE = /((?:^|\s|--)(?:requirepass|masterauth|masteruser-password|tls-key-file-pass|tls-client-key-file-pass)\s+)("(?:[^"\\]|\\.)*"|'[^']*'|\S+)/gi;
// ACL rules: `user alice on >password #hash`
const ACL_PASSWORD_RE = /(\s)([>#<!])[^\s]+/g;

/** Redacts secret-bearing redis.conf directives and command-line flags. */
export function redactRedisConfigText(text: string): string {
  return text
    .replace(SECRET_DIRECTIVE_RE, (_m, prefix: string) => `${prefix}${REDACTED}`)
    // [ \t], not \s: with /m every \r starts a line, and \s* ran on over a run of them from each (quadratic).
    .replace(/^([ \t]*user[ \t]+\S+.*)$/gim, (line) => line.replace(ACL_PASSWORD_RE, `$1$2${REDACTED}`))
    .replace(/(rediss?:\/\/[^:@/\s]*:)[^@/\s]+@/gi, `$1${REDACTED}@`);
}
