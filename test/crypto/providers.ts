/** The providers every crypto test runs through. */
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { nobleProvider } from '../../src/crypto/noble-provider.js';
import { nodeProvider } from '../../src/crypto/node-provider.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';

export const PROVIDERS: readonly CryptoProvider[] = [nodeProvider, nobleProvider, defaultProvider];
