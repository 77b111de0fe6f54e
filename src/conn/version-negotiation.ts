/**
 * QUIC version negotiation (RFC 9368) between the versions this stack speaks, v1 and v2
 * (RFC 9369): what each side says in version_information, the server's compatible choice, the
 * client's answer to a Version Negotiation packet, and the downgrade checks of RFC 9368 §4.
 *
 * One object per connection owns the negotiation's state; it returns outcomes and throws
 * QuicError (VERSION_NEGOTIATION_ERROR) for a failed check, which closes the connection like any
 * other error in the handshake.
 */
import { createInitialProtectors } from '../crypto/initial.js';
import type { PacketProtector } from '../crypto/packet-protection.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { QuicError, TransportError } from '../wire/errors.js';
import { decodeTransportParameters, type VersionInformation } from '../wire/transport-params.js';
import {
  QUIC_V1,
  SUPPORTED_VERSIONS,
  greaseVersion,
  isReservedVersion,
  isSupportedVersion,
} from '../wire/version.js';

/**
 * Whether a first flight of `from` converts into one of `to` (RFC 9368 §2.2). v1 and v2 are
 * compatible both ways (RFC 9369 §4); no other pair is assumed.
 */
export function areCompatible(from: number, to: number): boolean {
  return isSupportedVersion(from) && isSupportedVersion(to);
}

/** The first of `preferences` that `offered` lists and this stack speaks, or null. */
export function selectVersion(
  preferences: readonly number[],
  offered: readonly number[],
): number | null {
  for (const v of preferences) {
    if (offered.includes(v) && isSupportedVersion(v) && !isReservedVersion(v)) return v;
  }
  return null;
}

/**
 * A client's versions from its options: `versions` in descending preference (default: `version`
 * first, then the other versions we speak) and the version of the first flight (default v1 when
 * listed, since every server parses it and it is compatible with v2: RFC 9368 §2.5, RFC 9369
 * §4; else the first listed). Misconfiguration throws.
 */
export function clientVersions(
  version: number | undefined,
  versions: readonly number[] | undefined,
): { first: number; preferences: readonly number[] } {
  const preferences =
    versions ??
    (version === undefined
      ? SUPPORTED_VERSIONS
      : [version, ...SUPPORTED_VERSIONS.filter((v) => v !== version)]);
  if (preferences.length === 0) throw new RangeError('versions must list at least one version');
  for (const v of preferences) {
    if (!isSupportedVersion(v)) throw new RangeError(`unsupported QUIC version 0x${hex(v)}`);
  }
  if (new Set(preferences).size !== preferences.length) {
    throw new RangeError('versions lists a version twice');
  }
  const first = version ?? (preferences.includes(QUIC_V1) ? QUIC_V1 : preferences[0]!);
  if (!preferences.includes(first)) {
    throw new RangeError(`version 0x${hex(first)} is not among versions`);
  }
  return { first, preferences };
}

/**
 * The server's compatible choice (RFC 9368 §2.3): a version it accepts, that the client lists
 * as available and that the client's first flight (in `clientVersion`) converts into - the first
 * such in the server's own order when it has a preference, else in the client's (§3: the
 * client's order is its preference). The client's version comes first in either order when it
 * is met first; without the client's version_information, the client's version.
 */
export function chooseServerVersion(
  serverVersions: readonly number[],
  serverPrefers: boolean,
  clientVersion: number,
  clientInfo: VersionInformation | null,
): number {
  if (clientInfo === null) return clientVersion;
  const available = clientInfo.availableVersions;
  for (const v of serverPrefers ? serverVersions : available) {
    if (v === clientVersion) return v;
    if (serverVersions.includes(v) && available.includes(v) && areCompatible(clientVersion, v)) {
      return v;
    }
  }
  return clientVersion;
}

/**
 * The client's version_information from the bytes of its transport parameters, read before the
 * connection exists (the server's compatible choice); null when absent or unreadable (the
 * connection then fails on them with the proper error).
 */
export function clientVersionInformation(
  transportParameters: Uint8Array | null,
): VersionInformation | null {
  if (transportParameters === null) return null;
  try {
    return decodeTransportParameters(transportParameters, 'client').versionInformation ?? null;
  } catch {
    return null;
  }
}

/**
 * The version of the connection whose server sent these transport parameters - the chosen
 * version of its version_information (RFC 9368 §3), v1 without one (§8) - or null when they do
 * not decode. Session tickets carry them, and belong to that version (RFC 9369 §5).
 */
export function issuingVersion(serverParams: Uint8Array): number | null {
  try {
    const info = decodeTransportParameters(serverParams, 'server').versionInformation;
    return info?.chosenVersion ?? QUIC_V1;
  } catch {
    return null;
  }
}

