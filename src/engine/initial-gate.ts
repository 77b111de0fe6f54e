/**
 * The server's gate for a new client's Initial (RFC 9000 §8.1): what its address-validation
 * token proves, and whether the client is accepted, refused, asked for a Retry or dropped, from
 * the flood defence (admission.ts), the connection limit and the host's accept hook. It keeps
 * no state of its own: the engine (engine.ts) holds the token sealer and admission control and
 * acts on the verdict.
 */
import type { ClientHelloPeek } from '../tls/client-hello-peek.js';
import type { SocketAddress } from '../util/address.js';
import type { LongHeader } from '../wire/header.js';
import type { Admission } from './admission.js';
import type { AcceptDecision, ServerConfig } from './config.js';
import type { TokenCheck } from './tokens.js';

/** What a client's Initial token establishes. */
export type TokenVerdict =
  /** A Retry token of another version, or none that counts: the Initial is dropped. */
  | { kind: 'drop' }
  /** A token claiming to be a Retry's that does not open: INVALID_TOKEN (RFC 9000 §8.1.2). */
  | { kind: 'invalid_retry' }
  | {
      kind: 'checked';
      /** The client's address is validated (a Retry token, or a NEW_TOKEN of this version). */
      validated: boolean;
      /** The DCID of the client's first Initial (before any Retry). */
      originalDcid: Uint8Array;
      /** The SCID of the Retry the client answered, when it did. */
      retrySourceCid: Uint8Array | undefined;
    };

/**
 * Reads `check`, the token sealer's view of Initial `h`'s token (null: it has none), for a
 * connection in `version` whose ClientHello start is `hello`.
 */
export function tokenVerdict(
  h: LongHeader,
  check: TokenCheck | null,
  hello: ClientHelloPeek | null,
  version: number,
): TokenVerdict {
  const unvalidated: TokenVerdict = {
    kind: 'checked',
    validated: false,
    originalDcid: h.dcid.slice(),
    retrySourceCid: undefined,
  };
  if (check === null) return unvalidated;
  if (check.kind === 'retry') {
    // RFC 9369 §4.1: the Initial that answers a Retry keeps the Retry's version.
    if (check.version !== h.version) return { kind: 'drop' };
    return {
      kind: 'checked',
      validated: true,
      originalDcid: check.contents.originalDcid,
      retrySourceCid: check.contents.retryScid,
    };
  }
  if (check.kind === 'new_token') {
    // RFC 9369 §5: a token of another version leaves the address unvalidated. A packet
    // without the ClientHello's start cannot tell the version, so its token does not count
    // (the later packets of a first flight answered with Retry would start a connection).
    return { ...unvalidated, validated: hello !== null && check.version === version };
  }
  // RFC 9000 §8.1.2: a bad Retry token closes with INVALID_TOKEN.
  return check.claimedRetry ? { kind: 'invalid_retry' } : unvalidated;
}

/**
 * What becomes of a client whose token was checked: `admission` is the flood defence's word for
 * an unvalidated client (admission.ts), `full` whether the engine holds its most connections.
 */
export function acceptDecision(
  server: ServerConfig,
  remote: SocketAddress,
  validated: boolean,
  hello: ClientHelloPeek | null,
  admission: Admission,
  full: boolean,
): AcceptDecision {
  let decision: AcceptDecision = server.accept
    ? server.accept(remote, validated, hello)
    : server.retry && !validated
      ? 'retry'
      : 'accept';
  // Under pressure an unvalidated client proves its address first (RFC 9000 §8.1.2).
  if (decision === 'accept' && admission === 'retry') decision = 'retry';
  if (full) decision = 'refuse';
  return decision;
}
