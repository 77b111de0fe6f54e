/**
 * QUIC packet protection (RFC 9001 §5): AEAD payload protection and header protection, and the
 * key-update derivation (RFC 9001 §6).
 *
 * A `PacketProtector` is built once per (provider, suite, secret, version) and holds the AEAD
 * object, the header-protection object, the static IV and scratch buffers, so that protecting or
 * unprotecting a packet throws nothing and allocates nothing of its own (the provider's
 * primitives may: node:crypto returns fresh Buffers). Everything works in place on the datagram
 * buffer, with packets addressed by offsets so coalesced packets need no copies.
 */
import type { Aead, CryptoProvider, HashAlg, HeaderProtection } from './provider.js';
import { hkdfExpandLabel } from './hkdf.js';
import { versionCryptoParams } from './quic-versions.js';
import { cipherSuiteByName, type CipherSuite, type CipherSuiteName } from './suites.js';

const EMPTY = new Uint8Array(0);

/** AEAD tag length of every QUIC cipher suite (RFC 9001 §5.3). */
export const AEAD_TAG_LENGTH = 16;
/** Header protection samples 16 bytes starting 4 bytes after the packet number (RFC 9001 §5.4.2). */
export const HP_SAMPLE_OFFSET = 4;
export const HP_SAMPLE_LENGTH = 16;

export interface PacketKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly hp: Uint8Array;
}

/** The packet protection key, IV and header protection key of a secret (RFC 9001 §5.1). */
export function derivePacketKeys(
  provider: CryptoProvider,
  suite: CipherSuite,
  secret: Uint8Array,
  version: number,
): PacketKeys {
  const labels = versionCryptoParams(version);
  return {
    key: hkdfExpandLabel(provider, suite.hash, secret, labels.keyLabel, EMPTY, suite.keyLength),
    iv: hkdfExpandLabel(provider, suite.hash, secret, labels.ivLabel, EMPTY, suite.ivLength),
    hp: hkdfExpandLabel(provider, suite.hash, secret, labels.hpLabel, EMPTY, suite.keyLength),
  };
}

/**
 * The secret of the next key phase (RFC 9001 §6.1):
 * secret_<n+1> = HKDF-Expand-Label(secret_<n>, "quic ku", "", Hash.length), "quicv2 ku" for v2
 * (RFC 9369 §3.3.2).
 */
export function nextTrafficSecret(
  provider: CryptoProvider,
  hash: HashAlg,
  secret: Uint8Array,
  version: number,
): Uint8Array {
  return hkdfExpandLabel(
    provider,
    hash,
    secret,
    versionCryptoParams(version).kuLabel,
    EMPTY,
    secret.length,
  );
}

/** The largest multipath path ID: 32 bits of the nonce (RFC 10069 §2.4). */
const MAX_PATH_ID = 0xffffffff;

/**
 * Writes the AEAD nonce of packet `pn` on path `pathId` to `out[outOffset .. + iv.length)`:
 * the IV XOR the 96-bit path-and-packet-number {Path ID (32), 0b00, Packet Number (62)},
 * left-padded with zeros to the IV length (RFC 10069 §2.4). With path ID 0 this is the nonce of
 * RFC 9001 §5.3 (the IV XOR the left-padded packet number), so single-path QUIC, Initial,
 * Handshake and 0-RTT packets use path ID 0. Allocates nothing: batch callers fill their
 * `nonces` array with it (12 bytes per packet, provider.ts). `pn` is below 2^53 (it is a
 * `number`), `pathId` an integer in 0..2^32-1 (the caller's own state; not checked here).
 */
export function writePacketNonce(
  iv: Uint8Array,
  pathId: number,
  pn: number,
  out: Uint8Array,
  outOffset = 0,
): void {
  const n = iv.length;
  const last = outOffset + n - 1;
  for (let i = 0; i < n - 12; i++) out[outOffset + i] = iv[i]!;
  // pn < 2^53: split it into exact 32-bit halves; the path ID is the next 32 bits up.
  const lo = pn >>> 0;
  const hi = (pn - lo) / 0x100000000;
  for (let i = 0; i < 4; i++) {
    const shift = 8 * i;
    out[last - i] = iv[n - 1 - i]! ^ ((lo >>> shift) & 0xff);
    out[last - 4 - i] = iv[n - 5 - i]! ^ ((hi >>> shift) & 0xff);
    out[last - 8 - i] = iv[n - 9 - i]! ^ ((pathId >>> shift) & 0xff);
  }
}

/** The most packets one ProtectionBatch holds (the GSO limit of a batch, engine/transmit-batch.ts). */
export const MAX_BATCH_PACKETS = 64;
/** Nonce bytes per packet in a batch: every QUIC suite has a 12-byte IV (RFC 9001 §5.3). */
const BATCH_NONCE_LENGTH = 12;

