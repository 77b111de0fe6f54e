/**
 * Packets the engine sends without keeping state: Version Negotiation (RFC 9000 §6.1), Retry
 * (§17.2.5) and an Initial
 * carrying CONNECTION_CLOSE to refuse a client (CONNECTION_REFUSED, INVALID_TOKEN: §5.2.2,
 * §8.1.2); and the check that a new client's Initial authenticates before any of them.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { createInitialProtectors } from '../crypto/initial.js';
import type { PacketProtector } from '../crypto/packet-protection.js';
import { retryIntegrityTag } from '../crypto/retry.js';
import { Reader, Writer } from '../util/cursor.js';
import { utf8 } from '../util/bytes.js';
import { encodeFrame } from '../wire/frame-encode.js';
import { decodeFrame } from '../wire/frame-decode.js';
import {
  encodeRetryPacket,
  encodeVersionNegotiation,
  writeLengthField,
  writeLongHeader,
  type InvariantHeader,
  type LongHeader,
} from '../wire/header.js';
import { decodePacketNumber } from '../wire/packet-number.js';
import { greaseVersion, PacketType } from '../wire/version.js';

/**
 * The payload of the client Initial `h` at the start of `datagram` (decrypted in a copy), or
 * null when it does not open with the Initial keys of its
 * DCID (RFC 9001 §5.2). Only an Initial "fully conforming with the specification" commits a
 * server to a connection (RFC 9000 §5.2.2): junk shaped like an Initial gets no state, no Retry
 * and no refusal. Works on a copy; the connection decrypts the original again. `keys`: the
 * Initial protectors of `h`'s DCID and version, which the connection then takes over.
 */
export function openClientInitial(
  keys: PacketProtector,
  datagram: Uint8Array,
  h: LongHeader,
): Uint8Array | null {
  const packet = new Uint8Array(datagram.subarray(0, h.end));
  const pnLength = keys.removeHeaderProtection(packet, 0, h.pnOffset, h.end);
  if (pnLength < 0) return null;
  const pn = decodePacketNumber(-1, keys.truncatedPn, pnLength * 8);
  const length = keys.openPayload(packet, 0, h.pnOffset, pnLength, pn, h.end);
  if (length < 0) return null;
  const start = h.pnOffset + pnLength;
  return packet.subarray(start, start + length);
}

/**
 * The CRYPTO data contiguous from offset 0 in a client's first Initial payload: the start of its
 * ClientHello (all of it unless the ClientHello spans several packets). Empty when the payload
 * is malformed or holds no data at offset 0.
 */
export function initialCryptoPrefix(payload: Uint8Array): Uint8Array {
  const chunks: { offset: number; data: Uint8Array }[] = [];
  const r = new Reader(payload);
  try {
    while (r.remaining > 0) {
      const f = decodeFrame(r);
      if (f.kind === 'crypto') chunks.push({ offset: f.offset, data: f.data });
    }
  } catch {
    return new Uint8Array(0);
  }
  chunks.sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const c of chunks) {
    if (c.offset > end) break;
    end = Math.max(end, c.offset + c.data.length);
  }
  const out = new Uint8Array(end);
  for (const c of chunks) {
    if (c.offset >= end) break;
    out.set(c.data.subarray(0, end - c.offset), c.offset);
  }
  return out;
}

/** A Retry answering the client Initial `h`, with our new SCID and the sealed token. */
export function buildRetry(
  provider: CryptoProvider,
  h: LongHeader,
  scid: Uint8Array,
  token: Uint8Array,
): Uint8Array {
  const fields = {
    version: h.version,
    dcid: h.scid,
    scid,
    token,
    integrityTag: new Uint8Array(16),
  };
  const packet = encodeRetryPacket(fields);
  const tag = retryIntegrityTag(
    provider,
    h.version,
    h.dcid,
    packet.subarray(0, packet.length - 16),
  );
  packet.set(tag, packet.length - 16);
  return packet;
}

/** A server Initial with CONNECTION_CLOSE (`code`) answering the client Initial `h`. */
export function buildRefusal(
  provider: CryptoProvider,
  h: LongHeader,
  code: number,
  reason: string,
): Uint8Array {
  const keys = createInitialProtectors(provider, h.version, h.dcid).server;
  const w = new Writer(new Uint8Array(256));
  const o = writeLongHeader(w, {
    version: h.version,
    type: PacketType.Initial,
    dcid: h.scid,
    scid: provider.random(8),
    token: new Uint8Array(0),
    packetNumber: 0,
    packetNumberLength: 4,
  });
  encodeFrame(w, {
    kind: 'connection_close',
    application: false,
    errorCode: code,
    frameType: 0,
    reason: utf8(reason),
  });
  writeLengthField(w.buf, o.lengthOffset, 2, w.pos + 16 - o.pnOffset);
  const end = keys.protect(w.buf, 0, o.pnOffset, w.pos, 0);
  return w.buf.slice(0, end);
}

/**
 * Version Negotiation for the client of `inv` (RFC 9000 §6.1), listing `versions` and, RFC 9368
 * §2.1, a reserved version, so that clients keep ignoring the versions they do not know.
 */
export function buildVersionNegotiation(
  provider: CryptoProvider,
  inv: InvariantHeader,
  versions: readonly number[],
): Uint8Array {
  const r = provider.random(5);
  const grease = greaseVersion(new DataView(r.buffer, r.byteOffset, 5).getUint32(1));
  return encodeVersionNegotiation(inv.scid, inv.dcid, [...versions, grease], r[0]!);
}
