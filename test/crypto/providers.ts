/** The providers every crypto test runs through: native too when its addon loaded. */
import { backend } from '../../src/crypto/default-provider.js';
import { nobleProvider } from '../../src/crypto/noble-provider.js';
import { nodeProvider } from '../../src/crypto/node-provider.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { pureProvider } from '../../src/crypto/pure-provider.js';

export const PROVIDERS: readonly CryptoProvider[] = [
  nodeProvider,
  nobleProvider,
  pureProvider,
  ...(backend.native.loaded ? [backend.native.provider] : []),
];
