/**
 * The interface between a QUIC connection and the TLS 1.3 core (RFC 9001 §4, docs/ARCHITECTURE.md
 * §1.7). The connection feeds handshake bytes per encryption level and receives, through callbacks,
 * handshake bytes to send per level, traffic secrets per level and direction, the peer's transport
 * parameters, completion, session tickets and alerts. It never looks inside.
 */
import type {
  CryptoProvider,
  KeyExchangeGroup,
  KeyShare,
  SignatureScheme,
  SigningKey,
} from '../crypto/provider.js';
import type { CipherSuiteName } from '../crypto/suites.js';
import type { AntiReplayStore } from './anti-replay.js';
import type { TicketKeys } from './ticket-keys.js';

/** Encryption levels (RFC 9001 §4.1.4). Values index per-level arrays. */
export const Level = { Initial: 0, EarlyData: 1, Handshake: 2, Application: 3 } as const;
export type Level = (typeof Level)[keyof typeof Level];

/** TLS 1.3 cipher suites usable with QUIC (RFC 9001 §5.3); one definition, in crypto/. */
export type { CipherSuiteName };

export interface TlsCallbacks {
  /** Handshake bytes to carry in CRYPTO frames at `level`, in order. */
  onHandshakeData(level: Level, data: Uint8Array): void;
  /**
   * A traffic secret became available. Order of events:
   * - client: EarlyData/write right after the ClientHello when 0-RTT is attempted;
   *   Handshake read+write on ServerHello; Application read then write (after the client's
   *   Finished bytes were emitted) on the server's Finished.
   * - server: EarlyData/read when it accepts 0-RTT (before the ServerHello bytes); Handshake
   *   write+read after the ServerHello bytes; Application/write after its Finished (0.5-RTT);
   *   Application/read once the client's Finished is verified (RFC 9001 §5.7), just before
   *   onHandshakeComplete.
   */
  onSecret(
    level: Level,
    direction: 'read' | 'write',
    suite: CipherSuiteName,
    secret: Uint8Array,
  ): void;
  /**
   * The peer's quic_transport_parameters extension body (RFC 9001 §8.2), before any 1-RTT
   * secret: the client gets it on EncryptedExtensions, the server on the ClientHello it accepts.
   */
  onPeerTransportParameters(params: Uint8Array): void;
  /** The handshake is complete (RFC 9001 §4.1.1). */
  onHandshakeComplete(): void;
  /**
   * A fatal error: the connection closes with CRYPTO_ERROR 0x100 + alert (RFC 9001 §4.8), or
   * with `transportError` when it is given (RFC 9001 requires PROTOCOL_VIOLATION for a few
   * TLS-level violations: §4.1.3, §4.4, §4.6.1, §8.3, §8.4; CRYPTO_BUFFER_EXCEEDED when too
   * much input is buffered). After this the session emits nothing and ignores input.
   */
  onAlert(alert: number, reason: string, transportError?: number): void;
  /**
   * Client only: a NewSessionTicket arrived. `ticket` is opaque, storable bytes to pass back as
   * `TlsClientConfig.sessionTicket`; inspect it with decodeSessionTicket and attach the
   * server's transport parameters with sessionTicketWithAppData (RFC 9000 §7.4.1).
   */
  onSessionTicket?(ticket: Uint8Array): void;
}

/** Certificate chain and key a server (or a client, for client auth) presents. */
export interface CertifiedKey {
  /** DER certificates, leaf first. */
  chain: Uint8Array[];
  key: SigningKey;
}

