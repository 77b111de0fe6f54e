/**
 * The TLS 1.3 server state machine for QUIC (RFC 8446 §2, figure in §A.2; RFC 9001 §4):
 *
 *   WAIT_CH --CH (no usable share)--> send HRR --> WAIT_CH2 --CH--+
 *      |CH                                                        |
 *      v                                                          v
 *   NEGOTIATING (ALPN and certificate callbacks, possibly async) --> send SH at Initial,
 *      EE [CR] [Certificate CertificateVerify] Finished at Handshake
 *      |
 *      +--> WAIT_CERT --Certificate--> WAIT_CV --CertificateVerify--+   (client auth)
 *      v                     | (empty)                              |
 *   WAIT_FINISHED <----------+--------------------------------------+
 *      |Finished
 *      v
 *   CONNECTED (NewSessionTicket sent at the Application level)
 */
import type { KeyExchangeGroup, SignatureScheme } from '../crypto/provider.js';
import type { CipherSuite } from '../crypto/suites.js';
import { bytesEqual, constantTimeEqual } from '../util/bytes.js';
import { alert } from './alert.js';
import { checkAlpnList, resolveGroups, resolveSuites } from './config.js';
import {
  ExtensionType as X,
  GROUP_CODES,
  HRR_RANDOM,
  HandshakeType as H,
  TLS12,
  TLS13,
  schemeFromCode,
} from './constants.js';
import {
  type KeyShareEntry,
  encodeAlpn,
  encodeCookie,
  encodeKeyShareServer,
  encodeU16,
  encodeU16List,
} from './extension-codecs.js';
import { type Extension, checkSolicited } from './extensions.js';
import type { HandshakeMessage } from './framing.js';
import { KeySchedule } from './key-schedule.js';
import {
  decodeCertificate,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeFinished,
} from './messages-auth.js';
import { encodeServerHello } from './messages.js';
import { type LeafKey, verifyPeerChain } from './peer-auth.js';
import {
  type AcceptedPsk,
  acceptEarlyData,
  acceptPsk,
  earlyDataWindowEnd,
  newSessionTicket,
} from './server-resumption.js';
import { type ClientOffer, parseClientOffer } from './server-offer.js';
import { HandshakeSession, NO_BYTES } from './session.js';
import {
  HANDSHAKE_SCHEMES,
  OFFERED_SCHEME_CODES,
  chooseScheme,
  signCertificateVerify,
} from './signatures.js';
import {
  type CertifiedKey,
  Level,
  type TlsCallbacks,
  type TlsSession,
  type TlsServerConfig,
} from './types.js';

type ServerState =
  'wait_ch' | 'wait_ch2' | 'negotiating' | 'wait_cert' | 'wait_cv' | 'wait_finished' | 'connected';

const MAX_TICKET_LIFETIME = 604800;

/**
 * What stands in for the configuration once the handshake is over (tickets issued): nothing
 * after it reads the configuration, and dropping it releases the connection's transport
 * parameters and the rest.
 */
const RELEASED_CONFIG: TlsServerConfig = { transportParameters: NO_BYTES };

/** What the ClientHello settled before the application callbacks run. */
interface Negotiated {
  readonly offer: ClientOffer;
  readonly raw: Uint8Array;
  readonly suite: CipherSuite;
  readonly group: KeyExchangeGroup;
  readonly share: KeyShareEntry;
  readonly psk: AcceptedPsk | null;
}

/** What a HelloRetryRequest asked for, to check the second ClientHello against. */
interface RetryState {
  readonly suite: CipherSuite;
  readonly group: KeyExchangeGroup;
  readonly cookie: Uint8Array;
  readonly random: Uint8Array;
}

export class TlsServer extends HandshakeSession {
  readonly role = 'server';
  private state: ServerState = 'wait_ch';
  private readonly suites: CipherSuite[];
  private readonly groups: KeyExchangeGroup[];
  private retry: RetryState | null = null;
  private clientHandshakeSecret: Uint8Array = NO_BYTES;
  private clientAppSecret: Uint8Array = NO_BYTES;
  private leaf: LeafKey | null = null;
  private ticketsIssued = 0;

