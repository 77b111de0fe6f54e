/**
 * What the connection's components (receive.ts, frames-in.ts, assemble.ts, handshake.ts,
 * migration.ts, retransmit.ts) see of the connection they work for. `Connection` provides it;
 * the components take this interface, never the class, so that nothing imports connection.ts
 * back (docs/ARCHITECTURE.md, src/conn). Engine-facing and application-facing members of the
 * connection are not here.
 */
import type { TransmitRelease } from '../util/transmit-release.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { SendControl } from '../path/send-control.js';
import type { StreamMap } from '../stream/stream-map.js';
import type { Level, TlsSessionInfo } from '../tls/types.js';
import type { SocketAddress } from '../util/address.js';
import type { QuicError } from '../wire/errors.js';
import type { TransportParameters } from '../wire/transport-params.js';
import type { PnSpace } from '../ack/pn-space.js';
import type { AckFrequency } from './ack-frequency.js';
import type { LocalCids, PeerCids } from './cids.js';
import type { ControlFrames } from './control-frames.js';
import type { QuicBitGrease } from './quic-bit.js';
import type { ConnectionEvents } from './events.js';
import type { EncryptionLevels } from './encryption-levels.js';
import type { ResolvedOptions } from './options.js';
import type { PacketBuilder } from './packet-builder.js';
import type { PathState } from './path-state.js';
import type { PathSet } from './path-set.js';
import type { Multipath } from './multipath.js';
import type { QlogSink } from './qlog.js';
import type { ReceiveContext } from './receive-context.js';
import type { SentFrame } from './sent-frames.js';
import type { SpaceState } from './space.js';
import type { CloseInfo, ConnectionLifecycle, ConnectionState, EarlyDataState } from './state.js';
import type { ConnectionStats } from './stats.js';
import type { VersionNegotiation } from './version-negotiation.js';

/** The engine services the components use (the rest of the host is the connection's). */
export interface EngineServices {
  readonly provider: CryptoProvider;
  /** Length of the CIDs we issue (short headers carry no length). */
  readonly localCidLength: number;
  /** Server: a NEW_TOKEN token for this client address (RFC 9000 §8.1.3). */
  newToken?(remote: SocketAddress): Uint8Array;
  /** The engine's record of datagrams its caller released (packet-builder.ts reuses slabs). */
  readonly transmitRelease?: TransmitRelease;
}

export interface ConnectionContext {
  readonly isClient: boolean;
  readonly version: number;
  readonly versionNegotiation: VersionNegotiation;
  readonly state: ConnectionState;
  /** The state as one tagged union (state.ts): only its methods change it. */
  readonly lifecycle: ConnectionLifecycle;
  readonly closeInfo: CloseInfo | null;
  readonly provider: CryptoProvider;
  readonly opts: ResolvedOptions;
  readonly host: EngineServices;
  /** What the TLS handshake established (read-only). */
  readonly tls: TlsSessionInfo;
  readonly qlog: QlogSink | undefined;
  readonly stats: ConnectionStats;
  readonly startTime: number;
  handshakeTime: number;

  // Packet-number spaces and keys.
  readonly spaces: [SpaceState, SpaceState, SpaceState];
  /** The packet keys of each encryption level, and packets waiting for theirs. */
  readonly keys: EncryptionLevels;
  /** Where 0-RTT stands (RFC 9001 §4.6; state.ts changes it). */
  readonly earlyDataState: EarlyDataState;
  readonly handshakeConfirmed: boolean;
  readonly handshakeComplete: boolean;
  /** Server: the client's address is validated (RFC 9000 §8.1; state.ts changes it). */
  readonly addressValidated: boolean;

  // Transport parameters, CIDs, paths.
  readonly localParams: TransportParameters;
  peerParams: TransportParameters | null;
  /** The QUIC bit of each packet we send (RFC 9287). */
  readonly quicBit: QuicBitGrease;
  /** ACK frequency both ways (draft-ietf-quic-ack-frequency). */
  readonly ackFrequency: AckFrequency;
  readonly localCids: LocalCids;
  readonly peerCids: PeerCids;
  readonly originalDcid: Uint8Array;
  retryScid: Uint8Array | null;
  serverInitialScid: Uint8Array | null;
  token: Uint8Array;
  /** The active path, the probed one and the fallback. */
  readonly paths: PathSet;
  /** The active path (`paths.active`). */
  readonly path: PathState;
  /** Multipath QUIC (RFC 10069) when the option is on (`enabled` once negotiated). */
  readonly multipath: Multipath | null;
  readonly localAddress: SocketAddress;
  readonly remoteAddress: SocketAddress;
  /** The datagram and packet being received. */
  readonly rx: ReceiveContext;

  // What waits to be sent.
  readonly streams: StreamMap;
  /** Control frames, DATAGRAMs and PING waiting for a 1-RTT packet. */
  readonly controlFrames: ControlFrames;
  readonly pendingTickets: Uint8Array[];
  readonly builder: PacketBuilder;
  hasPendingSend(): boolean;

  // Actions of the connection.
  emit<K extends keyof ConnectionEvents>(event: K, ...args: Parameters<ConnectionEvents[K]>): void;
  /** New work for the sender: the engine should poll. */
  wake(): void;
  /** The peer's stateless reset tokens changed: the engine updates its table. */
  onPeerResetTokens(): void;
  ptoPeriod(): number;
  resetIdle(now: number): void;
  resetIdleOnSend(now: number): void;
  validateAddress(now: number): void;
  receiveCrypto(level: Level, data: Uint8Array, now: number): void;
  installInitialKeys(dcid: Uint8Array): void;
  discardSpace(space: PnSpace, now: number): void;
  newSendControl(): SendControl<SentFrame>;
  /** A send control for a path other than 0: 1-RTT only, past the handshake. */
  newPathSendControl(now: number): SendControl<SentFrame>;
  closeWithError(err: QuicError, now: number): void;
  onPeerClose(info: CloseInfo, now: number): void;
  onStatelessReset(now: number): void;
  onVersionNegotiationFailure(reason: string, now: number): void;
  switchVersion(version: number): void;
  restartWithVersion(version: number, now: number): void;
}
