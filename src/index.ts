/**
 * tsquic: a QUIC transport (RFC 9000/9001/9002) with its own TLS 1.3 core. This entry point is
 * the runtime-agnostic core: the engine, connections and streams, the crypto providers,
 * congestion controllers and certificate helpers. `tsquic/node` adds UDP sockets, `tsquic/h3`
 * HTTP/3, `tsquic/testing` the in-memory network.
 */
export {
  Engine,
  type EngineConfig,
  type EngineCallbacks,
  type ServerConfig,
  type EngineConnectOptions,
  type ConnectOptions,
  type Transmit,
  type AcceptDecision,
} from './engine/engine.js';
export type { ClientTlsOptions, ServerTlsOptions } from './engine/tls-setup.js';
export type { AdmissionOptions } from './engine/admission.js';
export {
  decodeTicketAppData,
  encodeTicketAppData,
  type TicketAppData,
  type TicketApplication,
} from './engine/ticket-app-data.js';
export {
  generateKeyMaterial,
  encodeKeyMaterial,
  decodeKeyMaterial,
  ticketKeysFrom,
  type KeyMaterial,
} from './engine/key-material.js';
export {
  Connection,
  ConnectionClosedError,
  type CloseInfo,
  type ConnectionEvents,
  type ConnectionState,
  type EarlyDataState,
} from './conn/connection.js';
export type { ConnectionOptions } from './conn/options.js';
export type { ConnectionStatsSnapshot } from './conn/stats.js';
export type { QlogSink, QlogSubject } from './conn/qlog.js';
export { QlogWriter, qlogWriterFactory, type QlogWriterOptions } from './conn/qlog-writer.js';
export { Stream, type StreamPriority } from './stream/stream.js';
export type { StreamReadResult } from './stream/recv-side.js';
export {
  registerCongestionController,
  createCongestionController,
  congestionControllerNames,
} from './cc/registry.js';
export type { CongestionController, CongestionControllerOptions } from './cc/types.js';
// RFC 6356: the group a connection gives its paths' controllers, for user coupled controllers.
export { CouplingGroup, type CoupledController } from './cc/coupling.js';
export type {
  CongestionControlChoice,
  CongestionControlSpec,
  ControllerOptions,
} from './cc/choice.js';
export type { CubicOptions } from './cc/cubic.js';
export type { BbrOptions } from './cc/bbr-params.js';
export {
  registerPathScheduler,
  createPathScheduler,
  pathSchedulerNames,
  DEFAULT_PATH_SCHEDULER,
} from './path/schedulers/registry.js';
export type {
  PathScheduler,
  PathSchedulerFactory,
  PathSchedulerOptions,
  SchedulablePath,
  ScheduleContext,
  ReinjectablePacket,
  SendPurpose,
  PathStatus,
  FailingReason,
} from './path/schedulers/types.js';
export {
  backend,
  defaultProvider,
  describeBackend,
  nodeProvider,
  nobleProvider,
  pureProvider,
} from './crypto/index.js';
export type { Backend, BackendName } from './crypto/index.js';
export type { CryptoProvider, SigningKey, KeyType } from './crypto/provider.js';
export { TicketKeys } from './tls/ticket-keys.js';
export { MemoryAntiReplayStore, type AntiReplayStore } from './tls/anti-replay.js';
export type { ClientHelloPeek } from './tls/client-hello-peek.js';
export type { EarlyDataInfo } from './tls/types.js';
export type { CertifiedKey, CipherSuiteName } from './tls/types.js';
export {
  createSelfSignedCertificate,
  loadCertificateChainPem,
  loadPrivateKeyPem,
  pemDecode,
  pemEncode,
  certificateFingerprint,
  certificateChainFrom,
  signingKeyFrom,
  trustAnchorsFrom,
  type CredentialInput,
} from './tls/x509/index.js';
export {
  QuicLbCipher,
  QuicLbCidGenerator,
  QuicLbDecoder,
  quicLbCidLength,
  UNROUTABLE_CONFIG_ID,
  type QuicLbConfig,
  type QuicLbServerConfig,
  type QuicLbRoute,
} from './lb/index.js';
export type { BlockCipher } from './crypto/provider.js';
export { QUIC_V1, QUIC_V2 } from './wire/version.js';
export type { SocketAddress } from './util/address.js';

// Types that the public signatures above name, exported so that users (and the API
// documentation) can name them too.
export type {
  AckedPacket,
  CongestionControllerFactory,
  CongestionState,
  DeliverySnapshot,
  RateSample,
  RttSnapshot,
} from './cc/types.js';
export type {
  Aead,
  AeadAlg,
  HashAlg,
  HeaderProtection,
  HpAlg,
  KeyExchangeGroup,
  KeyShare,
  SignatureScheme,
} from './crypto/provider.js';
export type { NativeLoad } from './crypto/native-provider.js';
export type { ConnectionEcnStats, PathStatsSnapshot } from './conn/stats.js';
export type { MultipathOptions } from './conn/options.js';
export type { PathCloseInfo } from './conn/events.js';
export type { QlogFormat } from './conn/qlog-writer.js';
export type { TransmitBatch } from './engine/transmit-batch.js';
export type { RecvState, SendState } from './stream/stream.js';
export type { TicketKeysOptions } from './tls/ticket-keys.js';
export type { CertificateSelectionInfo, Level, TlsSession, TlsSessionInfo } from './tls/types.js';
export type { PemBlock } from './tls/x509/pem.js';
export type {
  CertificateMakerProvider,
  CertificateOptions,
  CertifiedKeyPair,
} from './tls/x509/types.js';
export type {
  PreferredAddress,
  TransportParameters,
  VersionInformation,
} from './wire/transport-params.js';
export type { EcnFailure, EcnState } from './path/ecn.js';
export type { PacketType } from './wire/version.js';
export type { PnSpace } from './ack/pn-space.js';