  constructor(
    private config: TlsServerConfig,
    callbacks: TlsCallbacks,
  ) {
    super(config, callbacks);
    if (config.certificate === undefined && config.selectCertificate === undefined) {
      throw new TypeError('a server needs certificate or selectCertificate');
    }
    if (config.alpnProtocols === undefined && config.selectAlpn === undefined) {
      throw new TypeError('a server needs alpnProtocols or selectAlpn (RFC 9001 §8.1)');
    }
    if (config.alpnProtocols !== undefined) checkAlpnList(config.alpnProtocols, 'alpnProtocols');
    const count = config.ticketCount;
    if (count !== undefined && !(Number.isInteger(count) && count >= 0 && count <= 16)) {
      throw new RangeError('ticketCount must be an integer in 0..16');
    }
    const lifetime = config.ticketLifetime;
    if (lifetime !== undefined && !(lifetime > 0 && lifetime <= MAX_TICKET_LIFETIME)) {
      throw new RangeError(`ticketLifetime must be in 1..${MAX_TICKET_LIFETIME} seconds`);
    }
    this.suites = resolveSuites(config.cipherSuites);
    this.groups = resolveGroups(config.groups);
  }

  /** The server waits for the ClientHello; nothing to send first. */
  start(): void {}

  protected expectedLevel(): Level | null {
    switch (this.state) {
      case 'wait_ch':
      case 'wait_ch2':
      case 'negotiating':
        return Level.Initial;
      case 'connected':
        return null;
      default:
        return Level.Handshake;
    }
  }

  protected handleMessage(_level: Level, msg: HandshakeMessage): void {
    switch (this.state) {
      case 'wait_ch':
      case 'wait_ch2':
        if (msg.type === H.client_hello) return this.onClientHello(msg);
        break;
      case 'wait_cert':
        if (msg.type === H.certificate) return this.onCertificate(msg);
        break;
      case 'wait_cv':
        if (msg.type === H.certificate_verify) return this.onCertificateVerify(msg);
        break;
      case 'wait_finished':
        if (msg.type === H.finished) return this.onFinished(msg);
        break;
      default:
        break;
    }
    // Includes EndOfEarlyData (RFC 9001 §8.3) and KeyUpdate (RFC 9001 §6).
    this.unexpected(msg, this.state);
  }

  // --- ClientHello -----------------------------------------------------------------------------

  private onClientHello(msg: HandshakeMessage): void {
    const offer = parseClientOffer(msg.body);
    const retry = this.retry;
    if (retry !== null) this.checkSecondHello(offer, retry);
    const suite = retry?.suite ?? this.chooseSuite(offer);
    const choice = this.chooseKeyShare(offer);
    if ('retry' in choice) {
      // §4.1.4: after one HelloRetryRequest the client must bring the share we asked for.
      if (retry !== null) throw alert('illegal_parameter', 'no key share for the requested group');
      return this.sendHelloRetryRequest(msg.raw, offer, suite, choice.retry);
    }
    if (offer.alpn.length === 0) {
      throw alert('no_application_protocol', 'the client offers no application protocol');
    }
    this.serverName = offer.serverName;
    const keys = this.config.ticketKeys;
    const psk =
      keys === undefined
        ? null
        : acceptPsk(offer, msg.raw, suite, this.transcript, {
            provider: this.provider,
            ticketKeys: keys,
            now: this.now(),
            clientCertificateRequired: this.config.clientAuth?.required === true,
            acceptTicket: this.config.acceptTicket,
          });
    const n: Negotiated = {
      offer,
      raw: msg.raw,
      suite,
      group: choice.group,
      share: choice.entry,
      psk,
    };
    this.state = 'negotiating';
    this.waitFor(this.selectAlpn(offer), (alpn) => this.onAlpnSelected(n, alpn));
  }

