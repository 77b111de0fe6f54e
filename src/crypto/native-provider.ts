/**
 * The `native` crypto provider: the pure provider with packet protection (AEAD and header
 * protection) and the handshake's HMAC, HKDF, X25519 and ML-KEM-768 (native-handshake.ts) from
 * the optional addon in native/ (C on OpenSSL through N-API, built by `npm install`; see
 * native/build.js).
 *
 * Why: node:crypto cannot give an AEAD cipher a new IV, so each packet pays for a new
 * Cipheriv and new Buffers (about 5 µs per 1,200-byte packet, bench/crypto.ts). The addon keeps
 * one OpenSSL context per key and direction and sets only the nonce per packet (RFC 9001 §5.3),
 * in place on the caller's buffer, and its batch calls protect N packets per crossing into C.
 * Header protection's single mask stays on the pure provider's JavaScript AES, which is cheaper
 * than a call into C for 16 bytes (bench/crypto.ts); batches of masks go to C.
 *
 * Loading never throws: a missing or unloadable addon is reported as a reason, and the pure
 * backend runs (default-provider.ts chooses).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAeadKey, checkHpKey } from './alg-params.js';
import { nativeHandshakePrimitives, type NativeHandshakeAddon } from './native-handshake.js';
import type { Aead, AeadAlg, CryptoProvider, HeaderProtection, HpAlg } from './provider.js';
import { pureProvider } from './pure-provider.js';

/** An opaque handle to a keyed OpenSSL context owned by the addon (freed by the GC). */
type Handle = { readonly __nativeHandle: unique symbol };

/** The functions of native/tsquic_native.c (and tsquic_handshake.c's and tsquic_mlkem.c's). */
export interface NativeAddon extends NativeHandshakeAddon {
  readonly openssl: string;
  aeadNew(alg: number, key: Uint8Array): Handle;
  aeadSeal(
    h: Handle,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number;
  aeadOpen(
    h: Handle,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number;
  aeadSealBatch(
    h: Handle,
    buf: Uint8Array,
    offsets: Uint32Array,
    nonces: Uint8Array,
    count: number,
  ): void;
  aeadOpenBatch(
    h: Handle,
    buf: Uint8Array,
    offsets: Uint32Array,
    nonces: Uint8Array,
    count: number,
    results: Int32Array,
  ): number;
  hpNew(alg: number, key: Uint8Array): Handle;
  hpMask(h: Handle, buf: Uint8Array, offset: number, mask: Uint8Array): void;
  hpMaskBatch(
    h: Handle,
    buf: Uint8Array,
    sampleOffsets: Uint32Array,
    count: number,
    masks: Uint8Array,
  ): void;
}

/** The outcome of loading the addon: the provider, or why there is none. */
export type NativeLoad =
  | { readonly loaded: true; readonly provider: CryptoProvider; readonly openssl: string }
  | { readonly loaded: false; readonly reason: string };

// The algorithm numbers of native/tsquic_native.c.
const AEAD_CODE: Record<AeadAlg, number> = {
  'aes-128-gcm': 0,
  'aes-256-gcm': 1,
  'chacha20-poly1305': 2,
};
const HP_CODE: Record<HpAlg, number> = { 'aes-128-ecb': 0, 'aes-256-ecb': 1, chacha20: 2 };

class NativeAead implements Aead {
  private readonly handle: Handle;

  constructor(
    private readonly addon: NativeAddon,
    readonly alg: AeadAlg,
    key: Uint8Array,
  ) {
    checkAeadKey(alg, key);
    this.handle = addon.aeadNew(AEAD_CODE[alg], key);
  }

  seal(
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number {
    return this.addon.aeadSeal(this.handle, nonce, aad, plaintext, out, outOffset);
  }

  open(
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    out: Uint8Array,
    outOffset: number,
  ): number {
    return this.addon.aeadOpen(this.handle, nonce, aad, ciphertext, out, outOffset);
  }

  sealBatch(buf: Uint8Array, offsets: Uint32Array, nonces: Uint8Array, count: number): void {
    this.addon.aeadSealBatch(this.handle, buf, offsets, nonces, count);
  }

  openBatch(
    buf: Uint8Array,
    offsets: Uint32Array,
    nonces: Uint8Array,
    count: number,
    results: Int32Array,
  ): number {
    return this.addon.aeadOpenBatch(this.handle, buf, offsets, nonces, count, results);
  }
}

/**
 * Single masks on the pure provider's JavaScript, batches in C (see the module comment), each
 * made on first use. Many keys never see a batch (a handshake's Initial and Handshake keys, a
 * flood's connections that never finish), and each C context costs an OpenSSL cipher set-up and
 * a GC finalizer (bench/README.md, "Handshake primitives in the addon"); keys that only send,
 * in batches, never need the JavaScript one.
 */
class NativeHeaderProtection implements HeaderProtection {
  private handle: Handle | null = null;
  private single: HeaderProtection | null = null;
  private readonly key: Uint8Array;

  constructor(
    private readonly addon: NativeAddon,
    private readonly alg: HpAlg,
    key: Uint8Array,
  ) {
    checkHpKey(alg, key);
    this.key = key.slice();
  }

  mask(sample: Uint8Array, mask: Uint8Array, offset = 0): void {
    this.single ??= pureProvider.createHeaderProtection(this.alg, this.key);
    this.single.mask(sample, mask, offset);
  }

  maskBatch(buf: Uint8Array, sampleOffsets: Uint32Array, count: number, masks: Uint8Array): void {
    this.handle ??= this.addon.hpNew(HP_CODE[this.alg], this.key);
    this.addon.hpMaskBatch(this.handle, buf, sampleOffsets, count, masks);
  }
}

/** The package root: the first directory above this module with tsquic's package.json. */
function packageRoot(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'tsquic') {
          return dir;
        }
      } catch {
        // Not readable as JSON: keep looking up.
      }
    }
    dir = path.dirname(dir);
  }
  return null;
}

/** The addon's file, where native/build.js writes it. */
export function nativeAddonPath(): string | null {
  const root = packageRoot();
  return root === null ? null : path.join(root, 'native', 'build', 'tsquic_native.node');
}

/** Loads the addon and builds the native provider on it; never throws. */
export function loadNativeProvider(file: string | null = nativeAddonPath()): NativeLoad {
  if (file === null) return { loaded: false, reason: "tsquic's package directory not found" };
  if (!existsSync(file)) {
    return { loaded: false, reason: `not built (no ${file}; npm install builds it)` };
  }
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(file) as NativeAddon;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return { loaded: false, reason: `load failed: ${message}` };
  }
  return { loaded: true, provider: nativeProvider(addon), openssl: addon.openssl };
}

/** The native provider on a loaded addon (tests wrap the addon to watch its calls). */
export function nativeProvider(addon: NativeAddon): CryptoProvider {
  return {
    ...pureProvider,
    ...nativeHandshakePrimitives(addon, pureProvider),
    name: 'native',
    createAead: (alg, key) => new NativeAead(addon, alg, key),
    createHeaderProtection: (alg, key) => new NativeHeaderProtection(addon, alg, key),
  };
}
