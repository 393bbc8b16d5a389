/**
 * Reads the sections of a batch script (batch.ts) out of a channel's stdout as
 * it arrives: each section is handed over as soon as its end header is in, so
 * what came back is used even when the channel is cut later.
 *
 * Only lines `### <marker> …` preceded by a newline are headers; the newline is
 * the script's own (its printf starts with `\n`), so a section's stdout is
 * exactly the bytes between its header lines. Anything else outside a section —
 * a login banner, rc-file echoes, a header without the marker or with another
 * one — is dropped.
 */
import { HOST_TIMEOUT_HEADER } from './batch.js';

export interface SectionResult {
  id: string;
  stdout: string;
  stderr: string;
  /** Exit status of the section's shell; null when the end header had none. */
  rc: number | null;
  /** On the host (its /proc/uptime before and after), else from its begin header to its end header as they arrived here. */
  durationMs: number;
}

interface Open {
  id: string;
  started: number;
  stdout?: string;
}

export class SectionReader {
  private buf = '';
  private scanFrom = 0;
  private current: Open | undefined;
  private readonly needle: string;
  /** The script reported that timeout(1) bounds its sections on the host. */
  hostTimeout = false;

  constructor(marker: string, private readonly onSection: (s: SectionResult) => void) {
    this.needle = `\n### ${marker} `;
  }

  /** The section begun and not yet ended, if any. */
  get inProgress(): string | undefined {
    return this.current?.id;
  }

  feed(text: string): void {
    if (!text) return;
    this.buf += text;
    for (;;) {
      const at = this.buf.indexOf(this.needle, this.scanFrom);
      if (at === -1) {
        // Keep only what may still be the start of a header, unless it belongs to a section.
        const keep = Math.max(0, this.buf.length - this.needle.length);
        if (this.current) this.scanFrom = keep;
        else {
          this.buf = this.buf.slice(keep);
          this.scanFrom = 0;
        }
        return;
      }
      const nl = this.buf.indexOf('\n', at + 1);
      if (nl === -1) {
        this.scanFrom = at;
        return;
      }
      const content = this.buf.slice(0, at);
      const words = this.buf.slice(at + this.needle.length, nl).split(' ');
      this.buf = this.buf.slice(nl + 1);
      this.scanFrom = 0;
      this.header(words, content);
    }
  }

  private header(words: string[], content: string): void {
    const [kind, id, rc, from, to] = words;
    if (kind === HOST_TIMEOUT_HEADER && !this.current) {
      this.hostTimeout = id === 'yes';
      return;
    }
    if (!id) return;
    if (kind === 'begin') {
      this.current = { id, started: performance.now() };
      return;
    }
    const cur = this.current;
    if (!cur || cur.id !== id) return;
    if (kind === 'stderr' && cur.stdout === undefined) {
      cur.stdout = content;
      return;
    }
    if (kind !== 'end') return;
    this.current = undefined;
    const status = rc !== undefined && /^\d{1,3}$/.test(rc) ? Number(rc) : null;
    const uptime = (t: string | undefined) => (t !== undefined && /^\d{1,12}(?:\.\d{1,3})?$/.test(t) ? Number(t) : undefined);
    const a = uptime(from);
    const b = uptime(to);
    this.onSection({
      id,
      stdout: cur.stdout ?? content,
      stderr: cur.stdout === undefined ? '' : content,
      rc: status,
      durationMs: a !== undefined && b !== undefined && b >= a ? Math.round((b - a) * 1000) : Math.round(performance.now() - cur.started),
    });
  }
}
