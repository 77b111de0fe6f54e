/**
 * Certificate path validation for TLS (RFC 5280 §6.1, reduced to what TLS peers need): build a
 * path from the leaf through the presented certificates to a trust anchor, checking each
 * signature, then validity dates, CA constraints (basicConstraints, pathLenConstraint,
 * keyUsage), the leaf's usage for the purpose, and the server name (RFC 6125 via hostname.ts).
 *
 * The peer's certificates after the leaf may come in any order and may include the root
 * (RFC 8446 §4.4.2). A trust anchor's own dates and extensions are configuration, not checked,
 * except that an anchor that issues certificates must not say it is not a CA.
 */
import type { CryptoProvider } from '../../crypto/provider.js';
import { bytesEqual } from '../../util/bytes.js';
import { parseCertificate } from './certificate.js';
import { CertificateParseError, certificateError } from './errors.js';
import { certificateMatchesName, describeNames } from './hostname.js';
import { schemeForCertificate } from './signature-algorithm.js';
import {
  parsePresentedCertificate,
  rememberVerifiedSignature,
  signatureVerifiedBefore,
} from './presented.js';
import type { Certificate, CertificateError, VerifyChainOptions } from './types.js';

const DEFAULT_MAX_DEPTH = 10;

/** ISO 8601 without milliseconds: "2025-01-01T00:00:00Z". */
function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function who(cert: Certificate, depth: number): string {
  return depth === 0 ? 'certificate' : `intermediate certificate '${cert.subject.text}'`;
}

/** Checks that `issuer` signed `cert`; returns the failure, or null. */
function checkSignature(
  provider: Pick<CryptoProvider, 'verify'>,
  cert: Certificate,
  depth: number,
  issuer: Certificate,
): CertificateError | null {
  const scheme = schemeForCertificate(cert.signatureAlgorithm, issuer.keyType);
  if (scheme === 'sha1') {
    return certificateError(
      'unsupported_certificate',
      depth,
      `${who(cert, depth)} is signed with SHA-1 (${cert.signatureAlgorithm.name}), which is not accepted`,
    );
  }
  if (scheme === null) {
    const key = issuer.keyType ?? issuer.keyAlgorithm;
    return certificateError(
      'unsupported_certificate',
      depth,
      `${who(cert, depth)} uses an unsupported signature algorithm (${cert.signatureAlgorithm.name} with a ${key} issuer key)`,
    );
  }
  if (signatureVerifiedBefore(provider, cert, issuer)) return null;
  if (!provider.verify(scheme, issuer.spki, cert.tbs, cert.signature)) {
    return certificateError(
      'bad_signature',
      depth,
      `${who(cert, depth)} has a bad signature (issuer '${issuer.subject.text}')`,
    );
  }
  rememberVerifiedSignature(provider, cert, issuer);
  return null;
}

interface PathEntry {
  cert: Certificate;
  /** Index in the presented chain; -1 for a trust anchor not presented. */
  depth: number;
  anchor: boolean;
}

/** Builds leaf → ... → anchor. Returns the path or why none exists. */
function buildPath(
  provider: Pick<CryptoProvider, 'verify'>,
  chain: Certificate[],
  anchors: Certificate[],
  maxDepth: number,
): PathEntry[] | CertificateError {
  const path: PathEntry[] = [];
  const used = new Set<number>([0]);
  let current: PathEntry = { cert: chain[0]!, depth: 0, anchor: false };
  for (;;) {
    const cert = current.cert;
    // A presented certificate that is itself a trust anchor ends the path (this is how a
    // self-signed leaf is accepted: only when it is configured as trusted).
    if (anchors.some((a) => bytesEqual(a.der, cert.der))) {
      path.push({ ...current, anchor: true });
      return path;
    }
    path.push(current);
    if (path.length >= maxDepth) {
      return certificateError(
        'unknown_ca',
        current.depth,
        `certificate chain is longer than ${maxDepth}`,
      );
    }
    if (cert.selfIssued) {
      return certificateError(
        'unknown_ca',
        current.depth,
        current.depth === 0
          ? `self-signed certificate '${cert.subject.text}' is not trusted`
          : `certificate chain ends at '${cert.subject.text}', which is not a trust anchor`,
      );
    }
    let failure: CertificateError | null = null;
    for (const anchor of anchors) {
      if (!bytesEqual(anchor.subject.der, cert.issuer.der)) continue;
      const err = checkSignature(provider, cert, current.depth, anchor);
      if (err === null) {
        path.push({ cert: anchor, depth: -1, anchor: true });
        return path;
      }
      failure ??= err;
    }
    let next: PathEntry | null = null;
    for (let i = 1; i < chain.length && next === null; i++) {
      const candidate = chain[i]!;
      if (used.has(i) || !bytesEqual(candidate.subject.der, cert.issuer.der)) continue;
      const err = checkSignature(provider, cert, current.depth, candidate);
      if (err === null) {
        used.add(i);
        next = { cert: candidate, depth: i, anchor: false };
      } else {
        failure ??= err;
      }
    }
    if (next === null) {
      return (
        failure ??
        certificateError(
          'unknown_ca',
          current.depth,
          `${who(cert, current.depth)} is issued by '${cert.issuer.text}', which is not a trusted CA`,
        )
      );
    }
    current = next;
  }
}

function checkDates(entry: PathEntry, now: number): CertificateError | null {
  const { cert, depth } = entry;
  if (now > cert.notAfter) {
    return certificateError(
      'expired',
      depth,
      `${who(cert, depth)} has expired (notAfter ${isoTime(cert.notAfter)})`,
    );
  }
  if (now < cert.notBefore) {
    return certificateError(
      'not_yet_valid',
      depth,
      `${who(cert, depth)} is not yet valid (notBefore ${isoTime(cert.notBefore)})`,
    );
  }
  return null;
}

