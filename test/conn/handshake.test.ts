import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import type { ConnectionContext } from '../../src/conn/context.js';
import {
  buildLocalParams,
  ConnectionTlsCallbacks,
  discardSpace,
} from '../../src/conn/handshake.js';
import { resolveOptions } from '../../src/conn/options.js';
import { SpaceState } from '../../src/conn/space.js';
import { VersionNegotiation } from '../../src/conn/version-negotiation.js';
import { Level } from '../../src/tls/types.js';
import { cryptoError, QuicError, TransportError } from '../../src/wire/errors.js';
import {
  defaultTransportParameters,
  encodeTransportParameters,
  type TransportParameters,
} from '../../src/wire/transport-params.js';

const V1 = 0x00000001;
const ODCID = new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1]);
const SERVER_SCID = new Uint8Array([2, 2, 2, 2, 2, 2, 2, 2]);
const CLIENT_SCID = new Uint8Array([3, 3, 3, 3, 3, 3, 3, 3]);
const RESET_TOKEN = new Uint8Array(16).fill(9);

/** A connection as the TLS callbacks see it, recording what they do to it. */
function fakeConnection(isClient: boolean) {
  const calls: string[] = [];
  return {
    calls,
    isClient,
    version: V1,
    versionNegotiation: new VersionNegotiation(isClient, V1, [V1], 0),
    opts: resolveOptions({ alpn: ['t'], greaseQuicBit: true }),
    host: { localCidLength: 8 },
    originalDcid: ODCID,
    serverInitialScid: SERVER_SCID as Uint8Array | null,
    retryScid: null as Uint8Array | null,
    peerParams: null as TransportParameters | null,
    token: new Uint8Array([7]),
    spaces: [
      new SpaceState(PnSpace.Initial, 25_000),
      new SpaceState(PnSpace.Handshake, 25_000),
      new SpaceState(PnSpace.Application, 25_000),
    ] as [SpaceState, SpaceState, SpaceState],
    quicBit: { enabled: false },
    wakes: 0,
    wake() {
      this.wakes++;
    },
    streams: { setPeerTransportParams: () => calls.push('stream limits') },
    path: {
      sendControl: {
        setPeerMaxAckDelay: (us: number) => calls.push(`max ack delay ${us}us`),
        discardSpace: (s: PnSpace, now: number) => calls.push(`recovery drops ${s} at ${now}`),
      },
    },
    keys: { discard: (s: PnSpace) => calls.push(`keys drop ${s}`) },
    ackFrequency: { onPeerParams: () => calls.push('ack frequency') },
    peerCids: {
      current: { cid: CLIENT_SCID },
      setInitialResetToken: (t: Uint8Array) => calls.push(`reset token ${t[0]}`),
    },
    onPeerResetTokens: () => calls.push('reset tokens'),
    qlog: undefined,
  };
}
type Fake = ReturnType<typeof fakeConnection>;
const ctx = (c: Fake) => c as unknown as ConnectionContext;

/** A server's transport parameters that authenticate the CIDs of `fakeConnection(true)`. */
function serverParams(): TransportParameters {
  const p = defaultTransportParameters();
  p.originalDestinationConnectionId = ODCID;
  p.initialSourceConnectionId = SERVER_SCID;
  p.statelessResetToken = RESET_TOKEN;
  p.maxAckDelay = 30;
  p.greaseQuicBit = true;
  return p;
}

/** Delivers `p` (from the peer of `conn`) and returns the error the callback threw, if any. */
function deliver(cb: ConnectionTlsCallbacks, bytes: Uint8Array): unknown {
  try {
    cb.onPeerTransportParameters(bytes);
    return null;
  } catch (e) {
    return e;
  }
}

