/**
 * The QUIC-LB CID transforms (draft-ietf-quic-load-balancers-21 §5.4, §5.5): a configuration
 * turns (server ID, nonce) into a connection ID and a connection ID back into its server ID.
 * Without a key the plaintext block is the CID; with a key it is one AES-128 block when server
 * ID and nonce fill exactly 16 octets (single pass), and a four-round Feistel network with
 * AES-ECB as its round function otherwise (four-pass).
 */
import { defaultProvider } from '../crypto/default-provider.js';
import type { BlockCipher, CryptoProvider } from '../crypto/provider.js';
import { checkQuicLbConfig, quicLbCidLength, type QuicLbConfig } from './config.js';

export class QuicLbCipher {
  readonly config: QuicLbConfig;
  /** Octets after the first octet: server ID and nonce. */
  readonly plaintextLength: number;
  private readonly aes: BlockCipher | null;
  private readonly halfLength: number;
  private readonly odd: boolean;
  // Scratch for one CID's work; a cipher serves one caller at a time (no re-entry).
  private readonly block = new Uint8Array(16);
  private readonly left = new Uint8Array(10);
  private readonly right = new Uint8Array(10);
  /** The joined plaintext of a four-pass decryption (decodeInto). */
  private readonly text = new Uint8Array(19);

  constructor(config: QuicLbConfig, provider: CryptoProvider = defaultProvider) {
    checkQuicLbConfig(config);
    this.config = config;
    this.plaintextLength = config.serverIdLength + config.nonceLength;
    this.aes = config.key ? provider.createBlockCipher('aes-128-ecb', config.key) : null;
    this.halfLength = Math.ceil(this.plaintextLength / 2);
    this.odd = this.plaintextLength % 2 === 1;
  }

  /** The CID length of this configuration. */
  get cidLength(): number {
    return quicLbCidLength(this.config);
  }

  /**
   * The connection ID for `serverId` and `nonce`, with `firstOctetLow` (5 bits) below the config
   * rotation bits when the configuration does not encode the length (§3.4).
   */
  encode(serverId: Uint8Array, nonce: Uint8Array, firstOctetLow = 0): Uint8Array {
    const c = this.config;
    if (serverId.length !== c.serverIdLength)
      throw new RangeError(`QUIC-LB server ID must be ${c.serverIdLength} bytes`);
    if (nonce.length !== c.nonceLength)
      throw new RangeError(`QUIC-LB nonce must be ${c.nonceLength} bytes`);
    const cid = new Uint8Array(1 + this.plaintextLength);
    const low = c.encodeLength === false ? firstOctetLow & 0x1f : this.plaintextLength;
    cid[0] = (c.configId << 5) | low;
    cid.set(serverId, 1);
    cid.set(nonce, 1 + serverId.length);
    const body = cid.subarray(1);
    if (this.aes === null) return cid;
    if (this.plaintextLength === 16) this.aes.encryptBlock(body, body);
    else this.fourPassEncrypt(body);
    return cid;
  }

  /**
   * The server ID in `cid` (a copy), or null when the CID does not belong to this configuration:
   * another config rotation codepoint, too short, or a self-encoded length that disagrees (§4.1).
   */
  decode(cid: Uint8Array): Uint8Array | null {
    const serverId = new Uint8Array(this.config.serverIdLength);
    return this.decodeInto(cid, 0, cid.length, serverId) ? serverId : null;
  }

  /**
   * @internal
   * decode() for the CID at `data[offset .. offset + cidLength)`, allocating nothing (a router
   * decides per datagram, workers.ts): the server ID is written to `serverId` (room for
   * serverIdLength octets, at most MAX_SERVER_ID_LENGTH) from this cipher's scratch. False where
   * decode gives null. Four-pass CIDs whose server ID lies wholly in left_0 need only three
   * passes (§5.5.2).
   */
  decodeInto(data: Uint8Array, offset: number, cidLength: number, serverId: Uint8Array): boolean {
    const c = this.config;
    const n = c.serverIdLength;
    if (!this.accepts(data, offset, cidLength)) return false;
    let from = data;
    let at = offset + 1;
    if (this.aes !== null && this.plaintextLength === 16) {
      const b = this.block;
      for (let i = 0; i < 16; i++) b[i] = data[offset + 1 + i]!;
      this.aes.decryptBlock(b, b);
      from = b;
      at = 0;
    } else if (this.aes !== null) {
      this.threePasses(data, offset + 1);
      from = this.left;
      at = 0;
      if (n > c.nonceLength) {
        // The server ID reaches into right_0: the fourth pass and the join recover it.
        this.round(1, this.left, this.right, false);
        this.join(this.text);
        from = this.text;
      }
    }
    for (let i = 0; i < n; i++) serverId[i] = from[at + i]!;
    return true;
  }