  /** RFC 8446 §4.1.2: the second ClientHello repeats the first except for the retry fields. */
  private checkSecondHello(offer: ClientOffer, retry: RetryState): void {
    if (offer.cookie === null) {
      throw alert('missing_extension', 'second ClientHello without cookie');
    }
    if (!constantTimeEqual(offer.cookie, retry.cookie)) throw alert('illegal_parameter', 'cookie');
    if (offer.earlyData) throw alert('illegal_parameter', 'early_data after HelloRetryRequest');
    if (!bytesEqual(offer.hello.random, retry.random)) {
      throw alert('illegal_parameter', 'second ClientHello changed its random');
    }
    if (!offer.hello.cipherSuites.includes(retry.suite.code)) {
      throw alert('illegal_parameter', 'second ClientHello dropped the selected suite');
    }
    const shares = offer.keyShares;
    if (shares === null || shares.length !== 1 || shares[0]!.group !== GROUP_CODES[retry.group]) {
      throw alert('illegal_parameter', 'second ClientHello must share exactly the requested group');
    }
  }

  private chooseSuite(offer: ClientOffer): CipherSuite {
    const suite = this.suites.find((s) => offer.hello.cipherSuites.includes(s.code));
    if (suite === undefined) throw alert('handshake_failure', 'no cipher suite in common');
    return suite;
  }

  /**
   * The group of the client's key shares we prefer; failing that, the group to ask for in a
   * HelloRetryRequest (§4.1.1, §4.2.8).
   */
  private chooseKeyShare(
    offer: ClientOffer,
  ): { group: KeyExchangeGroup; entry: KeyShareEntry } | { retry: KeyExchangeGroup } {
    const supported = offer.groups;
    const shares = offer.keyShares;
    if (supported === null || shares === null) {
      throw alert('missing_extension', 'no supported_groups/key_share (psk_ke is not supported)');
    }
    const seen = new Set<number>();
    for (const s of shares) {
      // §4.2.8: one share per group, each for a group listed in supported_groups.
      if (seen.has(s.group)) throw alert('illegal_parameter', 'two key shares for one group');
      if (!supported.includes(s.group)) {
        throw alert('illegal_parameter', 'key share for a group not in supported_groups');
      }
      seen.add(s.group);
    }
    for (const g of this.groups) {
      const entry = shares.find((s) => s.group === GROUP_CODES[g]);
      if (entry !== undefined) return { group: g, entry };
    }
    for (const g of this.groups) if (supported.includes(GROUP_CODES[g])) return { retry: g };
    throw alert('handshake_failure', 'no key exchange group in common');
  }

  private sendHelloRetryRequest(
    raw: Uint8Array,
    offer: ClientOffer,
    suite: CipherSuite,
    group: KeyExchangeGroup,
  ): void {
    // The cookie (§4.2.2) proves the second ClientHello answers this HelloRetryRequest.
    const cookie = this.random(32).slice();
    this.retry = { suite, group, cookie, random: offer.hello.random.slice() };
    this.transcript.add(raw);
    this.transcript.replaceWithMessageHash(suite.hash);
    this.write(
      encodeServerHello({
        legacyVersion: TLS12,
        random: HRR_RANDOM,
        legacySessionIdEcho: offer.hello.legacySessionId,
        cipherSuite: suite.code,
        legacyCompressionMethod: 0,
        extensions: [
          { type: X.supported_versions, data: encodeU16(TLS13) },
          { type: X.key_share, data: encodeU16(GROUP_CODES[group]) },
          { type: X.cookie, data: encodeCookie(cookie) },
        ],
      }),
    );
    this.state = 'wait_ch2';
    this.flush(Level.Initial);
  }

  private selectAlpn(offer: ClientOffer): string | null | Promise<string | null> {
    const select = this.config.selectAlpn;
    if (select !== undefined) return select(offer.alpn, offer.serverName);
    return this.config.alpnProtocols!.find((p) => offer.alpn.includes(p)) ?? null;
  }

