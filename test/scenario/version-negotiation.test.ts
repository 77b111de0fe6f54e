/**
 * A client acts on a Version Negotiation packet only when it answers its own first Initial
 * (RFC 9000 §6.2, §17.2.1): the CIDs echoed, our version not listed, nothing else from the
 * server processed before. Spoofed ones are ignored and the connection completes.
 */
import assert from 'node:assert/strict';
import { encodeVersionNegotiation } from '../../src/wire/header.js';
import { QUIC_V1, QUIC_V2 } from '../../src/wire/version.js';
import {
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
  type EnginePair,
} from '../../src/testing/pair.js';
import { transfer } from './transfer-kit.js';

function clientScid(p: EnginePair): Uint8Array {
  return p.conn.localParams.initialSourceConnectionId!;
}

/** Delivers `vn` to the client as if the server had sent it, before the server's answer. */
function inject(p: EnginePair, vn: Uint8Array): void {
  p.client.handleDatagram(vn, PAIR_CLIENT_ADDRESS, PAIR_SERVER_ADDRESS, p.net.now);
}

describe('scenario: Version Negotiation checked by the client (RFC 9000 §6.2)', () => {
  it('a VN whose SCID is not the DCID we sent is ignored, and the connection completes', () => {
    const p = createEnginePair({ seed: 3 });
    const wrongScid = p.conn.originalDcid.slice();
    wrongScid[0]! ^= 0xff;
    inject(p, encodeVersionNegotiation(clientScid(p), wrongScid, [0x0a0a0a0a], 0x40));
    assert.equal(p.conn.state, 'handshake', 'the connection is still going');
    const r = transfer(p, 1000, 20_000, 10_000_000);
    assert.ok(r.done, 'and completes');
    assert.equal(r.down.mismatch, -1);
    assert.equal(p.conn.version, QUIC_V1);
  });

  it('a VN with an empty or truncated SCID is ignored too', () => {
    const p = createEnginePair({ seed: 4 });
    inject(p, encodeVersionNegotiation(clientScid(p), new Uint8Array(0), [0x0a0a0a0a], 0x40));
    inject(
      p,
      encodeVersionNegotiation(clientScid(p), p.conn.originalDcid.subarray(1), [0x0a0a0a0a], 0),
    );
    assert.ok(transfer(p, 100, 100, 10_000_000).done);
  });

  it('a VN that lists the version in use is ignored', () => {
    const p = createEnginePair({ seed: 5 });
    inject(
      p,
      encodeVersionNegotiation(clientScid(p), p.conn.originalDcid, [QUIC_V2, QUIC_V1], 0x40),
    );
    assert.equal(p.conn.state, 'handshake');
    assert.ok(transfer(p, 100, 100, 10_000_000).done);
    assert.equal(p.conn.version, QUIC_V1);
  });

  it('a VN that echoes our CIDs and lists no version we speak ends the connection', () => {
    const p = createEnginePair({ seed: 6 });
    let reason = '';
    p.conn.on('close', (info) => (reason = info.source));
    inject(p, encodeVersionNegotiation(clientScid(p), p.conn.originalDcid, [0x0a0a0a0a], 0x40));
    assert.equal(p.conn.state, 'closed');
    assert.equal(reason, 'version_negotiation');
  });
});
