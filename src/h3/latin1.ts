/**
 * Field names and values are octet strings (RFC 9110 §5.5). tsquic carries them as JS strings in
 * which every character is one octet (code 0..255, "latin1"), so a string's length is its size
 * in bytes — the size the QPACK table accounting uses (RFC 9204 §3.2.1) — and any octet sequence
 * round-trips exactly. TextDecoder('latin1') is not used: per WHATWG it is windows-1252 and
 * remaps 0x80-0x9f.
 */

const CHUNK = 4096;

/** The octets buf[start..end) as a one-character-per-octet string. */
export function latin1Decode(buf: Uint8Array, start = 0, end = buf.length): string {
  const n = end - start;
  if (n <= 32) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
    return s;
  }
  let s = '';
  for (let i = start; i < end; i += CHUNK) {
    const part = buf.subarray(i, Math.min(end, i + CHUNK));
    s += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  return s;
}

/** Writes `s` as octets at out[offset..]; returns the end offset. The caller checked isLatin1. */
export function latin1EncodeInto(s: string, out: Uint8Array, offset: number): number {
  for (let i = 0; i < s.length; i++) out[offset++] = s.charCodeAt(i);
  return offset;
}

/** True when every character of `s` is an octet (code below 256). */
export function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Throws a TypeError naming `what` when `s` holds a character that is not an octet. */
export function assertLatin1(s: string, what: string): void {
  if (!isLatin1(s)) {
    throw new TypeError(
      `${what} must be an octet string (character codes 0-255): ${JSON.stringify(s)}`,
    );
  }
}