  private onAlpnSelected(n: Negotiated, alpn: string | null): void {
    // RFC 9001 §8.1, RFC 7301 §3.2.
    if (alpn === null || !n.offer.alpn.includes(alpn)) {
      throw alert('no_application_protocol', 'no application protocol in common');
    }
    this.alpn = alpn;
    if (n.psk !== null) {
      return this.waitFor(this.decideEarlyData(n, n.psk), (early) =>
        this.sendServerFlight(n, null, early),
      );
    }
    const select = this.config.selectCertificate;
    const schemes = n.offer.signatureSchemes ?? [];
    const cert =
      select === undefined
        ? (this.config.certificate ?? null)
        : select({
            serverName: n.offer.serverName,
            signatureSchemes: schemes
              .map(schemeFromCode)
              .filter(
                (s): s is SignatureScheme => s !== undefined && HANDSHAKE_SCHEMES.includes(s),
              ),
            alpnProtocols: n.offer.alpn,
          });
    this.waitFor(cert, (c) => this.onCertificateSelected(n, c));
  }

  /**
   * Whether to accept the client's 0-RTT: the policy checks (server-resumption.ts), then the
   * single-use record of accepted ClientHellos (RFC 8446 §8.2), keyed by the PSK binder. A store
   * that fails counts as "seen": 0-RTT refused, the handshake goes on.
   */
  private decideEarlyData(n: Negotiated, psk: AcceptedPsk): boolean | Promise<boolean> {
    const now = this.now();
    const maxAgeSkew = this.config.maxTicketAgeSkew ?? 10_000;
    const acceptable = acceptEarlyData(n.offer, psk, {
      enabled: this.config.earlyData === true,
      retried: this.retry !== null,
      suite: n.suite,
      alpn: this.alpn!,
      now,
      maxAgeSkew,
      accept: this.config.acceptEarlyData,
      serverName: n.offer.serverName,
    });
    const store = this.config.antiReplay;
    if (!acceptable || store === undefined) return acceptable;
    const binder = n.offer.psks!.binders[psk.index]!;
    let fresh: boolean | Promise<boolean>;
    try {
      fresh = store.checkAndRecord(binder, now, earlyDataWindowEnd(psk, maxAgeSkew));
    } catch {
      return false;
    }
    // Any thenable (a store's own promise type) counts; a rejection refuses 0-RTT.
    return typeof fresh === 'boolean' ? fresh : Promise.resolve(fresh).catch(() => false);
  }

  private onCertificateSelected(n: Negotiated, cert: CertifiedKey | null): void {
    if (cert === null || cert.chain.length === 0) {
      if (n.offer.serverName !== null) {
        throw alert('unrecognized_name', `no certificate for ${n.offer.serverName}`);
      }
      throw alert('handshake_failure', 'no certificate');
    }
    this.sendServerFlight(n, cert, false);
  }

  // --- server flight ---------------------------------------------------------------------------