  /** The plaintext block (server ID || nonce) of `cid`, or null as for decode. */
  decrypt(cid: Uint8Array): Uint8Array | null {
    if (!this.accepts(cid, 0, cid.length)) return null;
    const plain = cid.slice(1, 1 + this.plaintextLength);
    if (this.aes === null) return plain;
    if (this.plaintextLength === 16) this.aes.decryptBlock(plain, plain);
    else this.fourPassDecrypt(plain);
    return plain;
  }

  /**
   * Whether the CID at `data[offset .. offset + length)` is long enough and carries this
   * configuration's first octet (§4.1).
   */
  private accepts(data: Uint8Array, offset: number, length: number): boolean {
    const c = this.config;
    if (length < 1 + this.plaintextLength || offset + length > data.length) return false;
    const first = data[offset]!;
    if (first >>> 5 !== c.configId) return false;
    return c.encodeLength === false || (first & 0x1f) === length - 1;
  }

  // ---- four-pass (§5.4.2) -------------------------------------------------------------------

  /**
   * The first three decryption passes over the ciphertext at `data[offset ..]`: left holds
   * left_0 after them, which is all of the server ID when it is no longer than the nonce
   * (§5.5.2).
   */
  private threePasses(data: Uint8Array, offset: number): void {
    this.split(data, offset);
    this.round(4, this.right, this.left, true);
    this.round(3, this.left, this.right, false);
    this.round(2, this.right, this.left, true);
  }

  /**
   * Splits the plaintextLength octets at `text[offset ..]` into left_0 and right_0; an odd
   * middle octet gives each half a nibble.
   */
  private split(text: Uint8Array, offset: number): void {
    const h = this.halfLength;
    const rightStart = offset + this.plaintextLength - h;
    for (let i = 0; i < h; i++) {
      this.left[i] = text[offset + i]!;
      this.right[i] = text[rightStart + i]!;
    }
    if (this.odd) {
      this.left[h - 1]! &= 0xf0;
      this.right[0]! &= 0x0f;
    }
  }

  /** Joins left and right back into `text`, merging the shared middle octet when odd. */
  private join(text: Uint8Array): void {
    const h = this.halfLength;
    const rightStart = this.plaintextLength - h;
    for (let i = 0; i < h; i++) text[rightStart + i] = this.right[i]!;
    for (let i = 0; i < h; i++) text[i] = this.left[i]!;
    if (this.odd) text[h - 1] = this.left[h - 1]! | this.right[0]!;
  }

  /**
   * One Feistel round: `target` ^= truncate(AES(expand(length, pass, source)), half_len), then the
   * target's unused nibble is cleared (steps 3–11).
   */
  private round(pass: number, source: Uint8Array, target: Uint8Array, targetIsLeft: boolean): void {
    const h = this.halfLength;
    const b = this.block;
    b.fill(0);
    for (let i = 0; i < h; i++) b[i] = source[i]!;
    b[14] = this.plaintextLength;
    b[15] = pass;
    this.aes!.encryptBlock(b, b);
    for (let i = 0; i < h; i++) target[i]! ^= b[i]!;
    if (this.odd) {
      if (targetIsLeft) target[h - 1]! &= 0xf0;
      else target[0]! &= 0x0f;
    }
  }

  private fourPassEncrypt(text: Uint8Array): void {
    this.split(text, 0);
    this.round(1, this.left, this.right, false);
    this.round(2, this.right, this.left, true);
    this.round(3, this.left, this.right, false);
    this.round(4, this.right, this.left, true);
    this.join(text);
  }

  private fourPassDecrypt(text: Uint8Array): void {
    this.threePasses(text, 0);
    // A load balancer may stop here when the server ID fits in left_0 (§5.5.2); the whole
    // plaintext costs one more block and serves servers and tests too.
    this.round(1, this.left, this.right, false);
    this.join(text);
  }
}
