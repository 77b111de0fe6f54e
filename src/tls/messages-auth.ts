/**
 * The messages after the Hellos: EncryptedExtensions (RFC 8446 §4.3.1), CertificateRequest
 * (§4.3.2), Certificate (§4.4.2), CertificateVerify (§4.4.3), Finished (§4.4.4) and
 * NewSessionTicket (§4.6.1). Decoders take the body; encoders return the whole message.
 */
import { Reader } from '../util/cursor.js';
import { alert } from './alert.js';
import { HandshakeType } from './constants.js';
import { expectEnd } from './extension-codecs.js';
import { type Extension, readExtensions, writeExtensions } from './extensions.js';
import { encodeHandshake } from './messages.js';

// --- EncryptedExtensions -----------------------------------------------------------------------

export function decodeEncryptedExtensions(body: Uint8Array): Extension[] {
  const r = new Reader(body);
  const extensions = readExtensions(r, 'EE');
  expectEnd(r, 'EncryptedExtensions');
  return extensions;
}

export function encodeEncryptedExtensions(extensions: readonly Extension[]): Uint8Array {
  return encodeHandshake(HandshakeType.encrypted_extensions, (w) => writeExtensions(w, extensions));
}

// --- CertificateRequest ------------------------------------------------------------------------

export interface CertificateRequest {
  readonly context: Uint8Array;
  readonly extensions: readonly Extension[];
}

export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new Reader(body);
  const context = r.vec(1);
  const extensions = readExtensions(r, 'CR');
  expectEnd(r, 'CertificateRequest');
  return { context, extensions };
}

export function encodeCertificateRequest(cr: CertificateRequest): Uint8Array {
  return encodeHandshake(HandshakeType.certificate_request, (w) => {
    w.vec(1, cr.context);
    writeExtensions(w, cr.extensions);
  });
}

// --- Certificate -------------------------------------------------------------------------------

export interface CertificateEntry {
  /** One DER X.509 certificate (certificate_type X509, the default). */
  readonly data: Uint8Array;
  readonly extensions: readonly Extension[];
}

export interface CertificateMessage {
  readonly context: Uint8Array;
  readonly entries: readonly CertificateEntry[];
}

export function decodeCertificate(body: Uint8Array): CertificateMessage {
  const r = new Reader(body);
  const context = r.vec(1);
  const list = r.sub(r.u24());
  expectEnd(r, 'Certificate');
  const entries: CertificateEntry[] = [];
  while (list.remaining > 0) {
    const data = list.vec(3);
    if (data.length === 0) throw alert('decode_error', 'Certificate: empty cert_data');
    entries.push({ data, extensions: readExtensions(list, 'CT') });
  }
  return { context, entries };
}

export function encodeCertificate(cert: CertificateMessage): Uint8Array {
  let size = 16;
  for (const e of cert.entries) size += e.data.length + 8;
  return encodeHandshake(
    HandshakeType.certificate,
    (w) => {
      w.vec(1, cert.context);
      w.lengthPrefixed(3, () => {
        for (const e of cert.entries) {
          w.vec(3, e.data);
          writeExtensions(w, e.extensions);
        }
      });
    },
    size,
  );
}

// --- CertificateVerify -------------------------------------------------------------------------

export interface CertificateVerify {
  readonly scheme: number;
  readonly signature: Uint8Array;
}

export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new Reader(body);
  const scheme = r.u16();
  const signature = r.vec(2);
  expectEnd(r, 'CertificateVerify');
  return { scheme, signature };
}

export function encodeCertificateVerify(cv: CertificateVerify): Uint8Array {
  return encodeHandshake(HandshakeType.certificate_verify, (w) =>
    w.u16(cv.scheme).vec(2, cv.signature),
  );
}

// --- Finished ----------------------------------------------------------------------------------

/** The verify_data, whose length is the hash length of the suite (§4.4.4). */
export function decodeFinished(body: Uint8Array, hashLength: number): Uint8Array {
  if (body.length !== hashLength) throw alert('decode_error', 'Finished: wrong length');
  return body;
}

export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  return encodeHandshake(HandshakeType.finished, (w) => w.bytes(verifyData), verifyData.length + 4);
}

// --- NewSessionTicket --------------------------------------------------------------------------

export interface NewSessionTicket {
  /** Seconds; at most 604800 (§4.6.1). */
  readonly lifetime: number;
  readonly ageAdd: number;
  readonly nonce: Uint8Array;
  readonly ticket: Uint8Array;
  readonly extensions: readonly Extension[];
}

export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body);
  const lifetime = r.u32();
  const ageAdd = r.u32();
  const nonce = r.vec(1);
  const ticket = r.vec(2);
  if (ticket.length === 0) throw alert('decode_error', 'NewSessionTicket: empty ticket');
  const extensions = readExtensions(r, 'NST');
  expectEnd(r, 'NewSessionTicket');
  return { lifetime, ageAdd, nonce, ticket, extensions };
}

export function encodeNewSessionTicket(nst: NewSessionTicket): Uint8Array {
  return encodeHandshake(
    HandshakeType.new_session_ticket,
    (w) => {
      w.u32(nst.lifetime).u32(nst.ageAdd).vec(1, nst.nonce).vec(2, nst.ticket);
      writeExtensions(w, nst.extensions);
    },
    nst.ticket.length + 32,
  );
}