  private sendServerFlight(n: Negotiated, cert: CertifiedKey | null, earlyData: boolean): void {
    const { offer, suite, psk } = n;
    let scheme = null;
    if (cert !== null) {
      // §9.2: certificate authentication needs the client's signature_algorithms.
      if (offer.signatureSchemes === null) {
        throw alert('missing_extension', 'no signature_algorithms');
      }
      scheme = chooseScheme(cert.key, offer.signatureSchemes);
      if (scheme === null) throw alert('handshake_failure', 'no signature scheme fits our key');
    }
    const exchange = this.respondToKeyShare(n.group, n.share.keyExchange);
    if (exchange === null) throw alert('illegal_parameter', 'invalid client key share');

    this.suite = suite;
    this.cipherSuite = suite.name;
    this.group = n.group;
    this.clientRandom = offer.hello.random.slice();
    const schedule = psk?.schedule ?? new KeySchedule(this.provider, suite.hash);
    this.schedule = schedule;
    this.transcript.add(n.raw);
    if (psk !== null) {
      this.resumed = true;
      // The client authenticated on the original connection: its leaf comes from the ticket.
      if (psk.state.clientCertificate.length > 0) {
        this.peerCertificates = [psk.state.clientCertificate];
      }
      this.earlyDataAccepted = earlyData;
    }
    if (this.earlyDataAccepted) {
      const secret = schedule.clientEarlyTrafficSecret(this.transcript.hash(suite.hash));
      this.emitSecret(Level.EarlyData, 'client', secret);
    }
    this.callbacks.onPeerTransportParameters(offer.transportParameters.slice());

    // ServerHello (§4.1.3) at the Initial level.
    const shExts: Extension[] = [
      { type: X.supported_versions, data: encodeU16(TLS13) },
      {
        type: X.key_share,
        data: encodeKeyShareServer({
          group: GROUP_CODES[n.group],
          keyExchange: exchange.publicKey,
        }),
      },
    ];
    if (psk !== null) shExts.push({ type: X.pre_shared_key, data: encodeU16(psk.index) });
    this.write(
      encodeServerHello({
        legacyVersion: TLS12,
        random: this.random(32),
        legacySessionIdEcho: offer.hello.legacySessionId,
        cipherSuite: suite.code,
        legacyCompressionMethod: 0,
        extensions: shExts,
      }),
    );
    this.flush(Level.Initial);
    schedule.deriveHandshakeSecret(exchange.secret);
    const th = this.transcript.hash(suite.hash);
    const serverHs = schedule.handshakeTrafficSecret('server', th);
    this.clientHandshakeSecret = schedule.handshakeTrafficSecret('client', th);
    this.emitSecret(Level.Handshake, 'server', serverHs);
    this.emitSecret(Level.Handshake, 'client', this.clientHandshakeSecret);

    // EncryptedExtensions [CertificateRequest] [Certificate CertificateVerify] Finished.
    const ee: Extension[] = [
      { type: X.application_layer_protocol_negotiation, data: encodeAlpn([this.alpn!]) },
      { type: X.quic_transport_parameters, data: this.config.transportParameters },
    ];
    // RFC 6066 §3: an empty server_name acknowledges that the name was used.
    if (offer.serverName !== null && psk === null) {
      ee.push({ type: X.server_name, data: new Uint8Array(0) });
    }
    if (this.earlyDataAccepted) ee.push({ type: X.early_data, data: new Uint8Array(0) });
    this.write(encodeEncryptedExtensions(ee));
    const requestCert = psk === null && this.config.clientAuth !== undefined;
    if (requestCert) {
      // §4.3.2: servers authenticating with a PSK must not send CertificateRequest.
      this.write(
        encodeCertificateRequest({
          context: new Uint8Array(0),
          extensions: [{ type: X.signature_algorithms, data: encodeU16List(OFFERED_SCHEME_CODES) }],
        }),
      );
    }
    if (cert !== null && scheme !== null) {
      this.write(
        encodeCertificate({
          context: new Uint8Array(0),
          entries: cert.chain.map((data) => ({ data, extensions: [] })),
        }),
      );
      const cvHash = this.transcript.hash(suite.hash);
      this.write(
        encodeCertificateVerify(signCertificateVerify(cert.key, scheme, 'server', cvHash)),
      );
    }
    this.write(encodeFinished(schedule.verifyData(serverHs, this.transcript.hash(suite.hash))));
    this.state = requestCert ? 'wait_cert' : 'wait_finished';
    this.flush(Level.Handshake);

    schedule.deriveMasterSecret();
    const thFin = this.transcript.hash(suite.hash);
    this.clientAppSecret = schedule.applicationTrafficSecret('client', thFin);
    this.exporterSecret = schedule.exporterMasterSecret(thFin);
    // RFC 9001 §4.1.1 / §5.7: the server may send 0.5-RTT data; it reads 1-RTT only once the
    // handshake is complete, so the read secret comes with the client's Finished.
    this.emitSecret(
      Level.Application,
      'server',
      schedule.applicationTrafficSecret('server', thFin),
    );
  }

