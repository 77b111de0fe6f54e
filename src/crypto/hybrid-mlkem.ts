/**
 * X25519MLKEM768, the hybrid post-quantum key exchange of draft-ietf-tls-ecdhe-mlkem (NamedGroup
 * 0x11EC): ML-KEM-768 (FIPS 203) combined with X25519. Both halves come from the provider: its
 * X25519 share, and its ML-KEM-768 (`MlKem768`: @noble/post-quantum's on the pure backend, since
 * Node 20 has no ML-KEM; native/tsquic_mlkem.c's on the native one).
 *
 * Wire forms (draft §3.1, §3.2) put ML-KEM first, against the naming convention of
 * draft-ietf-tls-hybrid-design §3.2 "for historical reasons":
 *   client share  = ML-KEM-768 encapsulation key (1184) || X25519 public key (32)  = 1216 bytes
 *   server share  = ML-KEM-768 ciphertext (1088)        || X25519 public key (32)  = 1120 bytes
 *   shared secret = ML-KEM shared secret (32)           || X25519 shared secret (32) = 64 bytes
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { KeyExchangeGroup, KeyShare } from './provider.js';

/**
 * ML-KEM-768's three operations (FIPS 203 §6, §7), with the input checks of §7.2 and §7.3.
 * Deterministic given their seeds, so implementations can be compared byte for byte.
 */
export interface MlKem768 {
  /** ML-KEM.KeyGen_internal(d, z) for `seed` = d || z (64 bytes): ek (1184), dk (2400). */
  keygen(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  /**
   * ML-KEM.Encaps_internal(ek, m) for the 32-byte `m`: null when `publicKey` fails §7.2's
   * checks (length, every coefficient below q).
   */
  encapsulate(
    publicKey: Uint8Array,
    m: Uint8Array,
  ): { cipherText: Uint8Array; sharedSecret: Uint8Array } | null;
  /**
   * ML-KEM.Decaps(dk, c): the 32-byte shared secret, K-bar for a wrong ciphertext (implicit
   * rejection). Null when `cipherText` or `secretKey` fails §7.3's checks (lengths, H(ek)).
   */
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array | null;
}

/** @noble/post-quantum's ML-KEM-768, which throws where MlKem768 answers null. */
export const nobleMlKem768: MlKem768 = {
  keygen: (seed) => ml_kem768.keygen(seed),
  encapsulate(publicKey, m) {
    try {
      return ml_kem768.encapsulate(publicKey, m);
    } catch {
      return null; // noble performs §7.2's checks and throws when they fail
    }
  },
  decapsulate(cipherText, secretKey) {
    try {
      return ml_kem768.decapsulate(cipherText, secretKey);
    } catch {
      return null; // §7.3's checks
    }
  },
};

const EK_LENGTH = 1184;
const CT_LENGTH = 1088;
const X25519_LENGTH = 32;
/** The client's key_exchange length (draft §3.1). */
export const HYBRID_CLIENT_SHARE_LENGTH = EK_LENGTH + X25519_LENGTH;
/** The server's key_exchange length (draft §3.2). */
export const HYBRID_SERVER_SHARE_LENGTH = CT_LENGTH + X25519_LENGTH;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The client's half: an ML-KEM-768 key pair next to an X25519 share. */
class HybridClientShare implements KeyShare {
  readonly group = 'X25519MLKEM768' as const;
  readonly publicKey: Uint8Array;
  private readonly decapsulationKey: Uint8Array;

  constructor(
    private readonly x25519: KeyShare,
    private readonly kem: MlKem768,
    seed: Uint8Array,
  ) {
    const { publicKey, secretKey } = kem.keygen(seed);
    this.decapsulationKey = secretKey;
    this.publicKey = concat(publicKey, x25519.publicKey);
  }

  deriveSecret(serverShare: Uint8Array): Uint8Array | null {
    // Draft §3.2: a ciphertext of the wrong length is illegal_parameter. Decapsulation itself
    // cannot fail: ML-KEM rejects implicitly, and a bad ciphertext yields a secret the server
    // does not have, so the handshake fails at Finished.
    if (serverShare.length !== HYBRID_SERVER_SHARE_LENGTH) return null;
    const ecdh = this.x25519.deriveSecret(serverShare.subarray(CT_LENGTH));
    if (ecdh === null) return null; // RFC 8446 §7.4.2 checks, draft §3.3
    const kem = this.kem.decapsulate(serverShare.subarray(0, CT_LENGTH), this.decapsulationKey);
    // Null only for a decapsulation key failing §7.3's check: ours, so never in practice.
    return kem === null ? null : concat(kem, ecdh);
  }
}

/**
 * A client share for X25519MLKEM768 around `x25519`, a fresh X25519 share of the provider.
 * `random` supplies the 64-byte ML-KEM key-generation seed (FIPS 203 §7.1: d || z).
 */
export function hybridClientShare(
  x25519: KeyShare,
  kem: MlKem768,
  random: (n: number) => Uint8Array,
): KeyShare {
  return new HybridClientShare(x25519, kem, random(64));
}

/**
 * The server's answer to a client's X25519MLKEM768 share: encapsulation to the client's ML-KEM
 * key and a fresh X25519 share (`x25519`). Null when the client's share is invalid: wrong
 * length, an encapsulation key failing the FIPS 203 §7.2 modulus check, or a bad X25519 key
 * (draft §3.2, §3.3: illegal_parameter).
 */
export function hybridServerShare(
  x25519: KeyShare,
  kem: MlKem768,
  clientShare: Uint8Array,
  random: (n: number) => Uint8Array,
): { publicKey: Uint8Array; secret: Uint8Array } | null {
  if (clientShare.length !== HYBRID_CLIENT_SHARE_LENGTH) return null;
  const ecdh = x25519.deriveSecret(clientShare.subarray(EK_LENGTH));
  if (ecdh === null) return null;
  const encapsulated = kem.encapsulate(clientShare.subarray(0, EK_LENGTH), random(32));
  if (encapsulated === null) return null;
  return {
    publicKey: concat(encapsulated.cipherText, x25519.publicKey),
    secret: concat(encapsulated.sharedSecret, ecdh),
  };
}

/**
 * The server's side of any key exchange, for a provider whose `generate` makes client shares:
 * a fresh share and the shared secret for ECDH groups, an encapsulation with `kem` for
 * X25519MLKEM768.
 */
export function respondToKeyShare(
  generate: (group: KeyExchangeGroup) => KeyShare,
  kem: MlKem768,
  random: (n: number) => Uint8Array,
  group: KeyExchangeGroup,
  peerPublicKey: Uint8Array,
): { publicKey: Uint8Array; secret: Uint8Array } | null {
  if (group === 'X25519MLKEM768')
    return hybridServerShare(generate('x25519'), kem, peerPublicKey, random);
  const share = generate(group);
  const secret = share.deriveSecret(peerPublicKey);
  return secret === null ? null : { publicKey: share.publicKey, secret };
}