/** What a client does with a Version Negotiation packet that echoes its CIDs (RFC 9368 §2.1). */
export type VersionNegotiationOutcome =
  { kind: 'ignore' } | { kind: 'retry'; version: number } | { kind: 'fail'; reason: string };

export class VersionNegotiation {
  /**
   * Client: the version of the new first flight sent after a Version Negotiation packet
   * (RFC 9368 §2.1), which the server's version_information must confirm; null before.
   */
  afterVn: number | null = null;
  /**
   * Server after a compatible switch: the Initial keys of the client's original version, for
   * the client's Initials sent before it learned the switch (RFC 9369 §4.1); dropped with the
   * Initial keys.
   */
  originalInitialRead: PacketProtector | null = null;
  /** A reserved version we list among ours, so peers keep tolerating unknown ones (§3). */
  private readonly grease: number;

  /**
   * `original`: the version of the client's first flight (the Original Version). `preferences`:
   * client, the versions it accepts in descending preference; server, the versions it offers
   * (its Fully Deployed Versions, RFC 9368 §6). `random`: 32 random bits for the grease version.
   */
  constructor(
    readonly isClient: boolean,
    readonly original: number,
    readonly preferences: readonly number[],
    random: number,
  ) {
    this.grease = greaseVersion(random);
  }

  /** Our version_information with the version in use (RFC 9368 §3). */
  localInfo(chosen: number): VersionInformation {
    return { chosenVersion: chosen, availableVersions: [...this.preferences, this.grease] };
  }

  /**
   * Server after a compatible switch: keeps the original version's Initial read keys, derived
   * from the same client DCID (RFC 9369 §4.1).
   */
  keepOriginalInitialRead(provider: CryptoProvider, inUse: number, dcid: Uint8Array): void {
    if (this.isClient || this.original === inUse) return;
    this.originalInitialRead = createInitialProtectors(provider, this.original, dcid).client;
  }

  /**
   * Client: a Version Negotiation packet that echoes our CIDs arrived before anything else from
   * the server. RFC 9368 §4: ignored when it lists the version we first tried, or when it
   * answers an attempt already made after one; else a new attempt with the version we prefer
   * among those offered, or the end of the connection when there is none.
   */
  onVersionNegotiation(offered: readonly number[]): VersionNegotiationOutcome {
    if (this.afterVn !== null || offered.includes(this.original)) return { kind: 'ignore' };
    const version = selectVersion(this.preferences, offered);
    if (version === null) {
      const list = offered.map((v) => '0x' + hex(v)).join(', ');
      return { kind: 'fail', reason: `server offers no version we speak (${list})` };
    }
    this.afterVn = version;
    return { kind: 'retry', version };
  }

  /**
   * Checks the peer's version_information (RFC 9368 §4) against `inUse`, the version of the
   * connection now; throws QuicError(VERSION_NEGOTIATION_ERROR) for a downgrade.
   */
  checkPeer(info: VersionInformation | undefined, inUse: number): void {
    if (this.isClient) this.checkServer(info, inUse);
    else if (info !== undefined && info.chosenVersion !== this.original) {
      // The Chosen Version must be the version of the long headers that carried it.
      fail(`client chose 0x${hex(info.chosenVersion)} in a 0x${hex(this.original)} first flight`);
    }
  }

  private checkServer(info: VersionInformation | undefined, inUse: number): void {
    if (info === undefined) {
      if (this.afterVn === null) return; // RFC 9368 §4: a client MAY complete without it.
      // RFC 9368 §8: a v1 server that knows nothing of version_information.
      if (inUse !== QUIC_V1) fail('no version_information after Version Negotiation');
      info = { chosenVersion: QUIC_V1, availableVersions: [QUIC_V1] };
    }
    const chosen = info.chosenVersion;
    if (!this.preferences.includes(chosen)) fail(`server chose 0x${hex(chosen)}, not offered`);
    if (chosen !== inUse) fail(`server chose 0x${hex(chosen)} but speaks 0x${hex(inUse)}`);
    if (this.afterVn !== null) {
      if (info.availableVersions.length === 0) fail('server lists no available versions');
      // Would we have tried the same version, knowing every version the server supports? The
      // one a compatible switch led to is as good (RFC 9368 §2.3: incompatible, then
      // compatible negotiation).
      const would = selectVersion(this.preferences, [...info.availableVersions, chosen]);
      if (would !== this.afterVn && would !== inUse) {
        fail(`the server's versions would have led to 0x${hex(would ?? 0)}, not this attempt`);
      }
    }
  }
}

function fail(reason: string): never {
  throw new QuicError(TransportError.VERSION_NEGOTIATION_ERROR, reason);
}

function hex(v: number): string {
  return v.toString(16);
}
