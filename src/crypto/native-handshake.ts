/**
 * The native backend's handshake primitives: HMAC, HKDF (RFC 5869) and HKDF-Expand-Label
 * (RFC 8446 §7.1), and X25519 (RFC 7748) from native/tsquic_handshake.c; ML-KEM-768 (FIPS 203)
 * for X25519MLKEM768 from native/tsquic_mlkem.c.
 *
 * Why: node:crypto builds a Hmac object and Buffers per HMAC (a handshake pair runs about a
 * hundred: HKDF for every packet protector and the key schedule, stateless reset tokens), and
 * its X25519 goes through KeyObjects and DER. The addon writes each result into a Uint8Array
 * allocated here, in one call. The pure provider's versions (node-provider.ts) compute the same
 * values (test/crypto/native-handshake.test.ts compares them on the RFC vectors and on random
 * inputs); the other groups (P-256, P-384) stay on them. noble's ML-KEM-768, which the pure
 * provider runs, costs about 2.4 ms of CPU per handshake pair; the addon's gives the same bytes
 * (test/crypto/mlkem.test.ts).
 */
import { checkHkdfExpandLength, hashLength, isAllZero } from './alg-params.js';
import { hybridClientShare, respondToKeyShare, type MlKem768 } from './hybrid-mlkem.js';
import type { CryptoProvider, HashAlg, KeyExchangeGroup, KeyShare } from './provider.js';

/** An opaque handle to an X25519 private key owned by the addon (freed by the GC). */
type X25519Handle = { readonly __x25519Handle: unique symbol };

/** The functions of native/tsquic_handshake.c; `alg` is HASH_CODE's number. */
export interface NativeHandshakeAddon {
  hmac(alg: number, key: Uint8Array, data: Uint8Array, out: Uint8Array): void;
  hkdfExpand(alg: number, prk: Uint8Array, info: Uint8Array, out: Uint8Array): void;
  hkdfExpandLabel(
    alg: number,
    secret: Uint8Array,
    fullLabel: Uint8Array,
    context: Uint8Array,
    out: Uint8Array,
  ): void;
  x25519Generate(publicKey: Uint8Array, privateKey?: Uint8Array): X25519Handle;
  x25519Derive(h: X25519Handle, peerPublicKey: Uint8Array, out: Uint8Array): boolean;
  /** ML-KEM.KeyGen_internal(d, z), seed = d || z, into ek (1184 bytes) and dk (2400). */
  mlkemKeygen(seed: Uint8Array, ek: Uint8Array, dk: Uint8Array): void;
  /** ML-KEM.Encaps_internal(ek, m) into ct (1088) and ss (32); false when ek fails §7.2. */
  mlkemEncaps(ek: Uint8Array, m: Uint8Array, ct: Uint8Array, ss: Uint8Array): boolean;
  /** ML-KEM.Decaps(dk, ct) into ss (32); false when ct or dk fails §7.3. */
  mlkemDecaps(ct: Uint8Array, dk: Uint8Array, ss: Uint8Array): boolean;
}

// FIPS 203 §8, Table 3: ML-KEM-768's sizes.
const MLKEM_EK_LENGTH = 1184;
const MLKEM_DK_LENGTH = 2400;
const MLKEM_CT_LENGTH = 1088;

/** The addon's ML-KEM-768, each result in a Uint8Array allocated here. */
export function nativeMlKem768(addon: NativeHandshakeAddon): MlKem768 {
  return {
    keygen(seed) {
      const publicKey = new Uint8Array(MLKEM_EK_LENGTH);
      const secretKey = new Uint8Array(MLKEM_DK_LENGTH);
      addon.mlkemKeygen(seed, publicKey, secretKey);
      return { publicKey, secretKey };
    },
    encapsulate(publicKey, m) {
      const cipherText = new Uint8Array(MLKEM_CT_LENGTH);
      const sharedSecret = new Uint8Array(32);
      return addon.mlkemEncaps(publicKey, m, cipherText, sharedSecret)
        ? { cipherText, sharedSecret }
        : null;
    },
    decapsulate(cipherText, secretKey) {
      const sharedSecret = new Uint8Array(32);
      return addon.mlkemDecaps(cipherText, secretKey, sharedSecret) ? sharedSecret : null;
    },
  };
}

