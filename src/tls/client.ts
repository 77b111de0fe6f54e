/**
 * The TLS 1.3 client state machine for QUIC (RFC 8446 §2, figure in §A.1; RFC 9001 §4):
 *
 *   idle --start--> WAIT_SH --SH--> WAIT_EE --EE--> WAIT_CERT_CR --CR--> WAIT_CERT
 *                     |  ^HRR (once)          |(PSK)     |Certificate        |Certificate
 *                     +--+                    v          v                   v
 *                                       WAIT_FINISHED <- WAIT_CV <-----------+
 *                                             |Finished (send [Certificate, CertificateVerify,] Finished)
 *                                             v
 *                                         CONNECTED (NewSessionTicket at the Application level)
 */
import type { KeyExchangeGroup, KeyShare } from '../crypto/provider.js';
import { type CipherSuite, cipherSuiteByName } from '../crypto/suites.js';
import { TransportError } from '../wire/errors.js';
import { alert } from './alert.js';
import {
  checkAlpnList,
  defaultKeyShareGroups,
  isIpLiteral,
  resolveGroups,
  resolveSuites,
} from './config.js';
import {
  ExtensionType as X,
  GROUP_CODES,
  HandshakeType as H,
  PskMode,
  TLS12,
  TLS13,
  groupFromCode,
} from './constants.js';
import {
  bindersLength,
  decodeAlpn,
  decodeCookie,
  decodeEmpty,
  decodeMaxEarlyData,
  decodeKeyShareServer,
  decodeU16,
  decodeU16List,
  encodeAlpn,
  encodeCookie,
  encodeKeyShareClient,
  encodeOfferedPsks,
  encodePskModes,
  encodeServerName,
  encodeSupportedVersionsClient,
  encodeU16List,
} from './extension-codecs.js';
import { type Extension, checkSolicited, findExtension } from './extensions.js';
import type { HandshakeMessage } from './framing.js';
import { KeySchedule } from './key-schedule.js';
import {
  decodeCertificate,
  decodeCertificateRequest,
  decodeEncryptedExtensions,
  decodeNewSessionTicket,
  encodeCertificate,
  encodeCertificateVerify,
  encodeFinished,
} from './messages-auth.js';
import { type ServerHello, decodeServerHello, encodeClientHello, fillBinders } from './messages.js';
import { type LeafKey, verifyPeerChain } from './peer-auth.js';
import {
  type SessionTicket,
  decodeSessionTicket,
  encodeSessionTicket,
  sessionTicketValid,
} from './session-ticket.js';
import { HandshakeSession, NO_BYTES } from './session.js';
import { OFFERED_SCHEME_CODES, chooseScheme, signCertificateVerify } from './signatures.js';
import { Level, type TlsCallbacks, type TlsSession, type TlsClientConfig } from './types.js';

type ClientState =
  | 'idle'
  | 'wait_sh'
  | 'wait_ee'
  | 'wait_cert_cr'
  | 'wait_cert'
  | 'wait_cv'
  | 'wait_finished'
  | 'connected';

/** RFC 8446 §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds". */
const MAX_TICKET_LIFETIME = 604800;
/** RFC 9001 §4.6.1: the only max_early_data_size a QUIC server may send. */
const QUIC_MAX_EARLY_DATA = 0xffffffff;

const NO_EXTENSIONS: ReadonlySet<number> = new Set();
/**
 * What stands in for the configuration once the handshake is over: nothing after it reads the
 * configuration, and dropping it releases the connection's transport parameters and the rest.
 */
const RELEASED_CONFIG: TlsClientConfig = { alpnProtocols: [], transportParameters: NO_BYTES };

export class TlsClient extends HandshakeSession {
  readonly role = 'client';
  private state: ClientState = 'idle';
  private readonly suites: CipherSuite[];
  private readonly groups: readonly KeyExchangeGroup[];
  private keyShares: KeyShare[] = [];
  /** The ticket offered in the current ClientHello, if any, and its suite. */
  private ticket: { readonly t: SessionTicket; readonly suite: CipherSuite } | null = null;
  private offeredEarlyData = false;
  /** Extension types of the last ClientHello: a response may only carry these (§4.2). */
  private offered: ReadonlySet<number> = NO_EXTENSIONS;
  private retried = false;
  private retrySuite: CipherSuite | null = null;
  private cookie: Uint8Array | null = null;
  private certRequestContext: Uint8Array | null = null;
  private certRequestSchemes: readonly number[] = [];
  private leaf: LeafKey | null = null;
  private clientHandshakeSecret: Uint8Array = NO_BYTES;
  private serverHandshakeSecret: Uint8Array = NO_BYTES;
  private resumptionMasterSecret: Uint8Array | null = null;
  /** The SNI to send: the configured name unless it is an IP literal. */
  private readonly sni: string | null;

