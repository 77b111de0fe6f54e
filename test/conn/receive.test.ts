/**
 * The receive pipeline without re-entry: keys that a packet's CRYPTO frame makes TLS install
 * open the packets buffered for them only after that packet (RFC 9001 §4.1.4), so the frames
 * that follow the CRYPTO frame in the same packet are all processed. Driven with a stand-in TLS
 * session whose secrets are known, so the test can protect packets for them.
 */
import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { Connection, type ConnectionHost } from '../../src/conn/connection.js';
import { defaultProvider } from '../../src/crypto/default-provider.js';
import { PacketProtector } from '../../src/crypto/packet-protection.js';
import { forgeLongPacket, initialProtector } from '../../src/testing/forge.js';
import { Level, type TlsCallbacks, type TlsSession } from '../../src/tls/types.js';
import type { Frame } from '../../src/wire/frame-types.js';
import { QUIC_V1 } from '../../src/wire/version.js';

const SUITE = 'TLS_AES_128_GCM_SHA256';
const CLIENT_HS_SECRET = new Uint8Array(32).fill(1);
const SERVER_HS_SECRET = new Uint8Array(32).fill(2);
const LOCAL = { address: '10.0.0.1', port: 4433 };
const REMOTE = { address: '10.0.0.2', port: 50000 };
const SERVER_CID = new Uint8Array(8).fill(0xaa);
const CLIENT_CID = new Uint8Array(8).fill(0xbb);
const CLIENT_DCID = new Uint8Array(8).fill(0xcc);

/** A server TLS session that installs Handshake keys on any Initial CRYPTO data. */
class KeysOnFirstFlight implements TlsSession {
  readonly role = 'server';
  readonly alpn = null;
  readonly cipherSuite = null;
  readonly group = null;
  readonly peerCertificates = [];
  readonly serverName = null;
  readonly earlyDataAccepted = false;
  readonly resumed = false;
  readonly handshakeComplete = false;
  readonly failed = false;
  received = 0;
  constructor(private readonly cb: TlsCallbacks) {}
  start(): void {}
  receive(level: Level, data: Uint8Array): void {
    this.received += data.length;
    if (level !== Level.Initial) return;
    this.cb.onSecret(Level.Handshake, 'write', SUITE, SERVER_HS_SECRET);
    this.cb.onSecret(Level.Handshake, 'read', SUITE, CLIENT_HS_SECRET);
  }
  exportKeyingMaterial(): Uint8Array {
    throw new TypeError('no exporter');
  }
}

function serverConnection(): { conn: Connection; tls: () => KeysOnFirstFlight } {
  let n = 0;
  const host: ConnectionHost = {
    provider: defaultProvider,
    localCidLength: 8,
    wake: () => {},
    newCid: () => ({ cid: new Uint8Array(8).fill(++n), resetToken: new Uint8Array(16).fill(n) }),
    onCidRetired: () => {},
  };
  let tls: KeysOnFirstFlight | null = null;
  const conn = new Connection(host, {
    role: 'server',
    version: QUIC_V1,
    options: { alpn: ['test'] },
    createTls: (cb) => (tls = new KeysOnFirstFlight(cb)),
    localCid: SERVER_CID,
    localResetToken: new Uint8Array(16).fill(9),
    remoteCid: CLIENT_CID,
    initialKeysDcid: CLIENT_DCID,
    originalDcid: CLIENT_DCID,
    addressValidated: true,
    local: LOCAL,
    remote: REMOTE,
    now: 0,
  });
  return { conn, tls: () => tls! };
}

function clientInitial(frames: Frame[]): Uint8Array {
  return forgeLongPacket({
    type: 'initial',
    dcid: CLIENT_DCID,
    scid: CLIENT_CID,
    packetNumber: 0,
    frames,
    protector: initialProtector('client', CLIENT_DCID),
    minSize: 1200,
  });
}

function clientHandshake(frames: Frame[]): Uint8Array {
  return forgeLongPacket({
    type: 'handshake',
    dcid: SERVER_CID,
    scid: CLIENT_CID,
    packetNumber: 0,
    frames,
    protector: new PacketProtector(defaultProvider, SUITE, CLIENT_HS_SECRET, QUIC_V1),
  });
}

const CRYPTO: Frame = { kind: 'crypto', offset: 0, data: new Uint8Array(40).fill(7) };

describe('conn/receive: keys installed by a CRYPTO frame', () => {
  it('process every frame after the CRYPTO frame, then the packets buffered for the keys', () => {
    const { conn, tls } = serverConnection();
    conn.receive(clientHandshake([{ kind: 'ping' }]), LOCAL, REMOTE, 1000);
    assert.equal(conn.keys.bufferedCount, 1, 'the Handshake packet waits for its keys');

    const close: Frame = {
      kind: 'connection_close',
      application: false,
      errorCode: 0x0a,
      frameType: 0,
      reason: new Uint8Array(0),
    };
    conn.receive(clientInitial([CRYPTO, close]), LOCAL, REMOTE, 2000);
    assert.equal(tls().received, 40);
    // The CONNECTION_CLOSE after the CRYPTO frame was processed: the peer closed.
    assert.equal(conn.state, 'draining');
    assert.equal(conn.closeInfo?.source, 'peer');
    assert.equal(conn.closeInfo?.errorCode, 0x0a);
  });

  it('opens the buffered packet after the packet whose CRYPTO frame brought its keys', () => {
    const { conn } = serverConnection();
    conn.receive(clientHandshake([{ kind: 'ping' }]), LOCAL, REMOTE, 1000);
    assert.equal(conn.keys.bufferedCount, 1);
    conn.receive(clientInitial([CRYPTO, { kind: 'ping' }]), LOCAL, REMOTE, 2000);
    assert.equal(conn.state, 'handshake');
    assert.equal(conn.keys.bufferedCount, 0);
    // The server discards Initial keys on its first Handshake packet (RFC 9001 §4.9.1): the
    // replayed packet was processed once the Initial was done.
    assert.ok(conn.spaces[PnSpace.Initial].discarded);
    assert.equal(conn.spaces[PnSpace.Handshake].tracker.largestReceived, 0);
    assert.equal(conn.getStats().packetsReceived, 2);
  });
});
