/**
 * Printable excerpts of bytes a server sent, for evidence. Non-printable
 * bytes become \xNN so a TLS record or an SSH banner stays readable and a
 * terminal or Slack message never receives raw control characters.
 */
export const EXCERPT_BYTES = 120;

export function printableExcerpt(bytes: Buffer, max = EXCERPT_BYTES): string {
  let out = '';
  const end = Math.min(bytes.length, max);
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return bytes.length > max ? `${out}…` : out;
}

/** A TLS record starts with its content type (0x15 alert, 0x16 handshake) and major version 3 (RFC 8446 §5.1). */
export function looksLikeTls(bytes: Buffer): boolean {
  return bytes.length >= 2 && (bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 0x03;
}

export function looksLikeHttp(bytes: Buffer): boolean {
  return /^HTTP\/\d/.test(bytes.subarray(0, 8).toString('latin1'));
}

/** Keeps the first `max` bytes received, for excerpts after the fact. */
export class FirstBytes {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly max = 512) {}

  add(chunk: Buffer): void {
    if (this.size >= this.max) return;
    const part = chunk.subarray(0, this.max - this.size);
    this.chunks.push(part);
    this.size += part.length;
  }

  get length(): number {
    return this.size;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}