  // --- client authentication and Finished ------------------------------------------------------

  private onCertificate(msg: HandshakeMessage): void {
    const cert = decodeCertificate(msg.body);
    if (cert.context.length !== 0) throw alert('illegal_parameter', 'client Certificate context');
    for (const e of cert.entries) checkSolicited(e.extensions, new Set(), 'CertificateEntry');
    this.transcript.add(msg.raw);
    if (cert.entries.length === 0) {
      // §4.4.2.4: without a certificate the server may continue or refuse.
      if (this.config.clientAuth!.required === true) {
        throw alert('certificate_required', 'the client sent no certificate');
      }
      this.state = 'wait_finished';
      return;
    }
    const chain = cert.entries.map((e) => e.data);
    this.leaf = verifyPeerChain(this.provider, chain, {
      insecure: false,
      trustAnchors: this.config.clientAuth!.trustAnchors,
      now: this.now(),
      purpose: 'client',
    });
    this.peerCertificates = chain;
    this.state = 'wait_cv';
  }

  private onCertificateVerify(msg: HandshakeMessage): void {
    this.checkPeerCertificateVerify(msg, this.leaf!, 'client');
    this.state = 'wait_finished';
  }

  private onFinished(msg: HandshakeMessage): void {
    const suite = this.suite!;
    const schedule = this.schedule!;
    this.checkPeerFinished(msg, this.clientHandshakeSecret, 'client');
    const rms = schedule.resumptionMasterSecret(this.transcript.hash(suite.hash));
    this.state = 'connected';
    this.emitSecret(Level.Application, 'client', this.clientAppSecret);
    this.completeHandshake();
    this.issueTickets(rms);
    this.releaseHandshakeState();
  }

  /**
   * Once connected the server reads nothing more - QUIC clients send no post-handshake messages
   * (RFC 9001 §4.4, §6) - and it has issued its tickets: only the exporter secret and the
   * negotiated properties stay.
   */
  protected override releaseHandshakeState(): void {
    super.releaseHandshakeState();
    this.config = RELEASED_CONFIG;
    this.retry = null;
    this.leaf = null;
    this.clientHandshakeSecret = NO_BYTES;
    this.clientAppSecret = NO_BYTES;
  }

  /** NewSessionTicket messages at the Application level (RFC 9001 §4.6); not in the transcript. */
  private issueTickets(resumptionMasterSecret: Uint8Array): void {
    const keys = this.config.ticketKeys;
    if (keys === undefined || this.failed) return;
    const count = this.config.ticketCount ?? 1;
    const params = {
      ticketKeys: keys,
      schedule: this.schedule!,
      resumptionMasterSecret,
      suite: this.suite!,
      now: this.now(),
      lifetime: Math.min(
        this.config.ticketLifetime ?? Math.floor(keys.rotationMs / 1000),
        MAX_TICKET_LIFETIME,
      ),
      earlyData: this.config.earlyData === true,
      alpn: this.alpn!,
      serverName: this.serverName,
      clientCertificate: this.peerCertificates[0],
      appData: this.config.ticketAppData ?? new Uint8Array(0),
      random: (n: number) => this.random(n),
    };
    const tickets: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      // The nonce makes each ticket's PSK distinct within the connection (§4.6.1).
      tickets.push(newSessionTicket(params, Uint8Array.of(this.ticketsIssued++ & 0xff)));
    }
    if (tickets.length === 0) return;
    const total = tickets.reduce((a, t) => a + t.length, 0);
    const data = new Uint8Array(total);
    let o = 0;
    for (const t of tickets) {
      data.set(t, o);
      o += t.length;
    }
    this.callbacks.onHandshakeData(Level.Application, data);
  }
}

/** Creates a server session; feed it the client's Initial CRYPTO data with receive(). */
export function createTlsServer(config: TlsServerConfig, callbacks: TlsCallbacks): TlsSession {
  return new TlsServer(config, callbacks);
}
