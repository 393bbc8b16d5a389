/**
 * One updating status line on stderr while the engine works, so a user
 * watching a 2-second timeout knows what is being waited on. Only on a
 * terminal: on a pipe or file it would be noise in logs, so nothing is
 * written there. The line is cleared before the report is printed.
 */
import type { ProgressEvent } from '../engine/index.js';
import { safeText } from './style.js';

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface Progress {
  onProgress(event: ProgressEvent): void;
  /** Erase the line and stop; safe to call more than once. */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
// Fast runs (a refused port answers in a millisecond) finish before this and never flash a line.
const FIRST_PAINT_MS = 150;
const REFRESH_MS = 100;

const NOOP: Progress = { onProgress: () => undefined, stop: () => undefined };

export function createProgress(stream: ProgressStream, label: string, clean: (text: string) => string = (t) => t): Progress {
  if (stream.isTTY !== true) return NOOP;
  const started = Date.now();
  const active: string[] = [];
  let last = '';
  let frame = 0;
  let painted = false;
  let stopped = false;

  const paint = (): void => {
    if (stopped || Date.now() - started < FIRST_PAINT_MS) return;
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    const doing = active.length > 0 ? active.join(', ') : last || 'starting';
    const text = clean(safeText(`${FRAMES[frame++ % FRAMES.length]} ${label}: ${doing} … ${elapsed} s`));
    // Never wider than the terminal: a wrapped line could not be erased with one \r.
    const width = Math.max(10, (stream.columns || 80) - 1);
    stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    painted = true;
  };
  const timer = setInterval(paint, REFRESH_MS);
  timer.unref();

  return {
    onProgress(event) {
      const name = event.detail ? `${event.step} (${event.detail})` : event.step;
      if (event.phase === 'start') {
        active.push(event.step);
        last = name;
      } else {
        const i = active.indexOf(event.step);
        if (i !== -1) active.splice(i, 1);
      }
      paint();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (painted) stream.write('\r\x1b[2K');
    },
  };
}