/**
 * Packets written under one PacketProtector and waiting to be protected together: one AEAD call
 * and one header-protection call for all of them (the provider's sealBatch and maskBatch)
 * instead of two per packet. Filled by `PacketProtector.queue`, protected and emptied by
 * `PacketProtector.protectQueued`; its arrays are allocated once and reused.
 */
export class ProtectionBatch {
  /** Packets queued. */
  count = 0;
  /** Per packet: header start (the AAD), plaintext start, plaintext end (provider.ts sealBatch). */
  readonly offsets = new Uint32Array(3 * MAX_BATCH_PACKETS);
  readonly nonces = new Uint8Array(BATCH_NONCE_LENGTH * MAX_BATCH_PACKETS);
  /** Per packet: where its header protection sample starts (RFC 9001 §5.4.2). */
  readonly samples = new Uint32Array(MAX_BATCH_PACKETS);
  readonly masks = new Uint8Array(5 * MAX_BATCH_PACKETS);

  get full(): boolean {
    return this.count === MAX_BATCH_PACKETS;
  }
}

/**
 * Protects and unprotects packets with the keys of one traffic secret.
 *
 * Sending: write the header (first byte through the packet number, with the Length field
 * already counting the 16-byte tag) and the plaintext payload into a buffer with 16 bytes of
 * room after the payload, then call `protect`.
 *
 * Receiving is two steps, because a 1-RTT receiver must read the key phase bit before it knows
 * which keys decrypt the payload (RFC 9001 §6.3): `removeHeaderProtection` (the header-protection
 * key never changes across key updates, so any generation's protector does it), then
 * `openPayload` with the protector of the right key phase.
 *
 * Multipath (RFC 10069 §2.4): once both endpoints negotiated it and the handshake completed,
 * 1-RTT packets on path P are sealed and opened with `pathId` P, which goes into the nonce
 * (writePacketNonce). Path ID 0, the default, is the nonce of RFC 9001 §5.3.
 */
export class PacketProtector {
  readonly suite: CipherSuite;
  /** The traffic secret these keys come from; the next key phase is derived from it. */
  readonly secret: Uint8Array;
  /**
   * The truncated packet number read by the last successful `removeHeaderProtection`
   * (RFC 9000 §17.1); expand it with the largest packet number received (RFC 9000 §A.3).
   */
  truncatedPn = 0;
  /** Packets sealed with this key, for the confidentiality limit (RFC 9001 §6.6). */
  sealedPackets = 0;
  /** Packets that failed authentication with this key, for the integrity limit (RFC 9001 §6.6). */
  authFailures = 0;

  private readonly aead: Aead;
  private readonly hp: HeaderProtection;
  private readonly iv: Uint8Array;
  private readonly nonce: Uint8Array;
  private readonly mask = new Uint8Array(5);
  /**
   * The offsets and result of one packet for the batch calls: a single packet goes through
   * sealBatch / openBatch with a count of one, described by offsets rather than by two views of
   * `buf` per packet (the native provider crosses into C once either way).
   */
  private readonly oneOffsets = new Uint32Array(3);
  private readonly oneResult = new Int32Array(1);

  /**
   * Derives key, IV and header-protection key from `secret` (RFC 9001 §5.1). `hp` is given only
   * by `nextKeyPhase`, which keeps the header protection of the first generation.
   */
  constructor(
    readonly provider: CryptoProvider,
    suite: CipherSuite | CipherSuiteName,
    secret: Uint8Array,
    readonly version: number,
    hp?: HeaderProtection,
  ) {
    this.suite = typeof suite === 'string' ? cipherSuiteByName(suite) : suite;
    if (secret.length !== this.suite.hashLength) {
      throw new RangeError(
        `${this.suite.name} needs a ${this.suite.hashLength}-byte secret, got ${secret.length}`,
      );
    }
    this.secret = secret.slice();
    const keys = derivePacketKeys(provider, this.suite, secret, version);
    this.aead = provider.createAead(this.suite.aead, keys.key);
    this.hp = hp ?? provider.createHeaderProtection(this.suite.hp, keys.hp);
    this.iv = keys.iv;
    this.nonce = new Uint8Array(keys.iv.length);
  }

  /**
   * The protector of the next key phase (RFC 9001 §6): new packet keys from the "quic ku"
   * secret, the same header protection (RFC 9001 §6: "The header protection key is not
   * updated").
   */
  nextKeyPhase(): PacketProtector {
    const next = nextTrafficSecret(this.provider, this.suite.hash, this.secret, this.version);
    return new PacketProtector(this.provider, this.suite, next, this.version, this.hp);
  }

