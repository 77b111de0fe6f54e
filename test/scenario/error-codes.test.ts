/**
 * The wire codes of two violations (RFC 9000 §20.1): bad transport parameters close with
 * TRANSPORT_PARAMETER_ERROR (§7.4, §18.2, RFC 9001 §8.2), not as a TLS failure (CRYPTO_ERROR);
 * a stream scattered into too many fragments closes with PROTOCOL_VIOLATION, not as an
 * internal error of ours.
 */
import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { Engine } from '../../src/engine/engine.js';
import { MAX_GAPS } from '../../src/stream/recv-buffer.js';
import { clientInitialPayload } from '../../src/testing/initial-flood.js';
import { forgeLongPacket, forgeShortPacket, initialProtector } from '../../src/testing/forge.js';
import { SeededRandom } from '../../src/util/random.js';
import { TransportError } from '../../src/wire/errors.js';
import {
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
  testCertificate,
} from '../../src/testing/pair.js';

describe('scenario: error codes of transport-parameter and reassembly violations', () => {
  it('a ClientHello whose initial_source_connection_id is not the packet SCID: TRANSPORT_PARAMETER_ERROR', async () => {
    const { cert } = testCertificate();
    const server = new Engine({ server: { alpn: ['test'], certificate: cert } });
    const hello = clientInitialPayload(PAIR_SERVER_ADDRESS, ['test']);
    const rng = new SeededRandom(9);
    const dcid = rng.bytes(8);
    // RFC 9000 §7.3: the SCID of the packet differs from the one the parameters name.
    const scid = hello.scid.slice();
    scid[0]! ^= 0xff;
    const initial = forgeLongPacket({
      type: 'initial',
      dcid,
      scid,
      packetNumber: 0,
      frames: [],
      rawPayload: hello.frames,
      protector: initialProtector('client', dcid),
      minSize: 1200,
    });
    server.handleDatagram(initial, PAIR_SERVER_ADDRESS, PAIR_CLIENT_ADDRESS, 0);
    const conn = server.accept()!;
    assert.ok(conn, 'the server made a connection');
    // The server's TLS may finish the ClientHello in a promise job (its hooks can be
    // asynchronous); the connection acts on the outcome at its next entry point.
    await new Promise((resolve) => setImmediate(resolve));
    while (server.pollTransmit(1_000) !== null);
    const info = conn.closeInfo!;
    assert.ok(info, 'and closed it');
    assert.equal(info.errorCode, TransportError.TRANSPORT_PARAMETER_ERROR, info.reason);
    assert.match(info.reason, /initial_source_connection_id/);
  });

  it(`more than ${MAX_GAPS} gaps in a stream's data: PROTOCOL_VIOLATION`, () => {
    const p = createEnginePair({ seed: 11 });
    let done = false;
    p.conn.on('handshakeDone', () => (done = true));
    assert.ok(p.net.runUntil(() => done && p.conn.handshakeConfirmed, 5_000_000));
    p.net.runFor(50_000);
    const sc = p.serverConn()!;
    // One byte at every odd offset of stream 0, in packets sealed with the client's real keys:
    // each leaves a hole before it.
    for (let i = 0; i <= MAX_GAPS && sc.state === 'established'; i++) {
      const d = forgeShortPacket({
        dcid: p.conn.path.dcid.cid,
        packetNumber: p.conn.spaces[PnSpace.Application].nextPn++,
        frames: [
          { kind: 'stream', streamId: 0, offset: 2 * i + 1, data: new Uint8Array(1), fin: false },
        ],
        protector: p.conn.keys.oneRtt!.write,
        keyPhase: p.conn.keys.oneRtt!.sendKeyPhase,
      });
      p.server.handleDatagram(d, PAIR_SERVER_ADDRESS, PAIR_CLIENT_ADDRESS, p.net.now);
    }
    const info = sc.closeInfo!;
    assert.ok(info, 'the server closed');
    assert.equal(info.errorCode, TransportError.PROTOCOL_VIOLATION, info.reason);
    assert.match(info.reason, /gaps/);
  });
});
