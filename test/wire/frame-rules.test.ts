import assert from 'node:assert/strict';
import {
  countsInFlight,
  frameAllowedIn,
  isAckEliciting,
  isProbingFrame,
} from '../../src/wire/frame-rules.js';
import { FrameType } from '../../src/wire/frame-types.js';
import { PacketType } from '../../src/wire/version.js';
import { ALL_KINDS } from './random-frames.js';

const { Initial, ZeroRtt, Handshake, OneRtt, Retry, VersionNegotiation } = PacketType;

/** The packet types (of I, H, 0, 1) where `type` is allowed, as in the Pkts column. */
function column(type: number): string {
  return [
    frameAllowedIn(type, Initial) ? 'I' : '_',
    frameAllowedIn(type, Handshake) ? 'H' : '_',
    frameAllowedIn(type, ZeroRtt) ? '0' : '_',
    frameAllowedIn(type, OneRtt) ? '1' : '_',
  ].join('');
}

describe('wire/frame-rules', () => {
  it('lets only PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE 0x1c into Initial/Handshake', () => {
    const allowed = [0x00, 0x01, 0x02, 0x03, 0x06, 0x1c];
    for (let t = 0; t <= 0x40; t++) {
      for (const pt of [Initial, Handshake]) {
        assert.equal(frameAllowedIn(t, pt), allowed.includes(t), `0x${t.toString(16)} in ${pt}`);
      }
    }
  });

  it('keeps ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN, PATH_RESPONSE, RETIRE_CONNECTION_ID out of 0-RTT (§12.5)', () => {
    for (const t of [0x02, 0x03, 0x06, 0x1e, 0x07, 0x1b, 0x19])
      assert.ok(!frameAllowedIn(t, ZeroRtt));
    for (const t of [
      0x00, 0x01, 0x04, 0x05, 0x08, 0x0f, 0x10, 0x17, 0x18, 0x1a, 0x1c, 0x1d, 0x30, 0x31,
    ]) {
      assert.ok(frameAllowedIn(t, ZeroRtt), `0x${t.toString(16)}`);
    }
  });

  it('allows every known frame in 1-RTT and nothing unknown anywhere', () => {
    for (let t = 0; t <= 0x1e; t++) assert.ok(frameAllowedIn(t, OneRtt));
    assert.ok(frameAllowedIn(FrameType.DATAGRAM, OneRtt));
    assert.ok(frameAllowedIn(FrameType.DATAGRAM | 1, OneRtt));
    // draft-ietf-quic-ack-frequency-12 §3: its frames only ever in 1-RTT packets.
    for (const t of [FrameType.IMMEDIATE_ACK, FrameType.ACK_FREQUENCY]) {
      assert.ok(frameAllowedIn(t, OneRtt));
      for (const pt of [Initial, Handshake, ZeroRtt]) assert.ok(!frameAllowedIn(t, pt));
    }
    for (const t of [0x20, 0x2f, 0x32, 0x3d, 0x40, 0xae, 0xb0, 0x3e74, 0x3e7d, 2 ** 53]) {
      for (const pt of [Initial, Handshake, ZeroRtt, OneRtt]) assert.ok(!frameAllowedIn(t, pt));
    }
  });

  it('matches Table 3 spot checks', () => {
    assert.equal(column(FrameType.PADDING), 'IH01');
    assert.equal(column(FrameType.ACK), 'IH_1');
    assert.equal(column(FrameType.RESET_STREAM), '__01');
    assert.equal(column(FrameType.CRYPTO), 'IH_1');
    assert.equal(column(FrameType.NEW_TOKEN), '___1');
    assert.equal(column(0x0b), '__01');
    assert.equal(column(FrameType.CONNECTION_CLOSE), 'IH01');
    assert.equal(column(FrameType.CONNECTION_CLOSE_APP), '__01');
    assert.equal(column(FrameType.HANDSHAKE_DONE), '___1');
    assert.equal(column(FrameType.DATAGRAM), '__01'); // RFC 9221 §4
  });

  it('allows no frames in Retry or Version Negotiation packets', () => {
    for (let t = 0; t <= 0x31; t++) {
      assert.ok(!frameAllowedIn(t, Retry));
      assert.ok(!frameAllowedIn(t, VersionNegotiation));
    }
  });

  it('classifies ack-eliciting, in-flight and probing frames', () => {
    for (const kind of ALL_KINDS) {
      const eliciting = !['ack', 'path_ack', 'padding', 'connection_close'].includes(kind);
      assert.equal(isAckEliciting(kind), eliciting, kind);
      assert.equal(countsInFlight(kind), eliciting || kind === 'padding', kind);
    }
    assert.ok(countsInFlight('padding') && !isAckEliciting('padding'));
    assert.ok(!countsInFlight('ack'));
    assert.ok(isAckEliciting('datagram') && isAckEliciting('ping'));
    const probing = ALL_KINDS.filter(isProbingFrame);
    assert.deepEqual(probing.sort(), [
      'new_connection_id',
      'padding',
      'path_challenge',
      'path_response',
    ]);
  });
});
