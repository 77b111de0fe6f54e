/**
 * Server side of resumption (RFC 8446 §4.2.11, §4.6.1) and 0-RTT (§4.2.10, RFC 9001 §4.6):
 * finding an acceptable PSK among the client's identities and checking its binder, deciding on
 * early data, and minting NewSessionTicket messages.
 *
 * Tickets are stateless: anti-replay (RFC 8446 §8) comes from the ticket-age check here and the
 * single-use store of anti-replay.ts, consulted by the server once these checks pass.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { type CipherSuite, cipherSuiteByCode } from '../crypto/suites.js';
import { constantTimeEqual } from '../util/bytes.js';
import { alert } from './alert.js';
import { ExtensionType as X, PskMode } from './constants.js';
import { encodeMaxEarlyData } from './extension-codecs.js';
import { KeySchedule } from './key-schedule.js';
import { encodeNewSessionTicket } from './messages-auth.js';
import type { ClientOffer } from './server-offer.js';
import {
  type ServerTicketState,
  decodeServerTicketState,
  encodeServerTicketState,
} from './server-ticket.js';
import type { TicketKeys } from './ticket-keys.js';
import type { EarlyDataInfo } from './types.js';
import type { Transcript } from './transcript.js';

/** How many identities we try to open: bounds the work a ClientHello can cause. */
const MAX_IDENTITIES_TRIED = 4;

export interface AcceptedPsk {
  readonly index: number;
  readonly state: ServerTicketState;
  readonly obfuscatedTicketAge: number;
  /** The key schedule started from this PSK. */
  readonly schedule: KeySchedule;
}

export interface PskPolicy {
  readonly provider: CryptoProvider;
  readonly ticketKeys: TicketKeys;
  readonly now: number;
  /** The client certificate is mandatory: tickets from unauthenticated sessions do not resume. */
  readonly clientCertificateRequired: boolean;
  /** The application's say on each ticket, by its app data (TlsServerConfig.acceptTicket). */
  readonly acceptTicket: ((appData: Uint8Array) => boolean) | undefined;
}

/**
 * The first of the client's PSKs that we issued, is still live, fits the suite's hash and the
 * SNI, with its binder verified (a bad binder is decrypt_error, §4.2.11). null: full handshake.
 * `transcript` holds what precedes this ClientHello (empty, or message_hash + HRR).
 */
export function acceptPsk(
  offer: ClientOffer,
  raw: Uint8Array,
  suite: CipherSuite,
  transcript: Transcript,
  policy: PskPolicy,
): AcceptedPsk | null {
  const psks = offer.psks;
  if (psks === null) return null;
  // We implement psk_dhe_ke only (§4.2.9).
  if (!offer.pskModes!.includes(PskMode.psk_dhe_ke)) return null;
  const n = Math.min(psks.identities.length, MAX_IDENTITIES_TRIED);
  for (let index = 0; index < n; index++) {
    const id = psks.identities[index]!;
    const sealed = policy.ticketKeys.open(id.identity, policy.now);
    const state = sealed === null ? null : decodeServerTicketState(sealed);
    if (state === null) continue;
    const ticketSuite = cipherSuiteByCode(state.suite);
    if (ticketSuite === undefined || ticketSuite.hash !== suite.hash) continue;
    const age = policy.now - state.issuedAt;
    if (age < 0 || age >= state.lifetime * 1000) continue;
    if (state.serverName !== (offer.serverName ?? '')) continue;
    if (policy.clientCertificateRequired && state.clientCertificate.length === 0) continue;
    if (policy.acceptTicket !== undefined && !policy.acceptTicket(state.appData)) continue;
    // §4.2.11.2: the binder MACs the ClientHello truncated before the binders list.
    const truncated = raw.subarray(0, raw.length - psks.bindersLength);
    const schedule = new KeySchedule(policy.provider, suite.hash, state.psk);
    const expected = schedule.verifyData(
      schedule.binderKey(),
      transcript.hashWith(suite.hash, truncated),
    );
    if (!constantTimeEqual(expected, psks.binders[index]!)) {
      throw alert('decrypt_error', 'PSK binder does not verify');
    }
    return { index, state, obfuscatedTicketAge: id.obfuscatedTicketAge, schedule };
  }
  return null;
}

