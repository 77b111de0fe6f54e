/**
 * The backend and its crypto provider (docs/ARCHITECTURE.md §7.5): `native` — packet protection in the
 * addon of native/ — when it loaded, else `pure` (node:crypto and noble, runs anywhere). The
 * environment variable TSQUIC_BACKEND=pure|native forces one; forcing `native` when the addon
 * did not load is an error, never a silent fallback. The choice is made once, when this module
 * loads, and reported by `tsquic --version`, a Node connection's getStats() and the benchmarks.
 */
import { loadNativeProvider, type NativeLoad } from './native-provider.js';
import type { CryptoProvider } from './provider.js';
import { pureProvider } from './pure-provider.js';

export type BackendName = 'pure' | 'native';

export interface Backend {
  readonly name: BackendName;
  readonly provider: CryptoProvider;
  /** The addon: loaded (with the OpenSSL it runs on), or why not. */
  readonly native: NativeLoad;
}

/**
 * The backend for a TSQUIC_BACKEND value (`undefined` or empty: native when it loaded).
 * Throws an Error for an unknown value, or for `native` when the addon did not load.
 */
export function selectBackend(requested: string | undefined, native: NativeLoad): Backend {
  switch (requested ?? '') {
    case '':
      return native.loaded
        ? { name: 'native', provider: native.provider, native }
        : { name: 'pure', provider: pureProvider, native };
    case 'pure':
      return { name: 'pure', provider: pureProvider, native };
    case 'native':
      if (!native.loaded) {
        throw new Error(
          `TSQUIC_BACKEND=native, but the native backend did not load: ${native.reason}`,
        );
      }
      return { name: 'native', provider: native.provider, native };
    default:
      throw new Error(`TSQUIC_BACKEND must be 'pure' or 'native', not '${requested!}'`);
  }
}

/** One line for version output and reports, e.g. `native (OpenSSL 3.0.19 27 Jan 2026)`. */
export function describeBackend(b: Backend): string {
  if (b.native.loaded) {
    return b.name === 'native'
      ? `native (${b.native.openssl})`
      : 'pure (native available, not selected)';
  }
  return `pure (native: ${b.native.reason})`;
}

/** The backend of this process. */
export const backend: Backend = selectBackend(process.env['TSQUIC_BACKEND'], loadNativeProvider());

/** The crypto provider of this process's backend: what every component uses unless given one. */
export const defaultProvider: CryptoProvider = backend.provider;
