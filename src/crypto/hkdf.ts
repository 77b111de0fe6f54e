/**
 * TLS 1.3 key derivation on top of the provider's HKDF (RFC 8446 §7.1). QUIC derives every
 * packet key, IV, header-protection key and key-update secret with HKDF-Expand-Label
 * (RFC 9001 §5.1), so this is the one place that encodes the HkdfLabel structure.
 */
import { utf8 } from '../util/bytes.js';
import { checkHkdfExpandLength, hashLength } from './alg-params.js';
import type { CryptoProvider, HashAlg } from './provider.js';

export { hashLength };

// RFC 8446 §7.1: every label is prefixed with "tls13 ".
const LABEL_PREFIX = utf8('tls13 ');
/** One object for every call: a regular expression literal makes a new one each time it runs. */
const ASCII = /^[\x00-\x7f]*$/;

/**
 * Encodes the HkdfLabel structure of RFC 8446 §7.1:
 *
 *     struct {
 *         uint16 length = Length;
 *         opaque label<7..255> = "tls13 " + Label;
 *         opaque context<0..255> = Context;
 *     } HkdfLabel;
 */
export function encodeHkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const labelBytes = utf8(label);
  const fullLabelLength = LABEL_PREFIX.length + labelBytes.length;
  checkHkdfLabel(label, fullLabelLength, context, length);
  const out = new Uint8Array(2 + 1 + fullLabelLength + 1 + context.length);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  out[2] = fullLabelLength;
  out.set(LABEL_PREFIX, 3);
  out.set(labelBytes, 3 + LABEL_PREFIX.length);
  out[3 + fullLabelLength] = context.length;
  out.set(context, 4 + fullLabelLength);
  return out;
}

/** The bounds of the HkdfLabel fields (RFC 8446 §7.1), as RangeErrors. */
function checkHkdfLabel(
  label: string,
  fullLabelLength: number,
  context: Uint8Array,
  length: number,
): void {
  if (fullLabelLength > 255) throw new RangeError(`HKDF label "${label}" is longer than 249 bytes`);
  if (context.length > 255) throw new RangeError('HKDF label context is longer than 255 bytes');
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) {
    throw new RangeError(`HKDF-Expand-Label length ${length} is out of range`);
  }
}

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) of RFC 8446 §7.1: in one step when the
 * provider has it, the same checks first either way.
 */
export function hkdfExpandLabel(
  provider: CryptoProvider,
  hash: HashAlg,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  if (provider.hkdfExpandLabel === undefined) {
    return provider.hkdfExpand(hash, secret, encodeHkdfLabel(label, context, length), length);
  }
  // Labels are ASCII protocol constants; a non-ASCII one is measured in UTF-8 like the encoder.
  const labelLength = ASCII.test(label) ? label.length : utf8(label).length;
  checkHkdfLabel(label, LABEL_PREFIX.length + labelLength, context, length);
  checkHkdfExpandLength(hashLength(hash), length);
  return provider.hkdfExpandLabel(hash, secret, label, context, length);
}

/**
 * Derive-Secret(Secret, Label, Messages) of RFC 8446 §7.1. The caller passes
 * Transcript-Hash(Messages) — the TLS core keeps a running transcript hash — rather than the
 * messages themselves.
 */
export function deriveSecret(
  provider: CryptoProvider,
  hash: HashAlg,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(provider, hash, secret, label, transcriptHash, hashLength(hash));
}