export interface EarlyDataPolicy {
  readonly enabled: boolean;
  readonly retried: boolean;
  readonly suite: CipherSuite;
  readonly alpn: string;
  readonly now: number;
  readonly maxAgeSkew: number;
  readonly accept: ((appData: Uint8Array, info: EarlyDataInfo) => boolean) | undefined;
  readonly serverName: string | null;
}

/** Until when a ClientHello accepted with `psk` could still pass the ticket-age check (§8.3). */
export function earlyDataWindowEnd(psk: AcceptedPsk, maxAgeSkew: number): number {
  const clientAge = (psk.obfuscatedTicketAge - psk.state.ageAdd) >>> 0;
  return psk.state.issuedAt + clientAge + maxAgeSkew;
}

/** Whether to accept the client's 0-RTT (RFC 8446 §4.2.10, RFC 9001 §4.6.2). */
export function acceptEarlyData(
  offer: ClientOffer,
  psk: AcceptedPsk,
  policy: EarlyDataPolicy,
): boolean {
  if (!offer.earlyData || !policy.enabled || policy.retried) return false;
  // The first identity, with the ticket's exact suite and protocol.
  if (psk.index !== 0 || psk.state.maxEarlyData === 0) return false;
  if (psk.state.suite !== policy.suite.code || psk.state.alpn !== policy.alpn) return false;
  // §8.3: the client's view of the ticket age must match ours within the allowed skew.
  const clientAge = (psk.obfuscatedTicketAge - psk.state.ageAdd) >>> 0;
  const serverAge = policy.now - psk.state.issuedAt;
  if (Math.abs(clientAge - serverAge) > policy.maxAgeSkew) return false;
  const info = { serverName: policy.serverName, alpn: policy.alpn };
  return policy.accept === undefined || policy.accept(psk.state.appData, info);
}

export interface TicketParams {
  readonly ticketKeys: TicketKeys;
  readonly schedule: KeySchedule;
  readonly resumptionMasterSecret: Uint8Array;
  readonly suite: CipherSuite;
  readonly now: number;
  readonly lifetime: number;
  readonly earlyData: boolean;
  readonly alpn: string;
  readonly serverName: string | null;
  readonly clientCertificate: Uint8Array | undefined;
  readonly appData: Uint8Array;
  readonly random: (n: number) => Uint8Array;
}

/** One NewSessionTicket message with a sealed, stateless ticket (§4.6.1). */
export function newSessionTicket(p: TicketParams, nonce: Uint8Array): Uint8Array {
  const r = p.random(4);
  const ageAdd = ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0;
  const maxEarlyData = p.earlyData ? 0xffffffff : 0;
  const state = encodeServerTicketState({
    suite: p.suite.code,
    psk: p.schedule.resumptionPsk(p.resumptionMasterSecret, nonce),
    issuedAt: p.now,
    ageAdd,
    lifetime: p.lifetime,
    maxEarlyData,
    alpn: p.alpn,
    serverName: p.serverName ?? '',
    clientCertificate: p.clientCertificate ?? new Uint8Array(0),
    appData: p.appData,
  });
  return encodeNewSessionTicket({
    lifetime: p.lifetime,
    ageAdd,
    nonce,
    ticket: p.ticketKeys.seal(state, p.now),
    // RFC 9001 §4.6.1: a QUIC server that allows 0-RTT sends max_early_data_size 0xffffffff.
    extensions: p.earlyData ? [{ type: X.early_data, data: encodeMaxEarlyData(maxEarlyData) }] : [],
  });
}