const HASH_CODE: Record<HashAlg, number> = { sha256: 0, sha384: 1 };

// RFC 8446 §7.1: every label is prefixed with "tls13 ".
const LABEL_PREFIX = 'tls13 ';
/**
 * Encoded full labels by label. The labels are the protocol's constants (RFC 8446 §7.1,
 * RFC 9001 §5.1), a few dozen; the cap keeps a caller that makes labels up from growing it.
 */
const LABEL_CACHE_LIMIT = 64;
const encoder = new TextEncoder();

/** The primitives `native` takes from the addon, over the pure provider's `base`. */
export function nativeHandshakePrimitives(
  addon: NativeHandshakeAddon,
  base: CryptoProvider,
): Pick<
  CryptoProvider,
  | 'hmac'
  | 'hkdfExtract'
  | 'hkdfExpand'
  | 'hkdfExpandLabel'
  | 'generateKeyShare'
  | 'respondToKeyShare'
> {
  const labels = new Map<string, Uint8Array>();
  const kem = nativeMlKem768(addon);

  function fullLabel(label: string): Uint8Array {
    let bytes = labels.get(label);
    if (bytes === undefined) {
      bytes = encoder.encode(LABEL_PREFIX + label);
      if (labels.size < LABEL_CACHE_LIMIT) labels.set(label, bytes);
    }
    return bytes;
  }

  function hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array {
    const out = new Uint8Array(hashLength(alg));
    addon.hmac(HASH_CODE[alg], key, data, out);
    return out;
  }

  function generateKeyShare(group: KeyExchangeGroup): KeyShare {
    switch (group) {
      case 'x25519':
        return new NativeX25519Share(addon);
      case 'X25519MLKEM768':
        return hybridClientShare(new NativeX25519Share(addon), kem, base.random);
      default:
        return base.generateKeyShare(group);
    }
  }

  return {
    hmac,
    /** RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM), salt defaulting to HashLen zeros. */
    hkdfExtract: (alg, salt, ikm) =>
      hmac(alg, salt.length === 0 ? new Uint8Array(hashLength(alg)) : salt, ikm),
    hkdfExpand(alg, prk, info, length) {
      checkHkdfExpandLength(hashLength(alg), length);
      const out = new Uint8Array(length);
      addon.hkdfExpand(HASH_CODE[alg], prk, info, out);
      return out;
    },
    hkdfExpandLabel(alg, secret, label, context, length) {
      // hkdf.ts has checked the label, context and length against RFC 8446 §7.1's bounds.
      const out = new Uint8Array(length);
      addon.hkdfExpandLabel(HASH_CODE[alg], secret, fullLabel(label), context, out);
      return out;
    },
    generateKeyShare,
    respondToKeyShare: (group, peerPublicKey) =>
      respondToKeyShare(generateKeyShare, kem, base.random, group, peerPublicKey),
  };
}

/**
 * An X25519 key pair whose private key stays in the addon: a fresh one, or `privateKey`'s (for
 * known-answer tests; a handshake never passes one).
 */
export class NativeX25519Share implements KeyShare {
  readonly group = 'x25519' as const;
  readonly publicKey = new Uint8Array(32);
  private readonly handle: X25519Handle;

  constructor(
    private readonly addon: NativeHandshakeAddon,
    privateKey?: Uint8Array,
  ) {
    this.handle = addon.x25519Generate(this.publicKey, privateKey);
  }

  deriveSecret(peerPublicKey: Uint8Array): Uint8Array | null {
    // RFC 8446 §4.2.8.2: X25519 key shares are exactly 32 bytes.
    if (peerPublicKey.length !== 32) return null;
    const secret = new Uint8Array(32);
    // The addon refuses an all-zero result (RFC 8446 §7.4.2); checked here as well, so the
    // rule does not rest on C alone.
    if (!this.addon.x25519Derive(this.handle, peerPublicKey, secret)) return null;
    return isAllZero(secret) ? null : secret;
  }
}
