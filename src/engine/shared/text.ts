/**
 * Text that came from the network (server replies, banners, host output) is
 * shown, never obeyed. Control characters (C0 but newline and tab, DEL, C1:
 * ESC sequences, BEL, NUL) and the Unicode bidirectional controls (U+202E
 * RIGHT-TO-LEFT OVERRIDE and its kin: Unicode TR9 explicit formatting
 * characters, the "Trojan Source" characters) become visible escapes, so an
 * endpoint can neither drive a terminal nor reorder what a reader sees.
 */
const INVISIBLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function showInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
