/**
 * ANSI styling, decided once per stream. Follows https://no-color.org
 * (NO_COLOR present and non-empty disables colour) and the FORCE_COLOR
 * convention (set and not "0"/"false" enables it even when piped).
 * NO_COLOR wins when both are set: the user asked for plain text.
 */
import { showInvisible } from '../engine/index.js';

export interface Style {
  enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

export function colourWanted(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

function sgr(open: number, close: number, enabled: boolean): (text: string) => string {
  return enabled ? (text) => `\x1b[${open}m${text}\x1b[${close}m` : (text) => text;
}

export function makeStyle(enabled: boolean): Style {
  return {
    enabled,
    bold: sgr(1, 22, enabled),
    dim: sgr(2, 22, enabled),
    red: sgr(31, 39, enabled),
    green: sgr(32, 39, enabled),
    yellow: sgr(33, 39, enabled),
    cyan: sgr(36, 39, enabled),
  };
}

/**
 * Text that came from the network (server replies, banners) is shown, never
 * interpreted: control characters, including ESC and the C1 CSI, are made
 * visible so a hostile endpoint cannot drive the user's terminal.
 */
export function safeText(text: string): string {
  return showInvisible(text);
}
