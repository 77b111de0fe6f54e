/**
 * tsquic/node: QUIC over node:dgram with Node conventions. `createServer` and `connect` give
 * `QuicConnection`s (EventEmitters with `ready` and `closed` promises) whose streams are
 * `stream.Duplex` objects; errors are `QuicNodeError`s with a `code`.
 */
export { connect, parseTarget, type ConnectOptions, type ConnectTarget } from './client.js';
export {
  createClientEndpoint,
  QuicClientEndpoint,
  type ClientEndpointOptions,
  type QuicClientEndpointEvents,
} from './client-endpoint.js';
export {
  createServer,
  QuicServer,
  type ServerOptions,
  type TransportOptions,
  type QuicServerEvents,
  type ListenOptions,
} from './server.js';
export {
  QuicConnection,
  type NodeConnectionStats,
  type OpenStreamOptions,
  type QuicConnectionEvents,
  type AddressInfo,
  type PeerCertificate,
} from './connection.js';
export type { SocketKind } from './socket-choice.js';
export type { TlsSession } from '../tls/types.js';
export { QuicStream, type QuicStreamOptions } from './stream.js';
export {
  QuicNodeError,
  QuicConnectionError,
  QuicStreamError,
  errorFromClose,
  type QuicErrorCode,
} from './errors.js';
export {
  certificateChainFrom,
  signingKeyFrom,
  trustAnchorsFrom,
  defaultTrustAnchors,
  type CredentialInput,
} from './credentials.js';
export { monotonicMicros } from './endpoint.js';
export { checkServerIdentity } from './identity.js';
export {
  generateKeyMaterial,
  encodeKeyMaterial,
  decodeKeyMaterial,
  type KeyMaterial,
} from '../engine/key-material.js';
export { qlogToDirectory, qlogFile } from './qlog.js';
export type { UdpSocketOptions } from './udp.js';
export type { AdmissionOptions } from '../engine/admission.js';
export type { CloseInfo } from '../conn/connection.js';
export type { SocketAddress } from '../util/address.js';
export {
  createWorkerServer,
  WorkerServer,
  type WorkerServerOptions,
  type WorkerServerConfig,
  type WorkerServerStats,
  type WorkerStats,
  type WorkerServerEvents,
  type GenerationSpec,
} from './workers.js';
export {
  h3Fetch,
  H3Agent,
  H3FetchResponse,
  type H3AgentOptions,
  type H3FetchInit,
  type H3FetchOptions,
} from './h3-fetch.js';
