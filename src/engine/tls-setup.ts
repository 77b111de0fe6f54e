/**
 * Builds the TLS session of a connection from engine/connect options (the connection only sees the
 * TlsSession interface, docs/ARCHITECTURE.md §1.7), and carries the QUIC transport parameters
 * through session tickets (RFC 9000 §7.4.1: 0-RTT needs the server's remembered limits).
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { createTlsClient } from '../tls/client.js';
import { createTlsServer } from '../tls/server.js';
import { decodeSessionTicket } from '../tls/session-ticket.js';
import { trustAnchorsFrom, type CredentialInput } from '../tls/x509/credentials.js';
import type { TicketKeys } from '../tls/ticket-keys.js';
import type { AntiReplayStore } from '../tls/anti-replay.js';
import type {
  CertifiedKey,
  CertificateSelectionInfo,
  CipherSuiteName,
  EarlyDataInfo,
  TlsCallbacks,
  TlsSession,
} from '../tls/types.js';
import type { KeyExchangeGroup } from '../crypto/provider.js';
import { decodeTransportParameters, type TransportParameters } from '../wire/transport-params.js';
import { issuingVersion } from '../conn/version-negotiation.js';
import {
  decodeTicketAppData,
  encodeTicketAppData,
  reducedTransportLimit,
  rememberedTransportParams,
  type TicketApplication,
} from './ticket-app-data.js';

const NO_DATA = new Uint8Array(0);

export interface ClientTlsOptions {
  /** Server name for SNI and certificate checks (a DNS name or an IP literal). */
  serverName?: string;
  /** Trusted CA certificates: PEM or DER, one or a list. Required unless `insecure`. */
  ca?: CredentialInput;
  /** Do not verify the server's certificate chain or name (testing only). */
  insecure?: boolean;
  /** false: verify the chain but leave the name check to the application. Default true. */
  checkServerName?: boolean;
  /** A resumption ticket from an earlier connection's `sessionTicket` event. */
  session?: Uint8Array;
  /** Send early data (0-RTT) when resuming with a ticket that allows it. */
  earlyData?: boolean;
  /** Client certificate to present when asked. */
  certificate?: CertifiedKey;
  cipherSuites?: CipherSuiteName[];
  /** Key exchange groups in preference order (default X25519MLKEM768, x25519, secp256r1, secp384r1). */
  groups?: KeyExchangeGroup[];
  /** Groups sent a key share for (default the first group, plus x25519 after X25519MLKEM768). */
  keyShareGroups?: KeyExchangeGroup[];
  keyLog?: (line: string) => void;
  /** Wall clock (ms since the epoch) for certificate validity; default Date.now. */
  currentTime?: () => number;
}

/**
 * Trust anchors of the `ca` option: a list of DER certificates is used as it is (Node's bundled
 * roots come so, parsed once per process, not once per connection); PEM is read here.
 */
function anchorsOf(ca: CredentialInput): readonly Uint8Array[] {
  if (typeof ca !== 'string' && !(ca instanceof Uint8Array)) {
    if (ca.every((c): c is Uint8Array => c instanceof Uint8Array)) return ca;
  }
  return trustAnchorsFrom(ca);
}

export interface ServerTlsOptions {
  /** The certificate chain and key to present. */
  certificate?: CertifiedKey;
  /** Certificate selection by SNI; may return a promise. */
  selectCertificate?: (
    info: CertificateSelectionInfo,
  ) => CertifiedKey | null | Promise<CertifiedKey | null>;
  /** Issue session tickets sealed with these keys (resumption, 0-RTT). */
  ticketKeys?: TicketKeys;
  /** Accept 0-RTT from resuming clients (default false: the per-server switch). */
  earlyData?: boolean;
  /**
   * The application protocol's part of session tickets: what it remembers in them (HTTP/3: its
   * SETTINGS, `h3TicketApplication` of tsquic/h3) and whether 0-RTT on a ticket is still
   * acceptable (RFC 9114 §7.2.4.2). The transport limits are checked in any case (RFC 9000
   * §7.4.1). Servers sharing ticket keys should give the same one.
   */
  ticketApplication?: TicketApplication;
  /**
   * Final say on each 0-RTT attempt that passed every other check (RFC 9001 §4.6.2): the
   * application data the ticket remembered (`ticketApplication.data`, empty without one) and
   * the ClientHello's SNI and ALPN. Default: accept.
   */
  acceptEarlyData?: (ticketAppData: Uint8Array, info: EarlyDataInfo) => boolean;
  /**
   * The single-use record of accepted 0-RTT ClientHellos (RFC 8446 §8.2); share one between the
   * servers that share ticket keys (workers, machines). Default: one in-process store per engine.
   */
  antiReplay?: AntiReplayStore;
  /**
   * Picks the application protocol from the client's offer, instead of the first of `alpn` the
   * client offers; may return a promise. null fails the handshake (no_application_protocol).
   */
  selectAlpn?: (
    offered: readonly string[],
    serverName: string | null,
  ) => string | null | Promise<string | null>;
  /** Ask for client certificates and verify them against these roots. */
  clientAuth?: { required?: boolean; trustAnchors: readonly Uint8Array[] };
  cipherSuites?: CipherSuiteName[];
  groups?: KeyExchangeGroup[];
  keyLog?: (line: string) => void;
  /** Wall clock (ms since the epoch) for ticket ages and address-validation tokens; default Date.now. */
  currentTime?: () => number;
}