/** Options common to both sides. Every option has a default except where noted. */
export interface TlsCommonConfig {
  /** Crypto implementation (default: `defaultProvider` from src/crypto). */
  provider?: CryptoProvider;
  /**
   * Application protocols (RFC 7301), in preference order; required on the client. RFC 9001 §8.1
   * makes ALPN mandatory: without overlap the handshake fails with no_application_protocol.
   */
  alpnProtocols?: readonly string[];
  /** Our quic_transport_parameters extension body (RFC 9001 §8.2), encoded by the connection. */
  transportParameters: Uint8Array;
  /** Cipher suites: the client's offer order, the server's preference order (default: all three, AES-128-GCM first). */
  cipherSuites?: readonly CipherSuiteName[];
  /**
   * Key-exchange groups in preference order (default: X25519MLKEM768, x25519, secp256r1,
   * secp384r1). A server picks the first of these the client sent a share for.
   */
  groups?: readonly KeyExchangeGroup[];
  /** SSLKEYLOGFILE lines ("LABEL <client_random> <secret>", no newline), for debugging. */
  keyLog?: (line: string) => void;
  /** The clock for certificate validity and ticket ages, ms since the epoch (default Date.now). */
  currentTime?: () => number;
  /** Randomness (default provider.random); inject for reproducible tests (RFC 8448). */
  random?: (n: number) => Uint8Array;
  /** Key-share generation (default provider.generateKeyShare); inject for reproducible tests. */
  generateKeyShare?: (group: KeyExchangeGroup) => KeyShare;
  /** Largest handshake message accepted, in bytes (default 65536). */
  maxMessageSize?: number;
}

export interface TlsClientConfig extends TlsCommonConfig {
  alpnProtocols: readonly string[];
  /**
   * The server's DNS name or IP literal: sent as SNI when it is a name (RFC 6066 §3) and checked
   * against the certificate. Without it the certificate's name is not checked.
   */
  serverName?: string;
  /** Trusted root certificates (DER): a custom CA list, or the system store passed by the caller. */
  trustAnchors?: readonly Uint8Array[];
  /** Skip certificate chain and name checks (the CertificateVerify signature is still checked). */
  insecure?: boolean;
  /**
   * false: verify the chain but not that the certificate names `serverName` (the application
   * checks the name itself, as with node:tls's `checkServerIdentity`). Default true.
   */
  checkServerName?: boolean;
  /**
   * Groups to send key shares for in the first ClientHello (default: the first of `groups`, and
   * x25519 too when the first is X25519MLKEM768).
   */
  keyShareGroups?: readonly KeyExchangeGroup[];
  /** A certificate to present when the server asks for one (RFC 8446 §4.4.2). */
  certificate?: CertifiedKey;
  /** A ticket from onSessionTicket to resume with (psk_dhe_ke, RFC 8446 §4.2.11). */
  sessionTicket?: Uint8Array;
  /** Attempt 0-RTT when resuming with a ticket that allows it (default false). */
  earlyData?: boolean;
}

/** What a server's certificate selection callback learns from the ClientHello. */
export interface CertificateSelectionInfo {
  /** The SNI host name, lowercased, or null. */
  readonly serverName: string | null;
  /** The client's signature_algorithms usable in CertificateVerify, in its order. */
  readonly signatureSchemes: readonly SignatureScheme[];
  /** The client's ALPN list. */
  readonly alpnProtocols: readonly string[];
}

/** What `acceptEarlyData` learns about the ClientHello whose 0-RTT it decides on. */
export interface EarlyDataInfo {
  /** The SNI host name, lowercased, or null. */
  readonly serverName: string | null;
  /** The application protocol selected (the ticket's). */
  readonly alpn: string;
}