/** RFC 5280 §6.1.4 (k), (l), (n): may `entry` issue certificates, `below` CAs under it? */
function checkIssuer(entry: PathEntry, below: number): CertificateError | null {
  const { cert, depth } = entry;
  const name = entry.anchor
    ? `trust anchor '${cert.subject.text}'`
    : `intermediate certificate '${cert.subject.text}'`;
  const bc = cert.basicConstraints;
  // A v1 trust anchor has no extensions at all and is trusted as configured.
  const legacyAnchor = entry.anchor && cert.version < 3;
  if (!legacyAnchor && (bc === null || !bc.cA)) {
    return certificateError(
      'unknown_ca',
      depth,
      `${name} is not a CA (basicConstraints cA is not set)`,
    );
  }
  if (bc !== null && bc.pathLen !== null && below > bc.pathLen) {
    return certificateError(
      'unknown_ca',
      depth,
      `${name} allows ${bc.pathLen} intermediate CAs below it, the chain has ${below}`,
    );
  }
  if (cert.keyUsage !== null && !cert.keyUsage.keyCertSign) {
    return certificateError(
      'unknown_ca',
      depth,
      `${name} may not sign certificates (keyUsage lacks keyCertSign)`,
    );
  }
  return null;
}

function checkPurpose(entry: PathEntry, purpose: 'server' | 'client'): CertificateError | null {
  const eku = entry.cert.extendedKeyUsage;
  if (eku === null || eku.any || (purpose === 'server' ? eku.serverAuth : eku.clientAuth))
    return null;
  return certificateError(
    'unsupported_certificate',
    entry.depth,
    `${who(entry.cert, entry.depth)} is not valid for ${purpose} authentication (extendedKeyUsage)`,
  );
}

function checkLeaf(leaf: Certificate): CertificateError | null {
  if (leaf.keyType === null) {
    return certificateError(
      'unsupported_certificate',
      0,
      `certificate has an unsupported public key (${leaf.keyAlgorithm})`,
    );
  }
  if (leaf.keyUsage !== null && !leaf.keyUsage.digitalSignature) {
    return certificateError(
      'unsupported_certificate',
      0,
      'certificate keyUsage does not allow digitalSignature',
    );
  }
  return null;
}

/**
 * Parsed trust anchors, by buffer identity: the same anchor list serves every handshake, and a
 * CA bundle can hold a hundred certificates or more.
 */
const anchorCache = new WeakMap<Uint8Array, Certificate>();

function parseAnchor(der: Uint8Array, index: number): Certificate {
  let cert = anchorCache.get(der);
  if (cert === undefined) {
    try {
      cert = parseCertificate(der);
    } catch (e) {
      throw new TypeError(
        `trust anchor ${index} is not a valid certificate: ${(e as Error).message}`,
      );
    }
    anchorCache.set(der, cert);
  }
  return cert;
}

/**
 * Verifies a peer's certificate chain (DER, leaf first). Returns null when it is valid for
 * `opts.purpose` (and `opts.serverName`) at `opts.now`, else the first problem found. Throws
 * TypeError only for a malformed trust anchor, which is a configuration mistake. `parsed.leaf`
 * receives the leaf as parsed here when the chain is valid, so that a caller that needs its key
 * does not parse it again.
 */
export function verifyCertificateChain(
  provider: Pick<CryptoProvider, 'verify'>,
  chain: readonly Uint8Array[],
  opts: VerifyChainOptions,
  parsed?: { leaf: Certificate | null },
): CertificateError | null {
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (chain.length === 0) {
    return certificateError('bad_certificate', 0, 'no certificate was presented');
  }
  if (chain.length > maxDepth) {
    return certificateError(
      'bad_certificate',
      maxDepth,
      `certificate chain has ${chain.length} certificates, more than ${maxDepth}`,
    );
  }
  const anchors = opts.trustAnchors.map(parseAnchor);
  const certs: Certificate[] = [];
  for (let i = 0; i < chain.length; i++) {
    try {
      certs.push(parsePresentedCertificate(chain[i]!));
    } catch (e) {
      if (!(e instanceof CertificateParseError)) throw e;
      const which = i === 0 ? 'certificate' : `certificate ${i} of the chain`;
      return certificateError('bad_certificate', i, `${which} is malformed (${e.detail})`);
    }
  }

  const path = buildPath(provider, certs, anchors, maxDepth);
  if (!Array.isArray(path)) return path;

  for (let i = 0; i < path.length; i++) {
    const entry = path[i]!;
    if (entry.anchor && i > 0) {
      const err = checkIssuer(entry, i - 1);
      if (err !== null) return err;
      continue;
    }
    // From here on: a presented certificate (a leaf that is itself an anchor included).
    if (entry.cert.unhandledCriticalExtensions.length > 0) {
      return certificateError(
        'unsupported_certificate',
        entry.depth,
        `${who(entry.cert, entry.depth)} has an unsupported critical extension (${entry.cert.unhandledCriticalExtensions.join(', ')})`,
      );
    }
    const err =
      checkDates(entry, opts.now) ??
      (i > 0 ? checkIssuer(entry, i - 1) : null) ??
      checkPurpose(entry, opts.purpose);
    if (err !== null) return err;
  }

  const leaf = certs[0]!;
  const leafErr = checkLeaf(leaf);
  if (leafErr !== null) return leafErr;
  if (opts.serverName !== undefined && !certificateMatchesName(leaf, opts.serverName)) {
    return certificateError(
      'hostname_mismatch',
      0,
      `host name '${opts.serverName}' does not match the certificate (${describeNames(leaf)})`,
    );
  }
  if (parsed !== undefined) parsed.leaf = leaf;
  return null;
}