export function createClientTls(
  provider: CryptoProvider,
  o: ClientTlsOptions & { alpn?: string[] },
  callbacks: TlsCallbacks,
  transportParameters: Uint8Array,
): TlsSession {
  return createTlsClient(
    {
      provider,
      alpnProtocols: o.alpn ?? [],
      transportParameters,
      ...(o.serverName !== undefined ? { serverName: o.serverName } : {}),
      ...(o.ca !== undefined ? { trustAnchors: anchorsOf(o.ca) } : {}),
      ...(o.insecure ? { insecure: true } : {}),
      ...(o.checkServerName === false ? { checkServerName: false } : {}),
      ...(o.session ? { sessionTicket: o.session } : {}),
      ...(o.earlyData ? { earlyData: true } : {}),
      ...(o.certificate ? { certificate: o.certificate } : {}),
      ...(o.cipherSuites ? { cipherSuites: o.cipherSuites } : {}),
      ...(o.groups ? { groups: o.groups } : {}),
      ...(o.keyShareGroups ? { keyShareGroups: o.keyShareGroups } : {}),
      ...(o.keyLog ? { keyLog: o.keyLog } : {}),
      ...(o.currentTime ? { currentTime: o.currentTime } : {}),
    },
    callbacks,
  );
}

/**
 * The QUIC version of the connection a session ticket came from (the server's transport
 * parameters remembered with it, RFC 9369 §5), or null when unknown.
 */
createClientTls.ticketVersion = (session: Uint8Array): number | null => {
  try {
    const appData = decodeSessionTicket(session).appData;
    return appData.length > 0 ? issuingVersion(appData) : null;
  } catch {
    return null;
  }
};

/** The server's transport parameters remembered in a session ticket, if any (for 0-RTT). */
createClientTls.rememberedParams = (o: ClientTlsOptions): TransportParameters | null => {
  if (!o.session || !o.earlyData) return null;
  try {
    const t = decodeSessionTicket(o.session);
    return t.appData.length > 0 ? decodeTransportParameters(t.appData, 'server') : null;
  } catch {
    return null;
  }
};

/**
 * The server's TLS session of a connection in QUIC `version`: its tickets carry our transport
 * parameters, and only tickets issued in the same version resume it (RFC 9369 §5).
 */
export function createServerTls(
  provider: CryptoProvider,
  o: ServerTlsOptions & { alpn: string[] },
  conn: { alpn: string[] },
  callbacks: TlsCallbacks,
  transportParameters: Uint8Array,
  version: number,
): TlsSession {
  const application = o.ticketApplication;
  const ticketAppData = o.ticketKeys
    ? encodeTicketAppData({
        transportParams: transportParameters,
        application: application?.data ?? NO_DATA,
      })
    : null;
  let current: TransportParameters | null = null;
  const acceptEarlyData = (sealed: Uint8Array, info: EarlyDataInfo): boolean => {
    const d = decodeTicketAppData(sealed);
    const remembered = d === null ? null : rememberedTransportParams(d);
    if (d === null || remembered === null) return false;
    // RFC 9000 §7.4.1: no limit the client may have used in 0-RTT may be lower now.
    current ??= decodeTransportParameters(transportParameters, 'server');
    if (reducedTransportLimit(remembered, current) !== null) return false;
    if (application !== undefined && !application.acceptsEarlyData(d.application, info.alpn)) {
      return false;
    }
    return o.acceptEarlyData === undefined || o.acceptEarlyData(d.application, info);
  };
  return createTlsServer(
    {
      acceptTicket: (sealed) => {
        const d = decodeTicketAppData(sealed);
        return d !== null && issuingVersion(d.transportParams) === version;
      },
      provider,
      alpnProtocols: conn.alpn,
      transportParameters,
      ...(o.certificate ? { certificate: o.certificate } : {}),
      ...(o.selectCertificate ? { selectCertificate: o.selectCertificate } : {}),
      ...(ticketAppData !== null ? { ticketKeys: o.ticketKeys!, ticketAppData } : {}),
      ...(o.earlyData ? { earlyData: true, acceptEarlyData } : {}),
      ...(o.antiReplay ? { antiReplay: o.antiReplay } : {}),
      ...(o.selectAlpn ? { selectAlpn: o.selectAlpn } : {}),
      ...(o.clientAuth ? { clientAuth: o.clientAuth } : {}),
      ...(o.cipherSuites ? { cipherSuites: o.cipherSuites } : {}),
      ...(o.groups ? { groups: o.groups } : {}),
      ...(o.keyLog ? { keyLog: o.keyLog } : {}),
      ...(o.currentTime ? { currentTime: o.currentTime } : {}),
    },
    callbacks,
  );
}
