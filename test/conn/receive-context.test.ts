import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { ReceiveContext } from '../../src/conn/receive-context.js';
import { PacketType } from '../../src/wire/version.js';

const A = { address: '10.0.0.1', port: 4433 };
const B = { address: '10.0.0.2', port: 5555 };

describe('conn/receive-context: the datagram and packet being received', () => {
  it('describes the datagram, the packet and its DCID without copying', () => {
    const rx = new ReceiveContext();
    const datagram = Uint8Array.of(0x40, 1, 2, 3, 4, 5, 6, 7, 8, 0xaa, 0xbb);
    rx.begin(A, B, datagram.length, 2);
    rx.setDcid(datagram, 1, 8);
    rx.setPacket(PacketType.OneRtt, PnSpace.Application, 42);
    assert.equal(rx.ecn, 2, 'the ECN codepoint it arrived with');
    assert.equal(rx.local, A);
    assert.equal(rx.remote, B);
    assert.equal(rx.size, 11);
    assert.equal(rx.packetType, PacketType.OneRtt);
    assert.equal(rx.space, PnSpace.Application);
    assert.equal(rx.pn, 42);
    assert.deepEqual([...rx.dcid], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(rx.dcid.buffer, datagram.buffer, 'a view of the datagram, not a copy');
    const r = rx.frames.reset(datagram, 9, 11);
    assert.equal(r, rx.frames, 'one reader, reused');
    assert.equal(r.u8(), 0xaa);
  });

  it('drops every view of the datagram when it is done (nothing keeps it alive)', () => {
    const rx = new ReceiveContext();
    const datagram = new Uint8Array(1200);
    rx.begin(A, B, datagram.length, 0);
    rx.setDcid(datagram, 1, 8);
    rx.frames.reset(datagram, 20, 1200);
    rx.end();
    assert.equal(rx.dcid.length, 0);
    assert.notEqual(rx.dcid.buffer, datagram.buffer);
    assert.equal(rx.frames.remaining, 0);
    assert.notEqual(rx.remote, B);
    assert.notEqual(rx.local, A);
  });
});