describe('conn/handshake: the TLS callbacks and transport parameters (RFC 9001 §4, RFC 9000 §7)', () => {
  describe('buildLocalParams (RFC 9000 §18.2)', () => {
    const init = {
      localCid: SERVER_SCID,
      localResetToken: RESET_TOKEN,
      originalDcid: ODCID,
      retrySourceCid: CLIENT_SCID,
    };

    it('a server authenticates the CIDs of the exchange (RFC 9000 §7.3)', () => {
      const p = buildLocalParams(ctx(fakeConnection(false)), init);
      assert.deepEqual(p.initialSourceConnectionId, SERVER_SCID);
      assert.deepEqual(p.originalDestinationConnectionId, ODCID);
      assert.deepEqual(p.retrySourceConnectionId, CLIENT_SCID);
      assert.deepEqual(p.statelessResetToken, RESET_TOKEN);
      assert.equal(p.versionInformation?.chosenVersion, V1);
    });

    it('a client sends none of the server-only parameters (RFC 9000 §18.2)', () => {
      const conn = fakeConnection(true);
      const p = buildLocalParams(ctx(conn), init);
      assert.deepEqual(p.initialSourceConnectionId, SERVER_SCID);
      assert.equal(p.originalDestinationConnectionId, undefined);
      assert.equal(p.retrySourceConnectionId, undefined);
      assert.equal(p.statelessResetToken, undefined);
      assert.equal(p.preferredAddress, undefined);
      assert.equal(p.maxIdleTimeout, conn.opts.idleTimeoutMs);
      assert.equal(p.initialMaxData, conn.opts.initialMaxData);
    });
  });

  describe("the peer's transport parameters", () => {
    it('valid ones are applied: limits, max_ack_delay, reset token, QUIC bit (RFC 9287 §3)', () => {
      const conn = fakeConnection(true);
      const cb = new ConnectionTlsCallbacks(ctx(conn));
      cb.driving = true;
      assert.equal(deliver(cb, encodeTransportParameters(serverParams(), 'server')), null);
      assert.equal(cb.paramsReceived, true);
      assert.equal(cb.hasOutcome, true);
      assert.equal(cb.alert, null);
      assert.deepEqual(conn.peerParams?.initialSourceConnectionId, SERVER_SCID);
      assert.equal(conn.quicBit.enabled, true);
      assert.deepEqual(conn.calls, [
        'stream limits',
        'max ack delay 30000us',
        'ack frequency',
        'reset token 9',
        'reset tokens',
      ]);
      assert.equal(conn.wakes, 0, 'no wake while the connection drives the session');
    });

    it('an original_destination_connection_id that does not match is TRANSPORT_PARAMETER_ERROR (RFC 9000 §7.3)', () => {
      const conn = fakeConnection(true);
      const cb = new ConnectionTlsCallbacks(ctx(conn));
      const p = serverParams();
      p.originalDestinationConnectionId = new Uint8Array([1, 1, 1, 1, 1, 1, 1, 2]);
      const e = deliver(cb, encodeTransportParameters(p, 'server'));
      assert.ok(e instanceof QuicError, 'the callback fails the TLS handshake');
      assert.equal(cb.alert?.code, TransportError.TRANSPORT_PARAMETER_ERROR);
      assert.equal(cb.paramsReceived, false);
      assert.equal(conn.peerParams, null, 'nothing of them is applied');
      assert.deepEqual(conn.calls, []);
      assert.equal(conn.wakes, 1, 'outside a call of ours: asks to be driven');
    });

    it('an initial_source_connection_id other than the server SCID is TRANSPORT_PARAMETER_ERROR (RFC 9000 §7.3)', () => {
      const conn = fakeConnection(true);
      const cb = new ConnectionTlsCallbacks(ctx(conn));
      const p = serverParams();
      p.initialSourceConnectionId = CLIENT_SCID;
      deliver(cb, encodeTransportParameters(p, 'server'));
      assert.equal(cb.alert?.code, TransportError.TRANSPORT_PARAMETER_ERROR);
    });

    it('retry_source_connection_id without a Retry, or not the Retry SCID, is TRANSPORT_PARAMETER_ERROR (RFC 9000 §7.3)', () => {
      const conn = fakeConnection(true);
      const cb = new ConnectionTlsCallbacks(ctx(conn));
      const p = serverParams();
      p.retrySourceConnectionId = CLIENT_SCID;
      deliver(cb, encodeTransportParameters(p, 'server'));
      assert.equal(cb.alert?.code, TransportError.TRANSPORT_PARAMETER_ERROR);

      const afterRetry = fakeConnection(true);
      afterRetry.retryScid = new Uint8Array([5, 5, 5, 5]);
      const cb2 = new ConnectionTlsCallbacks(ctx(afterRetry));
      deliver(cb2, encodeTransportParameters(p, 'server'));
      assert.equal(cb2.alert?.code, TransportError.TRANSPORT_PARAMETER_ERROR);
      // The right one passes.
      afterRetry.retryScid = CLIENT_SCID;
      const cb3 = new ConnectionTlsCallbacks(ctx(afterRetry));
      assert.equal(deliver(cb3, encodeTransportParameters(p, 'server')), null);
      assert.equal(cb3.alert, null);
    });

    it("a server checks the client's initial_source_connection_id (RFC 9000 §7.3)", () => {
      const conn = fakeConnection(false);
      const p = defaultTransportParameters();
      p.initialSourceConnectionId = CLIENT_SCID;
      const ok = new ConnectionTlsCallbacks(ctx(conn));
      assert.equal(deliver(ok, encodeTransportParameters(p, 'client')), null);
      assert.equal(ok.paramsReceived, true);

      const other = fakeConnection(false);
      p.initialSourceConnectionId = SERVER_SCID;
      const bad = new ConnectionTlsCallbacks(ctx(other));
      deliver(bad, encodeTransportParameters(p, 'client'));
      assert.equal(bad.alert?.code, TransportError.TRANSPORT_PARAMETER_ERROR);
      assert.equal(other.peerParams, null);
    });

    it('undecodable parameters are TRANSPORT_PARAMETER_ERROR, and the later TLS alert does not replace it (RFC 9000 §7.4)', () => {
      const conn = fakeConnection(true);
      const cb = new ConnectionTlsCallbacks(ctx(conn));
      // initial_max_data (0x04) claiming 8 bytes of value with 1 present.
      const e = deliver(cb, new Uint8Array([0x04, 0x08, 0x01]));
      assert.ok(e instanceof Error);
      assert.equal(cb.alert?.code, TransportError.TRANSPORT_PARAMETER_ERROR);
      cb.onAlert(80, 'internal_error');
      assert.equal(
        cb.alert?.code,
        TransportError.TRANSPORT_PARAMETER_ERROR,
        'the first error wins',
      );
    });
  });

  describe('alerts and outcomes', () => {
    it('a TLS alert closes with CRYPTO_ERROR 0x100 + alert (RFC 9001 §4.8)', () => {
      const conn = fakeConnection(true);
      const cb = new ConnectionTlsCallbacks(ctx(conn));
      cb.onAlert(40, 'handshake_failure');
      assert.equal(cb.alert?.code, cryptoError(40));
      assert.equal(cb.alert?.code, 0x128);
      assert.equal(cb.hasOutcome, true);
      cb.takeOutcome();
      assert.equal(cb.hasOutcome, false);
      assert.equal(cb.alert, null);
      // A transport error code given by TLS is used as is.
      cb.onAlert(109, 'missing_extension', TransportError.TRANSPORT_PARAMETER_ERROR);
      assert.equal((cb.alert as QuicError | null)?.code, TransportError.TRANSPORT_PARAMETER_ERROR);
    });

    it('handshake bytes go to the space of their level (RFC 9001 §4.1.4), none to a discarded one', () => {
      const conn = fakeConnection(true);
      const cb = new ConnectionTlsCallbacks(ctx(conn));
      cb.onHandshakeData(Level.Handshake, new Uint8Array(10));
      assert.equal(conn.spaces[PnSpace.Handshake].cryptoSend.written, 10);
      assert.equal(conn.spaces[PnSpace.Initial].hasCryptoToSend, false);
      cb.onHandshakeData(Level.Application, new Uint8Array(4));
      assert.equal(conn.spaces[PnSpace.Application].cryptoSend.written, 4);
      conn.spaces[PnSpace.Initial].discard();
      cb.onHandshakeData(Level.Initial, new Uint8Array(5));
      assert.equal(conn.spaces[PnSpace.Initial].hasCryptoToSend, false);
      assert.equal(conn.spaces[PnSpace.Initial].holdsState, false);
      assert.equal(conn.wakes, 3, 'each write outside a call of ours wakes the connection');
    });
  });

  describe('discardSpace (RFC 9001 §4.9, RFC 9002 §6.4)', () => {
    it('drops the space, its keys, its packets in flight, and with Initial the token; once', () => {
      const conn = fakeConnection(true);
      conn.spaces[PnSpace.Initial].cryptoSend.write(new Uint8Array(3));
      discardSpace(ctx(conn), PnSpace.Initial, 50);
      assert.equal(conn.spaces[PnSpace.Initial].discarded, true);
      assert.equal(conn.spaces[PnSpace.Initial].holdsState, false);
      assert.equal(conn.token.length, 0, 'the token only goes in Initial packets');
      assert.deepEqual(conn.calls, ['keys drop 0', 'recovery drops 0 at 50']);
      discardSpace(ctx(conn), PnSpace.Initial, 60);
      assert.equal(conn.calls.length, 2, 'a second discard does nothing');
    });

    it('discarding Handshake keeps the token', () => {
      const conn = fakeConnection(true);
      discardSpace(ctx(conn), PnSpace.Handshake, 5);
      assert.deepEqual(conn.token, new Uint8Array([7]));
      assert.equal(conn.spaces[PnSpace.Initial].discarded, false);
      assert.deepEqual(conn.calls, [
        `keys drop ${PnSpace.Handshake}`,
        `recovery drops ${PnSpace.Handshake} at 5`,
      ]);
    });
  });
});
