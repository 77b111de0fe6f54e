/**
 * Address-validation tokens (RFC 9000 §8.1): the token of a Retry packet and of NEW_TOKEN frames.
 * A token is the validation state sealed with AES-128-GCM under a key only this server knows, so
 * the server keeps no per-client state (RFC 9000 §8.1.4): kind(1) || nonce(12) || seal(issue
 * time, QUIC version, client address, original DCID, Retry source CID). The version is the one
 * the token belongs to (RFC 9369 §5): the Retry's, which the client must keep, and the version
 * of the connection that sent NEW_TOKEN, which the next connection must negotiate. The kind is in the clear (and bound as
 * AAD) because the server must tell a bad Retry token (close with INVALID_TOKEN, §8.1.2) from a
 * stale NEW_TOKEN token (ignored, §8.1.3) without opening it.
 *
 * Retry tokens are bound to the client's IP address and port and expire quickly; NEW_TOKEN tokens
 * are bound to the IP address only (the port may change between connections, §8.1.3) and live
 * longer. Times are the wall clock (ms since the epoch): servers sharing the key (a pool, or a
 * restart, see key-material.ts) judge each other's tokens on one time base, which no process's
 * monotonic clock is. A token dated more than MAX_CLOCK_SKEW_MS ahead is refused, so a server
 * with a fast clock cannot mint tokens that live longer elsewhere.
 */
import type { Aead, CryptoProvider } from '../crypto/provider.js';
import { Reader, Writer } from '../util/cursor.js';
import { utf8, fromUtf8 } from '../util/bytes.js';
import type { SocketAddress } from '../util/address.js';

const RETRY_AAD = utf8('tsquic retry token');
const NEW_TOKEN_AAD = utf8('tsquic new token');
const KIND_RETRY = 1;
const KIND_NEW_TOKEN = 2;
/** How far ahead of our clock another server's token may be dated, ms. */
const MAX_CLOCK_SKEW_MS = 10_000;

export interface RetryTokenContents {
  /** The Destination CID of the client's first Initial (original_destination_connection_id). */
  originalDcid: Uint8Array;
  /** The Source CID the server put in the Retry (retry_source_connection_id). */
  retryScid: Uint8Array;
}

export type TokenCheck =
  | { kind: 'retry'; contents: RetryTokenContents; version: number }
  | { kind: 'new_token'; version: number }
  | { kind: 'invalid'; reason: string; claimedRetry: boolean };

export class TokenSealer {
  private readonly aead: Aead;
  private readonly scratch = new Uint8Array(512);

  constructor(
    private readonly provider: CryptoProvider,
    key: Uint8Array = provider.random(16),
    /** How long a Retry token is valid, ms (it is used within one round trip). */
    private readonly retryLifetime = 10_000,
    /** How long a NEW_TOKEN token is valid, ms. */
    private readonly newTokenLifetime = 24 * 3600 * 1000,
  ) {
    this.aead = provider.createAead('aes-128-gcm', key);
  }

  /** A Retry token for `client`; `now` is the wall clock, ms since the epoch (as everywhere here). */
  sealRetry(
    client: SocketAddress,
    contents: RetryTokenContents,
    version: number,
    now: number,
  ): Uint8Array {
    const w = Writer.growable(96);
    w.uint(Math.floor(now), 6).u32(version);
    w.vec(1, utf8(`${client.address}|${client.port}`));
    w.vec(1, contents.originalDcid).vec(1, contents.retryScid);
    return this.seal(KIND_RETRY, w.view());
  }

  sealNewToken(client: SocketAddress, version: number, now: number): Uint8Array {
    const w = Writer.growable(64);
    w.uint(Math.floor(now), 6).u32(version);
    w.vec(1, utf8(client.address));
    return this.seal(KIND_NEW_TOKEN, w.view());
  }

  /** Opens and checks a token from a client Initial. Never throws. */
  check(token: Uint8Array, client: SocketAddress, now: number): TokenCheck {
    const kind = token[0];
    const claimedRetry = kind === KIND_RETRY;
    const invalid = (reason: string): TokenCheck => ({ kind: 'invalid', reason, claimedRetry });
    if (token.length < 1 + 12 + 16 + 11 || token.length > this.scratch.length) {
      return invalid('bad token length');
    }
    const aad = kind === KIND_RETRY ? RETRY_AAD : NEW_TOKEN_AAD;
    const n = this.aead.open(token.subarray(1, 13), aad, token.subarray(13), this.scratch, 0);
    if (n < 0) return invalid('token authentication failed');
    try {
      const r = new Reader(this.scratch, 0, n);
      const issued = r.uint(6);
      if (issued - now > MAX_CLOCK_SKEW_MS) return invalid('token from the future');
      const version = r.u32();
      const bound = fromUtf8(r.vec(1));
      if (kind === KIND_RETRY) {
        if (now - issued > this.retryLifetime) return invalid('token expired');
        if (bound !== `${client.address}|${client.port}`)
          return invalid('token bound to another address');
        const originalDcid = r.copy(r.u8());
        const retryScid = r.copy(r.u8());
        return { kind: 'retry', contents: { originalDcid, retryScid }, version };
      }
      if (now - issued > this.newTokenLifetime) return invalid('token expired');
      if (bound !== client.address) return invalid('token bound to another address');
      return { kind: 'new_token', version };
    } catch {
      return invalid('malformed token');
    }
  }

  private seal(kind: number, plain: Uint8Array): Uint8Array {
    const nonce = this.provider.random(12);
    const out = new Uint8Array(1 + 12 + plain.length + 16);
    out[0] = kind;
    out.set(nonce, 1);
    this.aead.seal(nonce, kind === KIND_RETRY ? RETRY_AAD : NEW_TOKEN_AAD, plain, out, 13);
    return out;
  }
}