export interface TlsServerConfig extends TlsCommonConfig {
  /** The certificate to present when `selectCertificate` is not given. */
  certificate?: CertifiedKey;
  /**
   * Picks the certificate for a ClientHello (SNI). May return a promise: that connection's
   * handshake then waits (input is buffered). null fails the handshake (unrecognized_name when
   * the client sent a name, handshake_failure otherwise).
   */
  selectCertificate?: (
    info: CertificateSelectionInfo,
  ) => CertifiedKey | null | Promise<CertifiedKey | null>;
  /**
   * Picks the application protocol among the client's offer (instead of `alpnProtocols`); may
   * return a promise. null fails the handshake with no_application_protocol.
   */
  selectAlpn?: (
    offered: readonly string[],
    serverName: string | null,
  ) => string | null | Promise<string | null>;
  /** Ask for a client certificate (RFC 8446 §4.3.2) and verify it against `trustAnchors`. */
  clientAuth?: {
    /** Fail with certificate_required when the client sends none (default false). */
    readonly required?: boolean;
    readonly trustAnchors: readonly Uint8Array[];
  };
  /** Issue session tickets sealed with these keys; without them no ticket is issued. */
  ticketKeys?: TicketKeys;
  /** Tickets issued after each full or resumed handshake (default 1 when ticketKeys is set). */
  ticketCount?: number;
  /** Ticket lifetime in seconds (default: the key rotation period, at most 604800). */
  ticketLifetime?: number;
  /** Opaque bytes sealed into every ticket (e.g. our transport parameters, RFC 9001 §4.6.2). */
  ticketAppData?: Uint8Array;
  /**
   * Whether a ticket, by the ticketAppData it was issued with, may resume this session at all
   * (e.g. only in the QUIC version that issued it, RFC 9369 §5); a refused one means a full
   * handshake. Default: every ticket we issued.
   */
  acceptTicket?: (ticketAppData: Uint8Array) => boolean;
  /** Allow 0-RTT on resumption and advertise it in tickets (default false). */
  earlyData?: boolean;
  /**
   * Final say on 0-RTT, given the ticketAppData of the ticket (RFC 9001 §4.6.2: reject when the
   * remembered transport parameters no longer hold) and what the ClientHello asks for; called
   * only when every other check passed. Default: accept.
   */
  acceptEarlyData?: (ticketAppData: Uint8Array, info: EarlyDataInfo) => boolean;
  /**
   * Single-use record of the ClientHellos whose 0-RTT was accepted (RFC 8446 §8.2): a replayed
   * first flight is refused early data and continues in 1-RTT. Without it, 0-RTT can be replayed
   * within the ticket-age window (`maxTicketAgeSkew`).
   */
  antiReplay?: AntiReplayStore;
  /** Largest accepted difference between the client's and our view of a ticket's age, ms (default 10000). */
  maxTicketAgeSkew?: number;
}

/** One side of a TLS 1.3 handshake for QUIC. */
export interface TlsSession {
  readonly role: 'client' | 'server';
  /** Client: sends the ClientHello. Server: no effect. Call once. */
  start(): void;
  /**
   * Handshake bytes from CRYPTO frames at `level`, contiguous and in order. Never throws on
   * peer input: failures go to onAlert. While a server callback is pending, input is buffered.
   */
  receive(level: Level, data: Uint8Array): void;
  /** The negotiated application protocol, once known. */
  readonly alpn: string | null;
  readonly cipherSuite: CipherSuiteName | null;
  readonly group: KeyExchangeGroup | null;
  /** The peer's certificate chain (DER, leaf first); empty when none was sent or on resumption. */
  readonly peerCertificates: readonly Uint8Array[];
  /** Client: the configured name; server: the SNI received. */
  readonly serverName: string | null;
  /**
   * The server accepted 0-RTT. On the client it is final when onPeerTransportParameters fires
   * (EncryptedExtensions); false then means every 0-RTT packet was discarded (RFC 9001 §4.6.2).
   */
  readonly earlyDataAccepted: boolean;
  /** The handshake used a resumption PSK. */
  readonly resumed: boolean;
  readonly handshakeComplete: boolean;
  /** An alert ended the session. */
  readonly failed: boolean;
  /**
   * TLS-Exporter (RFC 8446 §7.5). Throws a TypeError before the exporter secret exists (client:
   * after the server's Finished; server: after sending it).
   */
  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Uint8Array;
}

export type { KeyExchangeGroup };
