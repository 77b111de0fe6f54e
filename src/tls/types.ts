/**
 * The interface between a QUIC connection and the TLS 1.3 core (RFC 9001 §4, DESIGN.md §1.7).
 * The connection feeds handshake bytes per encryption level and receives, through callbacks,
 * handshake bytes to send per level, traffic secrets per level and direction, the peer's
 * transport parameters, completion, session tickets and alerts. It never looks inside.
 */
import type { KeyExchangeGroup, SigningKey } from '../crypto/provider.js';

/** Encryption levels (RFC 9001 §4.1.4). Values index per-level arrays. */
export const Level = { Initial: 0, EarlyData: 1, Handshake: 2, Application: 3 } as const;
export type Level = (typeof Level)[keyof typeof Level];

/** TLS 1.3 cipher suites usable with QUIC (RFC 9001 §5.3). */
export type CipherSuiteName =
  | 'TLS_AES_128_GCM_SHA256'
  | 'TLS_AES_256_GCM_SHA384'
  | 'TLS_CHACHA20_POLY1305_SHA256';

export interface TlsCallbacks {
  /** Handshake bytes to carry in CRYPTO frames at `level`, in order. */
  onHandshakeData(level: Level, data: Uint8Array): void;
  /**
   * A traffic secret became available. For the client, EarlyData/write comes right after
   * ClientHello when 0-RTT is attempted; the server gets EarlyData/read when it accepts 0-RTT.
   */
  onSecret(level: Level, direction: 'read' | 'write', suite: CipherSuiteName, secret: Uint8Array): void;
  /** The peer's quic_transport_parameters extension body (RFC 9001 §8.2), before any 1-RTT secret. */
  onPeerTransportParameters(params: Uint8Array): void;
  /** The handshake is complete (RFC 9001 §4.1.1). */
  onHandshakeComplete(): void;
  /**
   * A fatal error: the connection closes with CRYPTO_ERROR 0x100 + alert (RFC 9001 §4.8).
   * After this the session accepts no more input.
   */
  onAlert(alert: number, reason: string): void;
  /** Client only: a NewSessionTicket arrived; `ticket` is opaque, storable bytes. */
  onSessionTicket?(ticket: Uint8Array): void;
}

/** Certificate chain and key a server (or a client, for client auth) presents. */
export interface CertifiedKey {
  /** DER certificates, leaf first. */
  chain: Uint8Array[];
  key: SigningKey;
}
export type { KeyExchangeGroup };
