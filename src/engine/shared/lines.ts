/**
 * Text from outside (host output, server replies) → lines, each cut to MAX_LINE_CHARS before any parser looks at it.
 * Everything a host prints is hostile: a local user names a process
 * (`exec -a redis-server … "$(printf '%130000s')x"`), a unit or a firewall
 * comment, and a pattern that is linear per start can still be quadratic over a
 * 130,000-character line. No line a parser needs comes near the cap (a `ps`
 * command line of Redis, an `iptables -S` rule, a redis.conf directive), so a
 * cut line is only shortened evidence, and says so with CUT_MARK.
 */
export const MAX_LINE_CHARS = 4096;
/** Lines read of one output: 8 MiB of empty lines would otherwise be four million records. */
export const MAX_LINES = 100_000;
export const CUT_MARK = '…[cut]';

export function capLine(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}${CUT_MARK}` : line;
}

/** `output.split('\n')`, each line capped, at most MAX_LINES of them. */
export function outputLines(output: string): string[] {
  const lines = output.split('\n', MAX_LINES);
  for (let i = 0; i < lines.length; i++) if (lines[i]!.length > MAX_LINE_CHARS) lines[i] = capLine(lines[i]!);
  return lines;
}

/**
 * The first `count` whitespace-separated fields of a line and the rest (trimmed), or undefined
 * when the line has fewer: a scan that looks at each character once, where a pattern such as
 * `^\s*(\d+)\s+(\S+)\s+(.+?)\s*$` backtracks over every run of spaces.
 */
export function splitFields(line: string, count: number): { fields: string[]; rest: string } | undefined {
  const fields: string[] = [];
  const word = /\S+/g;
  let m: RegExpExecArray | null = null;
  while (fields.length < count && (m = word.exec(line)) !== null) fields.push(m[0]);
  if (fields.length < count) return undefined;
  return { fields, rest: line.slice(word.lastIndex).trim() };
}
