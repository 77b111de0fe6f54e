/**
 * The default crypto provider: for each primitive, whichever of `node` and `noble` is faster on
 * Node.js, as measured by bench/crypto.ts (`npx tsx bench/crypto.ts`; full tables in
 * bench/README.md, "Crypto"). Figures from Node 20.20, per CPU-second on one core:
 *
 * - AEAD: node:crypto. AES-128-GCM, 1200-byte packet: 137k seals/s on node vs 22k on noble;
 *   ChaCha20-Poly1305: 111k vs 52k.
 * - Header protection: the pure-JS block functions of the noble provider, because node must
 *   cross into C++ (and, for ChaCha20, build a cipher) for every 16-byte sample. One mask:
 *   AES-128 139 ns vs 1204 ns with a reused node ECB cipher; ChaCha20 128 ns vs 2980 ns.
 * - Key shares: node:crypto. X25519 derive 116 µs vs 957 µs; P-256 114 µs vs 2382 µs.
 * - Signatures: node:crypto. P-256 verify 198 µs vs 1932 µs; Ed25519 170 µs vs 1169 µs.
 * - Hash, HMAC, HKDF: node:crypto. HMAC-SHA256 of 64 bytes 2.4 µs vs 5.5 µs; one
 *   Expand-Label 3.9 µs vs 5.6 µs.
 * - Random: globalThis.crypto.getRandomValues (the noble provider's source; the same OpenSSL
 *   generator underneath): 32 bytes in 2.0 µs vs 2.5 µs for randomBytes.
 *
 * Together: 205k protected and 237k unprotected 1200-byte AES-128-GCM packets per CPU-second.
 */
import { noblePrimitives } from './noble-provider.js';
import { nodePrimitives } from './node-provider.js';
import type { CryptoProvider } from './provider.js';
import { nodeSigning } from './signing-node.js';

export const defaultProvider: CryptoProvider = {
  name: 'default',
  ...nodeSigning,
  random: noblePrimitives.random,
  hash: nodePrimitives.hash,
  hmac: nodePrimitives.hmac,
  hkdfExtract: nodePrimitives.hkdfExtract,
  hkdfExpand: nodePrimitives.hkdfExpand,
  createAead: nodePrimitives.createAead,
  createHeaderProtection: noblePrimitives.createHeaderProtection,
  generateKeyShare: nodePrimitives.generateKeyShare,
};
