/**
 * The shapes of the certificate API: a parsed X.509 v3 certificate (RFC 5280 §4.1), the result
 * of chain verification, and the options of the certificate maker.
 */
import type {
  CryptoProvider,
  KeyType,
  SignatureScheme,
  SigningKey,
} from '../../crypto/provider.js';

/** A Name (RFC 5280 §4.1.2.4): the raw DER, compared byte for byte, and a readable form. */
export interface DistinguishedName {
  /** The whole Name SEQUENCE as DER. */
  readonly der: Uint8Array;
  /** RFC 4514-like text in encoding order, e.g. "C=US, O=Example, CN=example.com". */
  readonly text: string;
  /** The first commonName value, if any. */
  readonly commonName: string | null;
}

/** subjectAltName entries tsquic matches (RFC 5280 §4.2.1.6). */
export interface SubjectAltName {
  /** dNSName entries as written (IA5String). */
  readonly dnsNames: readonly string[];
  /** iPAddress entries in canonical text: dotted quad, or RFC 5952 compressed IPv6. */
  readonly ipAddresses: readonly string[];
}

/** basicConstraints (RFC 5280 §4.2.1.9). */
export interface BasicConstraints {
  readonly cA: boolean;
  /** pathLenConstraint, or null when absent (no limit). */
  readonly pathLen: number | null;
}

/** keyUsage bits (RFC 5280 §4.2.1.3). */
export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly nonRepudiation: boolean;
  readonly keyEncipherment: boolean;
  readonly dataEncipherment: boolean;
  readonly keyAgreement: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
  readonly encipherOnly: boolean;
  readonly decipherOnly: boolean;
}

/** extendedKeyUsage (RFC 5280 §4.2.1.12). */
export interface ExtendedKeyUsage {
  readonly serverAuth: boolean;
  readonly clientAuth: boolean;
  /** anyExtendedKeyUsage (2.5.29.37.0) is listed. */
  readonly any: boolean;
  /** Every KeyPurposeId as a dotted OID. */
  readonly oids: readonly string[];
}

/** The signature algorithm of a certificate (RFC 5280 §4.1.1.2). */
export interface CertificateSignatureAlgorithm {
  /** Dotted OID, e.g. "1.2.840.10045.4.3.2" (ecdsa-with-SHA256). */
  readonly oid: string;
  /** A readable name ("ecdsa-with-SHA256", "rsassa-pss-sha256", ...), or the OID. */
  readonly name: string;
  /** The hash it uses, when tsquic knows the algorithm; 'sha1' is never accepted. */
  readonly hash: 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'none' | null;
  /** Family of the signing key the algorithm needs. */
  readonly family: 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'ed25519' | null;
}

export interface Certificate {
  /** The whole certificate DER. */
  readonly der: Uint8Array;
  /** The tbsCertificate DER, the bytes the issuer signed. */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3. */
  readonly version: number;
  /** serialNumber content octets (two's complement, as encoded). */
  readonly serial: Uint8Array;
  /** serialNumber as lowercase hex of the content octets. */
  readonly serialHex: string;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  /** Validity, milliseconds since the Unix epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** subjectPublicKeyInfo DER, usable with CryptoProvider.verify. */
  readonly spki: Uint8Array;
  /** The key type, or null when tsquic does not support the key's algorithm or curve. */
  readonly keyType: KeyType | null;
  /** The SPKI algorithm OID (and curve OID for EC keys), for messages about unsupported keys. */
  readonly keyAlgorithm: string;
  readonly signatureAlgorithm: CertificateSignatureAlgorithm;
  /** The signatureValue BIT STRING contents. */
  readonly signature: Uint8Array;
  readonly subjectAltName: SubjectAltName | null;
  readonly basicConstraints: BasicConstraints | null;
  readonly keyUsage: KeyUsage | null;
  readonly extendedKeyUsage: ExtendedKeyUsage | null;
  /** OIDs of critical extensions tsquic does not understand; chains with any are rejected. */
  readonly unhandledCriticalExtensions: readonly string[];
  /** True when issuer equals subject (by DER). */
  readonly selfIssued: boolean;
}

export type CertificateErrorKind =
  | 'unknown_ca'
  | 'expired'
  | 'not_yet_valid'
  | 'hostname_mismatch'
  | 'bad_signature'
  | 'bad_certificate'
  | 'unsupported_certificate';

/** Why a chain was refused. */
export interface CertificateError {
  readonly kind: CertificateErrorKind;
  /** The TLS alert to send (RFC 8446 §6.2): 42, 43, 45 or 48. */
  readonly alert: number;
  /** One line for logs and close reasons. */
  readonly message: string;
  /** Index in the presented chain of the certificate at fault (0 = leaf); -1 for a trust anchor. */
  readonly depth: number;
}

export interface VerifyChainOptions {
  /** Trusted root (or any trusted) certificates, DER. */
  readonly trustAnchors: readonly Uint8Array[];
  /** The name the client asked for (SNI): a DNS name or an IP literal. Omit to skip the check. */
  readonly serverName?: string;
  /** Current time, milliseconds since the Unix epoch. */
  readonly now: number;
  /** Which extendedKeyUsage the leaf must allow, when it lists any. */
  readonly purpose: 'server' | 'client';
  /** Longest accepted path, leaf and anchor included (default 10). */
  readonly maxDepth?: number;
}

export interface CertificateOptions {
  /** DNS names and IP literals for subjectAltName; the first is also the subject CN. */
  readonly names: readonly string[];
  /** Key type to generate (default 'ec-p256'); ignored when `pkcs8` is given. */
  readonly keyType?: KeyType;
  /** RSA modulus size when generating an RSA key (default 2048). */
  readonly rsaBits?: number;
  /** Use this PKCS#8 private key instead of generating one. */
  readonly pkcs8?: Uint8Array;
  /** Subject commonName (default: names[0], or "tsquic" when names is empty). */
  readonly commonName?: string;
  /** Validity start, ms since the epoch (default: one hour before the current wall clock). */
  readonly notBefore?: number;
  /** Validity end, ms since the epoch (default: notBefore + 365 days). */
  readonly notAfter?: number;
  /** Sign with this CA instead of self-signing. */
  readonly issuer?: { readonly cert: Uint8Array; readonly key: SigningKey };
  /** Make a CA certificate (cA TRUE, keyCertSign, no extendedKeyUsage). */
  readonly isCA?: boolean;
  /** pathLenConstraint for a CA certificate. */
  readonly pathLen?: number;
}

/**
 * A certificate made by `createSelfSignedCertificate`. In tsquic's vocabulary `cert` is
 * certificate bytes (DER here; PEM or DER in `tsquic/node` options) and `certificate` is a chain
 * with its private key, `{ chain, key }`: this result is one too, so it can be given as a
 * server's (or a client's) `certificate` as it is.
 */
export interface CertifiedKeyPair {
  /** The certificate, DER. */
  readonly cert: Uint8Array;
  /** `[cert]`: the chain a peer receives (a self-signed or CA-signed leaf alone). */
  readonly chain: Uint8Array[];
  readonly key: SigningKey;
  /** The private key as PKCS#8 DER. */
  readonly pkcs8: Uint8Array;
  /** @deprecated The certificate DER: use `cert` (`certificate` is a `{ chain, key }` pair). */
  readonly certificate: Uint8Array;
}

/** The parts of a CryptoProvider the certificate maker needs. */
export type CertificateMakerProvider = Pick<
  CryptoProvider,
  'random' | 'generateSigningKey' | 'importSigningKey'
>;

export type { KeyType, SignatureScheme, SigningKey };
