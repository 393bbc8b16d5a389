/**
 * Multi-part command output. The remote scripts print `### <name> [args…]`
 * before each part and `### rc <n>` after a part whose exit status matters,
 * so one channel can report several tools (iptables and ip6tables) or files.
 */
import { outputLines } from '../../shared/lines.js';

export interface Section {
  name: string;
  args: string[];
  body: string[];
  rc?: number;
}

export function splitSections(output: string): Section[] {
  const out: Section[] = [];
  let current: Section | undefined;
  for (const line of outputLines(output)) {
    const h = /^### (\S+)(?: (.*))?$/.exec(line);
    if (h && h[1] === 'rc' && current) {
      const rc = Number(h[2]);
      if (Number.isInteger(rc)) current.rc = rc;
      continue;
    }
    if (h) {
      current = { name: h[1]!, args: h[2] ? h[2].split(' ') : [], body: [] };
      out.push(current);
      continue;
    }
    current?.body.push(line);
  }
  return out;
}

/** Messages that mean "not allowed", from the tools themselves or from `sudo -n`. */
export function looksDenied(text: string): boolean {
  return /sudo not installed|permission denied|you must be root|operation not permitted|a password is required|a terminal is required|not in the sudoers|may not run sudo|must be run as root|need to be root|access denied/i.test(text);
}
