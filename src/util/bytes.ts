/** Small helpers over Uint8Array; the core never depends on Node's Buffer. */

const HEX = '0123456789abcdef';
const HEX_CODES = new TextEncoder().encode(HEX);
const ascii = new TextDecoder();

/**
 * Lowercase hex. The characters go into one byte array decoded at once: appending two
 * characters at a time made a string object per byte (a client's key log lines, the serial of
 * each certificate parsed, were 15 KB of garbage per handshake).
 */
export function toHex(b: Uint8Array): string {
  const out = new Uint8Array(b.length * 2);
  for (let i = 0; i < b.length; i++) {
    const v = b[i]!;
    out[2 * i] = HEX_CODES[v >> 4]!;
    out[2 * i + 1] = HEX_CODES[v & 15]!;
  }
  return ascii.decode(out);
}

/** Parses lowercase or uppercase hex; whitespace is ignored. Throws on odd length or bad digits. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new TypeError('invalid hex string');
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

/**
 * A copy of `b` in memory of its own. Not `b.slice()`: on a Node Buffer (a Uint8Array subclass
 * that callers pass everywhere) slice() returns a view of the same memory, so a "copy" kept
 * after the caller reused its buffer changed under us.
 */
export function copyBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Comparison whose time does not depend on where the inputs differ (tokens, tags, Finished). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const utf8 = (s: string): Uint8Array => encoder.encode(s);
export const fromUtf8 = (b: Uint8Array): string => decoder.decode(b);
