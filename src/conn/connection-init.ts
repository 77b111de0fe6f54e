/**
 * What the engine fixes when it creates a connection, and the components a new connection is
 * made of that depend only on it: packet-number spaces, version negotiation, our first CIDs,
 * multipath, the stream map. The connection's constructor wires them together.
 */
import { PnSpace } from '../ack/pn-space.js';
import type { InitialProtectors } from '../crypto/initial.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { createPathScheduler } from '../path/schedulers/registry.js';
import { StreamMap, type StreamMapEvents } from '../stream/stream-map.js';
import type { SocketAddress } from '../util/address.js';
import type { TransportParameters } from '../wire/transport-params.js';
import { LocalCids, type CidHost } from './cids.js';
import type { PreferredAddressInit } from './migration.js';
import { Multipath } from './multipath.js';
import type { ConnectionOptions, ResolvedOptions } from './options.js';
import type { QlogSink } from './qlog.js';
import { SpaceState } from './space.js';
import type { CreateTls } from './tls-driver.js';
import { VersionNegotiation } from './version-negotiation.js';

/** Everything the engine fixes when it creates a connection (the engine-facing side of `Connection.create`). */
export interface ConnectionInit {
  role: 'client' | 'server';
  /** The version in use: the client's first flight, or the one the server negotiated. */
  version: number;
  /** Server: the version of the client's first flight, when it negotiated another one. */
  originalVersion?: number;
  /**
   * Client: the versions it accepts, in descending preference; server: the versions it offers
   * (RFC 9368 §3). Default: `version` alone.
   */
  versions?: readonly number[];
  options: ConnectionOptions;
  /** Builds the TLS session (tls-driver.ts). */
  createTls: CreateTls;
  /** Our first Source CID and its stateless reset token. */
  localCid: Uint8Array;
  localResetToken: Uint8Array;
  /** The Destination CID we send to first: client random / client's SCID. */
  remoteCid: Uint8Array;
  /** The DCID the Initial keys derive from: the client's first DCID, or the Retry SCID. */
  initialKeysDcid: Uint8Array;
  /**
   * Server: the Initial protectors of `initialKeysDcid` in `version`, already derived to check
   * the client's first Initial (engine.ts); derived here when absent.
   */
  initialKeys?: InitialProtectors;
  /** Server: the client's very first DCID (original_destination_connection_id). */
  originalDcid: Uint8Array;
  /** Server after Retry: the SCID of our Retry (retry_source_connection_id). */
  retrySourceCid?: Uint8Array;
  /** Client: a NEW_TOKEN or Retry token to put in Initials. */
  token?: Uint8Array;
  /** Server: the client's address was validated by a token. */
  addressValidated?: boolean;
  local: SocketAddress;
  remote: SocketAddress;
  /** Client resumption: the server's transport parameters remembered with the ticket (0-RTT). */
  rememberedParams?: TransportParameters;
  /** Server: addresses to offer in preferred_address, with their CID (RFC 9000 §9.6). */
  preferredAddress?: PreferredAddressInit;
  qlog?: QlogSink;
  now: number;
}

/** Our active_connection_id_limit (RFC 9000 §18.2), per path with multipath. */
export const CID_LIMIT = 8;

/** The Initial, Handshake and Application packet-number spaces (RFC 9000 §12.3). */
export function newSpaces(opts: ResolvedOptions): [SpaceState, SpaceState, SpaceState] {
  const maxAckDelayUs = opts.maxAckDelayMs * 1000;
  return [
    new SpaceState(PnSpace.Initial, maxAckDelayUs),
    new SpaceState(PnSpace.Handshake, maxAckDelayUs),
    new SpaceState(PnSpace.Application, maxAckDelayUs),
  ];
}

/** Version negotiation (RFC 9368) with a random GREASE seed. */
export function newVersionNegotiation(
  provider: CryptoProvider,
  isClient: boolean,
  init: Pick<ConnectionInit, 'version' | 'originalVersion' | 'versions'>,
): VersionNegotiation {
  const r = provider.random(4);
  return new VersionNegotiation(
    isClient,
    init.originalVersion ?? init.version,
    init.versions ?? [init.version],
    ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0,
  );
}

/** Our first CID, and a server's preferred-address CID (RFC 9000 §5.1.1: sequence 1). */
export function newLocalCids(
  host: CidHost,
  isClient: boolean,
  init: Pick<ConnectionInit, 'localCid' | 'localResetToken' | 'preferredAddress'>,
): LocalCids {
  const cids = new LocalCids(host);
  cids.addInitial(init.localCid, init.localResetToken);
  const pa = init.preferredAddress;
  if (pa && !isClient) cids.addInitial(pa.cid, pa.resetToken);
  return cids;
}

/** Multipath (RFC 10069) when the option is on, negotiated later. */
export function newMultipath(host: CidHost, opts: ResolvedOptions): Multipath | null {
  const mp = opts.multipath;
  if (!mp) return null;
  return new Multipath(host, mp.maxPathId, CID_LIMIT, createPathScheduler(mp.scheduler));
}

/** The stream map, with our limits and flow-control windows. */
export function newStreamMap(
  isClient: boolean,
  local: TransportParameters,
  opts: ResolvedOptions,
  events: StreamMapEvents,
): StreamMap {
  return new StreamMap(
    {
      isClient,
      local,
      sendBufferLimit: opts.streamSendBuffer,
      maxStreamWindow: opts.maxStreamWindow,
      maxConnectionWindow: opts.maxConnectionWindow,
    },
    events,
  );
}
