/**
 * `tsquic/testing`: the in-memory network with a virtual clock (deterministic simulations of
 * delay, loss, reordering, duplication, corruption, bandwidth limits, blackholes and NAT
 * rebinding) and helpers to decode and forge protected packets.
 */
export {
  Network,
  type LinkConditions,
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
} from './dissect.js';
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
export { InitialFlood, clientInitialPayload, type InitialFloodOptions } from './initial-flood.js';
export { SeededRandom } from '../util/random.js';