  /**
   * Protects one packet in place (RFC 9001 §5.3, §5.4). The packet starts at `packetStart`, its
   * packet number at `pnOffset` (its length is read from the first byte's low two bits), and the
   * plaintext payload ends at `payloadEnd`; `buf` must have 16 bytes of room after it for the
   * tag. `pn` is the full packet number, `pathId` the multipath path ID (RFC 10069 §2.4; 0 for
   * single-path QUIC). Returns the end of the protected packet (`payloadEnd + 16`).
   *
   * Throws a RangeError if the buffer has no room for the tag, the packet is too short to
   * sample (RFC 9001 §5.4.2: the packet number and payload together must be at least 4 bytes;
   * the packet assembler pads to guarantee it) or the path ID is not a 32-bit integer.
   */
  protect(
    buf: Uint8Array,
    packetStart: number,
    pnOffset: number,
    payloadEnd: number,
    pn: number,
    pathId = 0,
  ): number {
    const pnLength = checkedPnLength(buf, packetStart, pnOffset, payloadEnd);
    const payloadStart = pnOffset + pnLength;
    const packetEnd = payloadEnd + AEAD_TAG_LENGTH;
    checkPathId(pathId);
    writePacketNonce(this.iv, pathId, pn, this.nonce);
    // RFC 9001 §5.3: the AAD is the header, from the first byte through the packet number.
    const o = this.oneOffsets;
    o[0] = packetStart;
    o[1] = payloadStart;
    o[2] = payloadEnd;
    this.aead.sealBatch(buf, o, this.nonce, 1);
    this.sealedPackets++;
    this.applyMask(buf, packetStart, pnOffset, pnLength);
    return packetEnd;
  }

  /**
   * Queues one packet to be protected by `protectQueued`, with the checks and the outcome of
   * `protect`: the packet and its 16-byte tag must fit `buf`, the packet is counted against the
   * confidentiality limit now (RFC 9001 §6.6), and its bytes are byte for byte what `protect`
   * writes once `protectQueued` ran. Returns the end of the protected packet. The caller keeps
   * one `buf` and one protector per batch and queues at most MAX_BATCH_PACKETS; the packet must
   * not be read or sent before `protectQueued`.
   */
  queue(
    batch: ProtectionBatch,
    buf: Uint8Array,
    packetStart: number,
    pnOffset: number,
    payloadEnd: number,
    pn: number,
    pathId = 0,
  ): number {
    const payloadStart = pnOffset + checkedPnLength(buf, packetStart, pnOffset, payloadEnd);
    const packetEnd = payloadEnd + AEAD_TAG_LENGTH;
    if (batch.full) throw new RangeError('protection batch full');
    checkPathId(pathId);
    const i = batch.count++;
    writePacketNonce(this.iv, pathId, pn, batch.nonces, BATCH_NONCE_LENGTH * i);
    // RFC 9001 §5.3: the AAD is the header, from the first byte through the packet number.
    batch.offsets[3 * i] = packetStart;
    batch.offsets[3 * i + 1] = payloadStart;
    batch.offsets[3 * i + 2] = payloadEnd;
    batch.samples[i] = pnOffset + HP_SAMPLE_OFFSET;
    this.sealedPackets++;
    return packetEnd;
  }

  /**
   * Protects the packets `queue` put in `batch` (RFC 9001 §5.3, §5.4): seals them all, then
   * takes the header protection masks of all of them from their ciphertext samples and applies
   * them. Empties the batch.
   */
  protectQueued(buf: Uint8Array, batch: ProtectionBatch): void {
    const n = batch.count;
    if (n === 0) return;
    batch.count = 0;
    this.aead.sealBatch(buf, batch.offsets, batch.nonces, n);
    const masks = batch.masks;
    this.hp.maskBatch(buf, batch.samples, n, masks);
    for (let i = 0; i < n; i++) {
      const start = batch.offsets[3 * i]!;
      const pnOffset = batch.samples[i]! - HP_SAMPLE_OFFSET;
      const m = 5 * i;
      const first = buf[start]!;
      // RFC 9001 §5.4.1: the low 4 bits of a long header's first byte, 5 of a short header's.
      buf[start] = first ^ (masks[m]! & ((first & 0x80) !== 0 ? 0x0f : 0x1f));
      const pnLength = (first & 0x03) + 1;
      for (let j = 0; j < pnLength; j++) buf[pnOffset + j] = buf[pnOffset + j]! ^ masks[m + 1 + j]!;
    }
  }

