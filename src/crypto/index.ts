/** Public surface of src/crypto: providers, key derivation and QUIC packet protection. */
export type {
  Aead,
  AeadAlg,
  CryptoProvider,
  HashAlg,
  HeaderProtection,
  HpAlg,
  KeyExchangeGroup,
  KeyShare,
  KeyType,
  SignatureScheme,
  SigningKey,
} from './provider.js';
export { nodeProvider } from './node-provider.js';
export { nobleProvider } from './noble-provider.js';
export {
  backend,
  defaultProvider,
  describeBackend,
  selectBackend,
  type Backend,
  type BackendName,
} from './default-provider.js';
export { pureProvider } from './pure-provider.js';
export { loadNativeProvider, type NativeLoad } from './native-provider.js';
export { deriveSecret, encodeHkdfLabel, hashLength, hkdfExpandLabel } from './hkdf.js';
export {
  CIPHER_SUITES,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  cipherSuiteByCode,
  cipherSuiteByName,
  type CipherSuite,
  type CipherSuiteName,
} from './suites.js';
export {
  QUIC_V1,
  QUIC_V2,
  isCryptoSupportedVersion,
  versionCryptoParams,
  type VersionCryptoParams,
} from './quic-versions.js';
export {
  AEAD_TAG_LENGTH,
  HP_SAMPLE_LENGTH,
  HP_SAMPLE_OFFSET,
  PacketProtector,
  derivePacketKeys,
  nextTrafficSecret,
  type PacketKeys,
} from './packet-protection.js';
export {
  createInitialProtectors,
  deriveInitialSecrets,
  type InitialProtectors,
  type InitialSecrets,
} from './initial.js';
export { RETRY_TAG_LENGTH, retryIntegrityTag, verifyRetryIntegrity } from './retry.js';
