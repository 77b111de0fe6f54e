/**
 * `tsquic/testing`: a server engine and a client engine over the in-memory network, ready to
 * run (`createEnginePair`); the in-memory network with a virtual clock (deterministic simulations of
 * delay, loss, reordering, duplication, corruption, bandwidth limits, blackholes and NAT
 * rebinding, several links between two endpoints that fail and come back, shared bottlenecks) and helpers to decode and forge protected packets.
 */
export {
  Network,
  type LinkConditions,
  type LinkDirectionStats,
  type LinkEcn,
  type LinkEnd,
  type LinkOptions,
  type LinkStats,
  type NetworkStats,
  type SansIoEndpoint,
  type Transmit,
} from './network.js';
export {
  Dissector,
  dissectDatagram,
  dissectionToJson,
  formatDissection,
  parseKeyLog,
  type DissectOptions,
  type DissectedDatagram,
  type DissectedPacket,
  type PacketKey,
  type KeyLevel,
} from './dissect.js';
export type { DissectedPacketType, Sender } from './dissect-types.js';
export type { DissectionJson, PacketJson } from './dissect-format.js';
export type { JsonObject, JsonValue, TlsMessageSummary } from './dissect-tls.js';
export {
  forgeLongPacket,
  forgeShortPacket,
  forgeRetry,
  forgeStatelessReset,
  initialProtector,
  type ForgeLongOptions,
  type ForgeShortOptions,
  type ForgeRetryOptions,
  type ForgeStatelessResetOptions,
} from './forge.js';
export {
  EnginePair,
  createEnginePair,
  testCertificate,
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  type EnginePairOptions,
  type TestCertificate,
  type PairCertificate,
} from './pair.js';

export { InitialFlood, clientInitialPayload, type InitialFloodOptions } from './initial-flood.js';
export { SeededRandom } from '../util/random.js';
export {
  UdpRelay,
  carriesHandshakePacket,
  type AmplificationCount,
  type RelayDirection,
  type RelayDirectionStats,
  type RelayFate,
  type RelayLinkConditions,
  type RelayOptions,
  type RelayRecord,
  type RelayStats,
} from './relay.js';
export type { EcnSocketBinder } from './relay-socket.js';
