/**
 * ACK frequency (draft-ietf-quic-ack-frequency-12) over the in-memory network: a data sender
 * whose peer advertised min_ack_delay asks for fewer ACKs as its window grows; the receiver
 * honours the threshold, the delay and the reordering threshold; a gap still gets a quick ACK;
 * a peer without the extension sees nothing change. Transfers are byte-exact throughout.
 */
import { strict as assert } from 'node:assert';
import { PnSpace } from '../../src/ack/pn-space.js';
import type { Connection } from '../../src/conn/connection.js';
import type { Engine } from '../../src/engine/engine.js';
import { createEnginePair, type LinkConditions } from '../../src/testing/index.js';
import type { SansIoEndpoint } from '../../src/testing/network.js';
import type { SocketAddress } from '../../src/util/address.js';
import { TransportError } from '../../src/wire/errors.js';
import {
  FrameType,
  type AckFrequencyFrame,
  type ImmediateAckFrame,
} from '../../src/wire/frame-types.js';
import { transfer } from './transfer-kit.js';

const FAST: LinkConditions = { delay: 10_000, rate: 100e6, queueBytes: 1 << 20 };

function run(
  conditions: LinkConditions,
  client: { ackFrequency?: boolean },
  server: { ackFrequency?: boolean } = {},
  endpoint?: (e: Engine, role: 'client' | 'server') => SansIoEndpoint,
) {
  const p = createEnginePair({
    seed: 5,
    conditions,
    serverEngine: { connection: server },
    client,
    ...(endpoint ? { endpoint } : {}),
  });
  const r = transfer(p, 20_000, 8_000_000);
  assert.ok(r.done, 'transfer completes');
  assert.equal(r.up.mismatch, -1);
  assert.equal(r.down.mismatch, -1);
  return { p, r, server: p.serverConn()!, client: p.conn };
}

function threshold(c: Connection): number {
  // The tracker's count includes the packet that triggers the ACK: T + 1.
  return (c.spaces[PnSpace.Application].tracker as unknown as { ackElicitingThreshold: number })
    .ackElicitingThreshold;
}