  constructor(
    private config: TlsClientConfig,
    callbacks: TlsCallbacks,
  ) {
    super(config, callbacks);
    if (config.alpnProtocols === undefined || config.alpnProtocols.length === 0) {
      throw new TypeError('alpnProtocols is required (RFC 9001 §8.1)');
    }
    checkAlpnList(config.alpnProtocols, 'alpnProtocols');
    this.suites = resolveSuites(config.cipherSuites);
    this.groups = resolveGroups(config.groups);
    for (const g of config.keyShareGroups ?? []) {
      if (!this.groups.includes(g)) throw new RangeError(`keyShareGroups: ${g} is not in groups`);
    }
    const name = config.serverName?.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
    this.serverName = name ?? null;
    this.sni = name !== undefined && name !== '' && !isIpLiteral(name) ? name : null;
    if (config.sessionTicket !== undefined) {
      const t = decodeSessionTicket(config.sessionTicket);
      this.ticket = { t, suite: cipherSuiteByName(t.cipherSuite) };
    }
  }

  start(): void {
    if (this.state !== 'idle') throw new TypeError('start() may be called only once');
    this.state = 'wait_sh';
    try {
      this.clientRandom = this.random(32).slice();
      // §4.2.8: key shares in the order of supported_groups.
      const shareGroups = this.config.keyShareGroups ?? defaultKeyShareGroups(this.groups);
      this.keyShares = this.groups
        .filter((g) => shareGroups.includes(g))
        .map((g) => this.newKeyShare(g));
      this.ticket = this.usableTicket();
      this.offeredEarlyData =
        this.ticket !== null &&
        this.config.earlyData === true &&
        this.ticket.t.maxEarlyData > 0 &&
        this.config.alpnProtocols.includes(this.ticket.t.alpn);
      this.sendClientHello();
      if (this.offeredEarlyData) {
        // RFC 8446 §4.2.10: 0-RTT is protected with the ticket's suite, keyed from the PSK.
        const { t, suite } = this.ticket!;
        const early = new KeySchedule(this.provider, suite.hash, t.psk);
        const secret = early.clientEarlyTrafficSecret(this.transcript.hash(suite.hash));
        this.emitSecret(Level.EarlyData, 'client', secret, suite);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** The configured ticket if it may be offered now (RFC 8446 §4.6.1, §4.2.11). */
  private usableTicket(): { t: SessionTicket; suite: CipherSuite } | null {
    const ticket = this.ticket;
    if (ticket === null) return null;
    if (!sessionTicketValid(ticket.t, this.now())) return null;
    if (ticket.t.serverName !== this.serverName) return null;
    if (!this.suites.some((s) => s.hash === ticket.suite.hash)) return null;
    return ticket;
  }

  protected expectedLevel(): Level | null {
    switch (this.state) {
      case 'idle':
        return null;
      case 'wait_sh':
        return Level.Initial;
      case 'connected':
        return Level.Application;
      default:
        return Level.Handshake;
    }
  }

  protected handleMessage(_level: Level, msg: HandshakeMessage): void {
    switch (this.state) {
      case 'wait_sh':
        if (msg.type === H.server_hello) return this.onServerHello(msg);
        break;
      case 'wait_ee':
        if (msg.type === H.encrypted_extensions) return this.onEncryptedExtensions(msg);
        break;
      case 'wait_cert_cr':
        if (msg.type === H.certificate_request) return this.onCertificateRequest(msg);
        if (msg.type === H.certificate) return this.onCertificate(msg);
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
      case 'connected':
        if (msg.type === H.new_session_ticket) return this.onNewSessionTicket(msg);
        // RFC 9001 §4.4: no post-handshake client authentication in QUIC.
        if (msg.type === H.certificate_request) {
          throw alert(
            'unexpected_message',
            'post-handshake CertificateRequest',
            TransportError.PROTOCOL_VIOLATION,
          );
        }
        // RFC 9001 §6: a TLS KeyUpdate is unexpected_message; other types likewise.
        break;
    }
    this.unexpected(msg, this.state);
  }

  // --- ClientHello -----------------------------------------------------------------------------

  private sendClientHello(): void {
    const exts: Extension[] = [];
    if (this.sni !== null) exts.push({ type: X.server_name, data: encodeServerName(this.sni) });
    exts.push(
      { type: X.supported_groups, data: encodeU16List(this.groups.map((g) => GROUP_CODES[g])) },
      { type: X.signature_algorithms, data: encodeU16List(OFFERED_SCHEME_CODES) },
      {
        type: X.application_layer_protocol_negotiation,
        data: encodeAlpn(this.config.alpnProtocols),
      },
      { type: X.supported_versions, data: encodeSupportedVersionsClient([TLS13]) },
      // Before the key shares: a hybrid share pushes what follows into the second Initial
      // packet, and a server reads version_information in the first to choose the version
      // (RFC 9368 §2.3).
      { type: X.quic_transport_parameters, data: this.config.transportParameters },
      {
        type: X.key_share,
        data: encodeKeyShareClient(
          this.keyShares.map((k) => ({ group: GROUP_CODES[k.group], keyExchange: k.publicKey })),
        ),
      },
    );
    const ticket = this.ticket;
    // §4.2.9: advertised on every ClientHello, not only when resuming: servers send no ticket
    // for modes the client did not offer (aioquic, rustls and BoringSSL send none without it).
    exts.push({ type: X.psk_key_exchange_modes, data: encodePskModes([PskMode.psk_dhe_ke]) });
    // §4.2.10: no early_data in the ClientHello that answers a HelloRetryRequest.
    if (this.offeredEarlyData && !this.retried) {
      exts.push({ type: X.early_data, data: new Uint8Array(0) });
    }
    if (this.cookie !== null) exts.push({ type: X.cookie, data: encodeCookie(this.cookie) });
    const binderLength = ticket?.suite.hashLength ?? 0;
    if (ticket !== null) {
      // §4.2.11: obfuscated_ticket_age = age in ms + ticket_age_add, mod 2^32.
      const age = (this.now() - ticket.t.receivedAt + ticket.t.ageAdd) >>> 0;
      exts.push({
        type: X.pre_shared_key,
        data: encodeOfferedPsks(
          [{ identity: ticket.t.ticket, obfuscatedTicketAge: age }],
          [binderLength],
        ),
      });
    }
    this.offered = new Set(exts.map((e) => e.type));
    const message = encodeClientHello({
      legacyVersion: TLS12,
      random: this.clientRandom,
      legacySessionId: new Uint8Array(0),
      cipherSuites: this.suites.map((s) => s.code),
      legacyCompressionMethods: Uint8Array.of(0),
      extensions: exts,
    });
    if (ticket !== null) {
      // §4.2.11.2: the binder is a Finished-style MAC over the transcript up to and including
      // this ClientHello truncated before the binders list.
      const truncated = message.subarray(0, message.length - bindersLength([binderLength]));
      const schedule = new KeySchedule(this.provider, ticket.suite.hash, ticket.t.psk);
      const th = this.transcript.hashWith(ticket.suite.hash, truncated);
      fillBinders(message, [schedule.verifyData(schedule.binderKey(), th)]);
    }
    this.write(message);
    this.flush(Level.Initial);
  }

  // --- ServerHello / HelloRetryRequest ---------------------------------------------------------

  private onServerHello(msg: HandshakeMessage): void {
    const sh = decodeServerHello(msg.body);
    const sv = findExtension(sh.extensions, X.supported_versions);
    // §4.2.1: without supported_versions the server negotiated TLS 1.2 or older.
    if (sv === undefined) throw alert('protocol_version', 'the server does not offer TLS 1.3');
    if (decodeU16(sv, 'supported_versions') !== TLS13) {
      throw alert('illegal_parameter', 'the server selected a version other than TLS 1.3');
    }
    if (sh.legacySessionIdEcho.length !== 0) {
      throw alert('illegal_parameter', 'legacy_session_id_echo does not match');
    }
    if (sh.legacyCompressionMethod !== 0) throw alert('illegal_parameter', 'compression method');
    const suite = this.suites.find((s) => s.code === sh.cipherSuite);
    if (suite === undefined) {
      throw alert('illegal_parameter', 'the server chose a suite not offered');
    }
    if (sh.isHelloRetryRequest) return this.onHelloRetryRequest(sh, suite, msg.raw);
    // §4.1.4: the ServerHello must keep the suite of the HelloRetryRequest.
    if (this.retrySuite !== null && suite.code !== this.retrySuite.code) {
      throw alert('illegal_parameter', 'ServerHello suite differs from HelloRetryRequest');
    }
    checkSolicited(sh.extensions, this.offered, 'ServerHello');

    const ks = findExtension(sh.extensions, X.key_share);
    // We only offer psk_dhe_ke, so a key share is always needed (§4.2.8, §9.2).
    if (ks === undefined) throw alert('missing_extension', 'ServerHello without key_share');
    const entry = decodeKeyShareServer(ks);
    const share = this.keyShares.find((k) => GROUP_CODES[k.group] === entry.group);
    if (share === undefined) throw alert('illegal_parameter', 'key_share for a group not offered');
    const shared = share.deriveSecret(entry.keyExchange);
    if (shared === null) throw alert('illegal_parameter', 'invalid server key share');

    let psk: Uint8Array | undefined;
    const pskExt = findExtension(sh.extensions, X.pre_shared_key);
    if (pskExt !== undefined) {
      const ticket = this.ticket!; // offered: checkSolicited passed
      if (decodeU16(pskExt, 'pre_shared_key') !== 0) {
        throw alert('illegal_parameter', 'selected_identity out of range');
      }
      // §4.2.11: the PSK's hash must be the hash of the selected suite.
      if (ticket.suite.hash !== suite.hash) {
        throw alert('illegal_parameter', 'PSK selected with a suite of another hash');
      }
      psk = ticket.t.psk;
      this.resumed = true;
    }

    this.suite = suite;
    this.cipherSuite = suite.name;
    this.group = share.group;
    const schedule = new KeySchedule(this.provider, suite.hash, psk);
    this.schedule = schedule;
    this.transcript.add(msg.raw);
    schedule.deriveHandshakeSecret(shared);
    const th = this.transcript.hash(suite.hash);
    this.clientHandshakeSecret = schedule.handshakeTrafficSecret('client', th);
    this.serverHandshakeSecret = schedule.handshakeTrafficSecret('server', th);
    this.state = 'wait_ee';
    this.emitSecret(Level.Handshake, 'server', this.serverHandshakeSecret);
    this.emitSecret(Level.Handshake, 'client', this.clientHandshakeSecret);
  }

  private onHelloRetryRequest(sh: ServerHello, suite: CipherSuite, raw: Uint8Array): void {
    // §4.1.4: a second HelloRetryRequest is unexpected_message.
    if (this.retried) throw alert('unexpected_message', 'second HelloRetryRequest');
    checkSolicited(sh.extensions, this.offered, 'HelloRetryRequest', [X.cookie]);
    const ks = findExtension(sh.extensions, X.key_share);
    const cookie = findExtension(sh.extensions, X.cookie);
    if (ks !== undefined) {
      // §4.2.8: the group must be supported by us and not already have a share.
      const group = groupFromCode(decodeU16(ks, 'key_share'));
      if (group === undefined || !this.groups.includes(group)) {
        throw alert('illegal_parameter', 'HelloRetryRequest asks for a group not offered');
      }
      if (this.keyShares.some((k) => k.group === group)) {
        throw alert('illegal_parameter', 'HelloRetryRequest asks for a group already shared');
      }
      this.keyShares = [this.newKeyShare(group)];
    }
    this.cookie = cookie === undefined ? null : decodeCookie(cookie);
    // §4.1.4: a HelloRetryRequest that would not change the ClientHello is illegal_parameter.
    if (ks === undefined && cookie === undefined) {
      throw alert('illegal_parameter', 'HelloRetryRequest would not change the ClientHello');
    }
    this.retried = true;
    this.retrySuite = suite;
    // RFC 9001 §4.6.2: a HelloRetryRequest always rejects 0-RTT.
    this.earlyDataAccepted = false;
    // §4.2.11: only PSKs of the suite's hash may be offered again.
    if (this.ticket !== null && this.ticket.suite.hash !== suite.hash) this.ticket = null;
    this.transcript.replaceWithMessageHash(suite.hash);
    this.transcript.add(raw);
    this.sendClientHello();
  }

  // --- server's encrypted flight ---------------------------------------------------------------

  private onEncryptedExtensions(msg: HandshakeMessage): void {
    const exts = decodeEncryptedExtensions(msg.body);
    checkSolicited(exts, this.offered, 'EncryptedExtensions');
    const tp = findExtension(exts, X.quic_transport_parameters);
    if (tp === undefined) {
      throw alert('missing_extension', 'no quic_transport_parameters (RFC 9001 §8.2)');
    }
    const alpnExt = findExtension(exts, X.application_layer_protocol_negotiation);
    if (alpnExt === undefined) {
      throw alert('no_application_protocol', 'the server selected no application protocol');
    }
    const selected = decodeAlpn(alpnExt);
    // RFC 7301 §3.1: the server answers with exactly one protocol, one we offered.
    if (selected.length !== 1 || !this.config.alpnProtocols.includes(selected[0]!)) {
      throw alert('illegal_parameter', 'the server selected a protocol not offered');
    }
    this.alpn = selected[0]!;
    const sni = findExtension(exts, X.server_name);
    if (sni !== undefined) decodeEmpty(sni, 'server_name');
    const early = findExtension(exts, X.early_data);
    if (early !== undefined) {
      decodeEmpty(early, 'early_data');
      // §4.2.10: 0-RTT is accepted only with the first PSK, same suite and ALPN.
      const ticket = this.ticket;
      if (!this.resumed || ticket === null || ticket.suite.code !== this.suite!.code) {
        throw alert('illegal_parameter', 'early_data accepted without its PSK');
      }
      if (ticket.t.alpn !== this.alpn) {
        throw alert('illegal_parameter', 'early_data accepted with another protocol');
      }
      this.earlyDataAccepted = true;
    }
    this.transcript.add(msg.raw);
    this.state = this.resumed ? 'wait_finished' : 'wait_cert_cr';
    this.callbacks.onPeerTransportParameters(tp.slice());
  }

  private onCertificateRequest(msg: HandshakeMessage): void {
    const cr = decodeCertificateRequest(msg.body);
    // §4.3.2: the context is empty outside post-handshake authentication.
    if (cr.context.length !== 0) throw alert('illegal_parameter', 'CertificateRequest context');
    const sa = findExtension(cr.extensions, X.signature_algorithms);
    if (sa === undefined) {
      throw alert('missing_extension', 'CertificateRequest without signature_algorithms');
    }
    this.certRequestSchemes = decodeU16List(sa, 'signature_algorithms');
    this.certRequestContext = cr.context;
    this.transcript.add(msg.raw);
    this.state = 'wait_cert';
  }

  private onCertificate(msg: HandshakeMessage): void {
    const cert = decodeCertificate(msg.body);
    if (cert.context.length !== 0) throw alert('illegal_parameter', 'server Certificate context');
    // §4.4.2.4: an empty server Certificate is decode_error.
    if (cert.entries.length === 0) throw alert('decode_error', 'empty server Certificate');
    for (const e of cert.entries) checkSolicited(e.extensions, new Set(), 'CertificateEntry');
    const chain = cert.entries.map((e) => e.data);
    this.leaf = verifyPeerChain(this.provider, chain, {
      insecure: this.config.insecure === true,
      trustAnchors: this.config.trustAnchors ?? [],
      ...(this.serverName !== null && this.config.checkServerName !== false
        ? { serverName: this.serverName }
        : {}),
      now: this.now(),
      purpose: 'server',
    });
    this.peerCertificates = chain;
    this.transcript.add(msg.raw);
    this.state = 'wait_cv';
  }

  private onCertificateVerify(msg: HandshakeMessage): void {
    this.checkPeerCertificateVerify(msg, this.leaf!, 'server');
    this.state = 'wait_finished';
  }

  private onFinished(msg: HandshakeMessage): void {
    const suite = this.suite!;
    const schedule = this.schedule!;
    this.checkPeerFinished(msg, this.serverHandshakeSecret, 'server');
    schedule.deriveMasterSecret();
    const th = this.transcript.hash(suite.hash);
    const clientApp = schedule.applicationTrafficSecret('client', th);
    const serverApp = schedule.applicationTrafficSecret('server', th);
    this.exporterSecret = schedule.exporterMasterSecret(th);
    this.emitSecret(Level.Application, 'server', serverApp);

    if (this.certRequestContext !== null) this.writeClientCertificate(this.certRequestContext);
    this.write(
      encodeFinished(
        schedule.verifyData(this.clientHandshakeSecret, this.transcript.hash(suite.hash)),
      ),
    );
    this.resumptionMasterSecret = schedule.resumptionMasterSecret(this.transcript.hash(suite.hash));
    this.state = 'connected';
    this.flush(Level.Handshake);
    this.emitSecret(Level.Application, 'client', clientApp);
    this.completeHandshake();
    this.releaseHandshakeState();
  }

  /**
   * After the handshake the client keeps only what NewSessionTicket needs (suite, schedule,
   * resumption master secret, ALPN, server name, RFC 8446 §4.6.1) and the exporter secret.
   */
  protected override releaseHandshakeState(): void {
    super.releaseHandshakeState();
    this.config = RELEASED_CONFIG;
    this.keyShares = [];
    this.ticket = null;
    this.offered = NO_EXTENSIONS;
    this.retrySuite = null;
    this.cookie = null;
    this.certRequestContext = null;
    this.certRequestSchemes = [];
    this.leaf = null;
    this.clientHandshakeSecret = NO_BYTES;
    this.serverHandshakeSecret = NO_BYTES;
  }

  /** §4.4.2: our Certificate (empty when we have none that fits) and CertificateVerify. */
  private writeClientCertificate(context: Uint8Array): void {
    const cert = this.config.certificate;
    const scheme = cert === undefined ? null : chooseScheme(cert.key, this.certRequestSchemes);
    if (cert === undefined || scheme === null) {
      this.write(encodeCertificate({ context, entries: [] }));
      return;
    }
    this.write(
      encodeCertificate({ context, entries: cert.chain.map((data) => ({ data, extensions: [] })) }),
    );
    const th = this.transcript.hash(this.suite!.hash);
    this.write(encodeCertificateVerify(signCertificateVerify(cert.key, scheme, 'client', th)));
  }

  // --- after the handshake ---------------------------------------------------------------------

  private onNewSessionTicket(msg: HandshakeMessage): void {
    const nst = decodeNewSessionTicket(msg.body);
    if (nst.lifetime > MAX_TICKET_LIFETIME) throw alert('illegal_parameter', 'ticket lifetime');
    let maxEarlyData = 0;
    const early = findExtension(nst.extensions, X.early_data);
    if (early !== undefined) {
      maxEarlyData = decodeMaxEarlyData(early);
      if (maxEarlyData !== QUIC_MAX_EARLY_DATA) {
        throw alert(
          'illegal_parameter',
          'max_early_data_size other than 0xffffffff (RFC 9001 §4.6.1)',
          TransportError.PROTOCOL_VIOLATION,
        );
      }
    }
    const onTicket = this.callbacks.onSessionTicket;
    // A lifetime of zero means "discard immediately" (§4.6.1).
    if (onTicket === undefined || nst.lifetime === 0) return;
    const suite = this.suite!;
    const ticket = encodeSessionTicket({
      cipherSuite: suite.name,
      psk: this.schedule!.resumptionPsk(this.resumptionMasterSecret!, nst.nonce),
      ticket: nst.ticket,
      ageAdd: nst.ageAdd,
      lifetime: nst.lifetime,
      receivedAt: this.now(),
      maxEarlyData,
      alpn: this.alpn!,
      serverName: this.serverName,
      appData: new Uint8Array(0),
    });
    onTicket.call(this.callbacks, ticket);
  }
}

/** Creates a client session; call start() to emit the ClientHello. */
export function createTlsClient(config: TlsClientConfig, callbacks: TlsCallbacks): TlsSession {
  return new TlsClient(config, callbacks);
}
