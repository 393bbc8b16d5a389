/**
 * A container log's tail as the Engine API sends it → its last lines, capped and redacted.
 * Without a TTY the engine multiplexes stdout and stderr in frames (8-byte header: stream
 * 0/1/2, three zero bytes, a big-endian length); with a TTY the bytes come raw. A frame
 * that claims more than what came is cut where the bytes end (the reader stops at a cap).
 * Each line is cut to MAX_LOG_LINE_CHARS, control characters become spaces, and secrets a
 * line may carry (`requirepass …` quoted by a FATAL CONFIG FILE ERROR, `--requirepass`,
 * `PASSWORD=…`, a URL's password) are replaced before the line is kept.
 */
import { redactCommandLine } from '../remote/parsers/ps.js';

export const MAX_LOG_LINE_CHARS = 300;

function isFramed(buf: Buffer): boolean {
  return buf.length >= 8 && buf[0]! <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
}

function demux(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    if (buf[at]! > 2 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) {
      // Not a frame header: keep the rest as it is rather than guess.
      parts.push(buf.subarray(at));
      return Buffer.concat(parts);
    }
    const size = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, Math.min(buf.length, at + 8 + size)));
    at += 8 + size;
  }
  return Buffer.concat(parts);
}

export function cleanLogLine(line: string): string {
  const flat = line.slice(0, MAX_LOG_LINE_CHARS * 2).replace(/[\u0000-\u001f\u007f\u0080-\u009f\u2028\u2029]/g, ' ').trimEnd();
  const cut = flat.length > MAX_LOG_LINE_CHARS ? `${flat.slice(0, MAX_LOG_LINE_CHARS)}…[cut]` : flat;
  return redactLogLine(cut);
}

// A redis.conf directive quoted by `>>> 'requirepass "x"'` has no space before it: \b, not the config pattern's (^|\s).
const SECRET_WORD_RE = /\b(requirepass|masterauth|pass(?:word|wd)?|secret|token)(\s*[=:]\s*|\s+)("[^"]*"|'[^']*'|[^\s'"]+)/gi;

/** Command-line redaction plus the `password: x`, `requirepass x` forms a log prints. */
export function redactLogLine(line: string): string {
  // Redis quotes a rejected directive as `>>> 'directive args'`: the `>>>` is no ACL `>password` token.
  const quoted = /^>>> /.exec(line);
  if (quoted) return `>>> ${redactLogLine(line.slice(4))}`;
  return redactCommandLine(line).replace(SECRET_WORD_RE, (_m, word: string, sep: string) => `${word}${sep}<redacted>`);
}

export function demuxLogTail(body: Buffer, maxLines: number): string[] {
  const text = (isFramed(body) ? demux(body) : body).toString('utf8');
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-maxLines).map(cleanLogLine);
}