describe('scenario: ACK frequency (draft-ietf-quic-ack-frequency-12)', () => {
  it('the sender asks for sparser ACKs at high rates; the receiver sends far fewer', () => {
    const on = run(FAST, {});
    const off = run(FAST, { ackFrequency: false }, { ackFrequency: false });
    assert.ok(on.server.ackFrequency.requestsSent > 0, 'ACK_FREQUENCY sent');
    assert.equal(off.server.ackFrequency.requestsSent, 0);
    assert.ok(threshold(on.client) > 2, `client threshold ${threshold(on.client)}`);
    const acksOn = on.client.getStats().acksSent;
    const acksOff = off.client.getStats().acksSent;
    assert.ok(acksOn * 3 < acksOff, `ACKs with ${acksOn}, without ${acksOff}`);
    // Not at the price of throughput: within 10% of the time.
    assert.ok(on.r.timeUs < off.r.timeUs * 1.1, `${on.r.timeUs} vs ${off.r.timeUs} µs`);
  });

  it('thresholds are honoured under reordering and the transfer is intact', () => {
    const cond: LinkConditions = { ...FAST, reorder: 0.02, reorderDelay: 2_000 };
    const on = run(cond, {});
    const off = run(cond, { ackFrequency: false }, { ackFrequency: false });
    assert.ok(threshold(on.client) > 2);
    // Reordering within the Reordering Threshold (3) elicits no immediate ACK.
    assert.ok(
      on.client.getStats().acksSent * 2 < off.client.getStats().acksSent,
      `ACKs with ${on.client.getStats().acksSent}, without ${off.client.getStats().acksSent}`,
    );
  });

  it('a lost packet still gets a quick ACK: at the third packet after the gap', () => {
    let received = 0;
    let dropAt = -1;
    let ackAfterGap = -1;
    let thresholdAtDrop = 0;
    let clientConn: Connection | null = null;
    const dropper = (e: Engine): SansIoEndpoint => ({
      handleDatagram(d: Uint8Array, l: SocketAddress, r: SocketAddress, now: number, ecn?: number) {
        received++;
        const conn = clientConn;
        // Once sparse ACKs are in force, drop one datagram of the server's.
        if (dropAt < 0 && conn !== null && threshold(conn) > 5 && received > 300) {
          dropAt = received;
          thresholdAtDrop = threshold(conn);
          return;
        }
        e.handleDatagram(d, l, r, now, ecn);
        if (dropAt > 0 && ackAfterGap < 0 && conn !== null) {
          if (conn.spaces[PnSpace.Application].tracker.wantsAckNow(now)) {
            ackAfterGap = received - dropAt;
          }
        }
      },
      pollTransmit: (now) => e.pollTransmit(now),
      nextTimeout: () => e.nextTimeout(),
      handleTimeout: (now) => e.handleTimeout(now),
    });
    const p = createEnginePair({
      seed: 5,
      conditions: FAST,
      endpoint: (e, role) => (role === 'client' ? dropper(e) : e),
    });
    clientConn = p.conn;
    const r = transfer(p, 20_000, 8_000_000);
    assert.ok(r.done && r.down.mismatch === -1);
    assert.ok(dropAt > 0, 'a datagram was dropped');
    assert.ok(thresholdAtDrop > 5, `threshold ${thresholdAtDrop}`);
    // Reordering Threshold 3: due at the third packet above the gap, not the threshold's 6+.
    assert.ok(ackAfterGap >= 1 && ackAfterGap <= 3, `ACK due ${ackAfterGap} packets after`);
    const s = p.serverConn()!.path.sendControl.stats;
    assert.ok(s.packetsLost >= 1);
    assert.equal(s.ptoExpirations, 0, 'found by the ACK, not by a PTO');
  });

  describe('invalid requests close the connection with PROTOCOL_VIOLATION (§4)', () => {
    /** Handshake, then the client sends `frame`; returns the server's close. */
    function send(frame: AckFrequencyFrame | ImmediateAckFrame, serverAckFrequency = true) {
      const p = createEnginePair({
        seed: 2,
        serverEngine: { connection: { ackFrequency: serverAckFrequency } },
      });
      assert.ok(p.handshake());
      const server = p.serverConn()!;
      p.conn.controlFrames.queue(frame);
      p.runFor(200_000);
      return { server, client: p.conn };
    }
    const request = (delay: number, seq = 0): AckFrequencyFrame => ({
      kind: 'ack_frequency',
      sequenceNumber: seq,
      ackElicitingThreshold: 7,
      requestedMaxAckDelay: delay,
      reorderingThreshold: 0,
    });

    it('a Requested Max Ack Delay below our min_ack_delay or of 2^14 ms', () => {
      for (const delay of [999, 2 ** 14 * 1000, 2 ** 53]) {
        const { server } = send(request(delay));
        assert.equal(server.closeInfo?.errorCode, TransportError.PROTOCOL_VIOLATION, `${delay}`);
        assert.equal(server.closeInfo?.frameType, FrameType.ACK_FREQUENCY);
      }
    });

    it('ACK_FREQUENCY or IMMEDIATE_ACK to an endpoint that did not advertise min_ack_delay', () => {
      for (const frame of [request(5000), { kind: 'immediate_ack' } as const]) {
        const { server } = send(frame, false);
        assert.equal(server.closeInfo?.errorCode, TransportError.PROTOCOL_VIOLATION);
      }
    });

    it('a valid request is applied, an older sequence number ignored', () => {
      const p = createEnginePair({ seed: 2 });
      assert.ok(p.handshake());
      const server = p.serverConn()!;
      p.conn.controlFrames.queue(request(7000, 5));
      p.runFor(100_000);
      assert.equal(threshold(server), 8);
      p.conn.controlFrames.queue({ ...request(7000, 4), ackElicitingThreshold: 1 });
      p.runFor(100_000);
      assert.equal(threshold(server), 8, 'sequence number 4 < 5: ignored');
      assert.equal(server.closeInfo, null);
    });
  });

  it('PTO probes carry IMMEDIATE_ACK (§7), and the transfer survives a tail blackhole', () => {
    const p = createEnginePair({ seed: 5, conditions: FAST });
    // Everything from the server is lost for 300 ms in mid-transfer: the server probes.
    p.net.blackhole(400_000, 700_000, 'server', 'client');
    const r = transfer(p, 20_000, 8_000_000);
    assert.ok(r.done && r.down.mismatch === -1);
    const server = p.serverConn()!;
    assert.ok(server.path.sendControl.stats.ptoExpirations > 0, 'the server probed');
    assert.ok(server.ackFrequency.immediateAcksSent > 0, 'with IMMEDIATE_ACK');
    const off = createEnginePair({
      seed: 5,
      conditions: FAST,
      serverEngine: { connection: { ackFrequency: false } },
      client: { ackFrequency: false },
    });
    off.net.blackhole(400_000, 700_000, 'server', 'client');
    assert.ok(transfer(off, 20_000, 8_000_000).done);
    assert.equal(off.serverConn()!.ackFrequency.immediateAcksSent, 0, 'not to a peer without it');
  });

  it('a peer without the extension: no request is sent and ACKs follow RFC 9000', () => {
    const { server, client } = run(FAST, { ackFrequency: false });
    assert.equal(server.peerParams?.minAckDelay, undefined);
    assert.equal(client.peerParams?.minAckDelay, 1000, 'the server still advertises it');
    assert.equal(server.ackFrequency.requestsSent, 0);
    assert.equal(threshold(client), 2);
  });
});