  /**
   * Removes header protection in place (RFC 9001 §5.4.1): unmasks the first byte's protected
   * bits and the packet number. `packetEnd` bounds the packet (the Length field for long
   * headers, the datagram end for short headers). Returns the packet number length (1..4) and
   * sets `truncatedPn`, or returns -1 — header left untouched — when the packet is too short
   * to contain a sample: the packet must be dropped.
   */
  removeHeaderProtection(
    buf: Uint8Array,
    packetStart: number,
    pnOffset: number,
    packetEnd: number,
  ): number {
    const sampleStart = pnOffset + HP_SAMPLE_OFFSET;
    if (sampleStart + HP_SAMPLE_LENGTH > packetEnd || packetEnd > buf.length) return -1;
    const mask = this.mask;
    this.hp.mask(buf, mask, sampleStart);
    const first = buf[packetStart]!;
    // RFC 9001 §5.4.1: 4 bits are protected in long headers, 5 in short headers.
    const unmasked = first ^ (mask[0]! & ((first & 0x80) !== 0 ? 0x0f : 0x1f));
    buf[packetStart] = unmasked;
    const pnLength = (unmasked & 0x03) + 1;
    let truncated = 0;
    for (let i = 0; i < pnLength; i++) {
      const b = buf[pnOffset + i]! ^ mask[1 + i]!;
      buf[pnOffset + i] = b;
      truncated = truncated * 256 + b;
    }
    this.truncatedPn = truncated;
    return pnLength;
  }

  /**
   * Decrypts the payload in place after `removeHeaderProtection` (RFC 9001 §5.3): the
   * plaintext lands at `pnOffset + pnLength`. `pn` is the full (expanded) packet number,
   * `pathId` the path ID of the packet's connection ID (RFC 10069 §2.4; 0 for single-path QUIC).
   * Returns the plaintext length, or -1 if authentication fails — the ciphertext is then left
   * as it was (a failed packet may still be a Stateless Reset, RFC 9000 §10.3.1). Throws a
   * RangeError only for a path ID that is not a 32-bit integer (the caller's own state).
   */
  openPayload(
    buf: Uint8Array,
    packetStart: number,
    pnOffset: number,
    pnLength: number,
    pn: number,
    packetEnd: number,
    pathId = 0,
  ): number {
    const payloadStart = pnOffset + pnLength;
    if (packetEnd - payloadStart < AEAD_TAG_LENGTH || packetEnd > buf.length) {
      this.authFailures++;
      return -1;
    }
    checkPathId(pathId);
    writePacketNonce(this.iv, pathId, pn, this.nonce);
    const o = this.oneOffsets;
    o[0] = packetStart;
    o[1] = payloadStart;
    o[2] = packetEnd;
    this.aead.openBatch(buf, o, this.nonce, 1, this.oneResult);
    const n = this.oneResult[0]!;
    if (n < 0) this.authFailures++;
    return n;
  }

  /**
   * Writes the nonce of packet `pn` on path `pathId` under these keys to `out` at `outOffset`
   * (12 bytes): for the `nonces` of the provider's sealBatch / openBatch (provider.ts).
   */
  writeNonce(pn: number, pathId: number, out: Uint8Array, outOffset = 0): void {
    checkPathId(pathId);
    writePacketNonce(this.iv, pathId, pn, out, outOffset);
  }

  /** RFC 9001 §5.4.1 on the sending side: mask the first byte's low bits and the packet number. */
  private applyMask(
    buf: Uint8Array,
    packetStart: number,
    pnOffset: number,
    pnLength: number,
  ): void {
    const sampleStart = pnOffset + HP_SAMPLE_OFFSET;
    const mask = this.mask;
    this.hp.mask(buf, mask, sampleStart);
    const first = buf[packetStart]!;
    buf[packetStart] = first ^ (mask[0]! & ((first & 0x80) !== 0 ? 0x0f : 0x1f));
    for (let i = 0; i < pnLength; i++) buf[pnOffset + i] = buf[pnOffset + i]! ^ mask[1 + i]!;
  }
}

function checkPathId(pathId: number): void {
  // RFC 10069 §2.1: a path ID is 32 bits; anything else would alias another path's nonces.
  if (!(pathId >= 0 && pathId <= MAX_PATH_ID && Number.isInteger(pathId))) {
    throw new RangeError(`path ID out of range: ${pathId}`);
  }
}

/**
 * The packet number length of the packet at `packetStart`, once its layout is checked: its
 * 16-byte tag fits `buf` after `payloadEnd`, and it is long enough to sample (RFC 9001 §5.4.2:
 * the packet number and payload together must be at least 4 bytes; the assembler pads).
 */
function checkedPnLength(
  buf: Uint8Array,
  packetStart: number,
  pnOffset: number,
  payloadEnd: number,
): number {
  const pnLength = (buf[packetStart]! & 0x03) + 1;
  if (payloadEnd + AEAD_TAG_LENGTH > buf.length) {
    throw new RangeError('no room for the AEAD tag after the payload');
  }
  if (payloadEnd - pnOffset < HP_SAMPLE_OFFSET || pnOffset + pnLength > payloadEnd) {
    throw new RangeError('packet too short for a header protection sample (RFC 9001 §5.4.2)');
  }
  return pnLength;
}
