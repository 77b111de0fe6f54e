import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { SentPacket } from '../../src/ack/sent.js';
import { CouplingGroup } from '../../src/cc/coupling.js';
import type { ConnectionContext } from '../../src/conn/context.js';
import { resolveOptions } from '../../src/conn/options.js';
import { PathState } from '../../src/conn/path-state.js';
import {
  armProbes,
  onFramesAcked,
  onFramesLost,
  resetRecovery,
} from '../../src/conn/retransmit.js';
import { newSendControl } from '../../src/conn/send-controls.js';
import type { SentFrame } from '../../src/conn/sent-frames.js';
import { SpaceState } from '../../src/conn/space.js';
import { SendRange } from '../../src/stream/send-buffer.js';

const A = { address: '10.0.0.1', port: 1000 };
const B = { address: '10.0.0.2', port: 2000 };
const OPTS = resolveOptions({ alpn: ['t'], initialRtt: 100 });

/**
 * A client connection as retransmit.ts sees it: one path, the three spaces, and recording
 * stand-ins for the stream layer, the control frame queue and the CID sets.
 */
function fakeConnection() {
  const calls: string[] = [];
  const cid = { sequence: 0, cid: new Uint8Array(8), sentTo: null };
  const group = new CouplingGroup();
  const conn = {
    calls,
    path: new PathState(A, B, newSendControl(OPTS, true, true, group), true, cid),
    spaces: [
      new SpaceState(PnSpace.Initial, 25_000),
      new SpaceState(PnSpace.Handshake, 25_000),
      new SpaceState(PnSpace.Application, 25_000),
    ] as [SpaceState, SpaceState, SpaceState],
    multipath: null,
    /** Which spaces have packet keys to seal with (a probe needs them). */
    sealers: [true, false, false],
    keys: {
      sealer: (space: PnSpace) => (conn.sealers[space] ? {} : undefined),
    },
    streams: {
      onStreamDataLost: (id: number, off: number, len: number, fin: boolean) =>
        calls.push(`lost stream ${id} ${off}+${len}${fin ? ' fin' : ''}`),
      onStreamDataAcked: (id: number, off: number, len: number, fin: boolean) =>
        calls.push(`acked stream ${id} ${off}+${len}${fin ? ' fin' : ''}`),
      onControlFrameLost: (f: { kind: string }) => calls.push(`lost stream_control ${f.kind}`),
      onControlFrameAcked: (f: { kind: string }) => calls.push(`acked stream_control ${f.kind}`),
    },
    controlFrames: {
      onLost: (f: { kind: string }) => calls.push(`lost control ${f.kind}`),
    },
    localCids: {},
    peerCids: {
      current: cid,
      onRetirementAcked: () => calls.push('retirement acked'),
    },
    paths: {
      replaceActive(next: PathState, now: number) {
        calls.push(`replace active at ${now}`);
        conn.path = next;
      },
    },
    newSendControl: () => newSendControl(OPTS, true, true, group),
  };
  return conn;
}
type Fake = ReturnType<typeof fakeConnection>;
const ctx = (c: Fake) => c as unknown as ConnectionContext;

/** Writes `n` CRYPTO bytes to `space` and sends them in packet `pn`. */
function sendCrypto(conn: Fake, space: PnSpace, pn: number, n: number): SentFrame[] {
  const buf = conn.spaces[space].cryptoSend;
  const offset = buf.written;
  buf.write(new Uint8Array(n));
  assert.ok(buf.nextRange(n, Infinity, new SendRange()));
  const frames: SentFrame[] = [{ k: 'crypto', space, offset, length: n }];
  conn.path.sendControl.onPacketSent(space, new SentPacket(pn, 0, 1200, true, true, frames));
  return frames;
}

describe('conn/retransmit: what happens to the frames of a sent packet', () => {
  it('lost STREAM and stream control frames go back to the stream layer (RFC 9000 §13.3)', () => {
    const conn = fakeConnection();
    onFramesLost(ctx(conn), [
      { k: 'stream', streamId: 4, offset: 10, length: 20, fin: true },
      { k: 'stream_control', frame: { kind: 'max_stream_data', streamId: 4, maximum: 99 } },
      { k: 'ack', space: PnSpace.Application, largest: 3 },
    ] as SentFrame[]);
    assert.deepEqual(conn.calls, [
      'lost stream 4 10+20 fin',
      'lost stream_control max_stream_data',
    ]);
  });

  it('a lost connection-level control frame is requeued by the control frame queue', () => {
    const conn = fakeConnection();
    onFramesLost(ctx(conn), [{ k: 'control', frame: { kind: 'handshake_done' } }] as SentFrame[]);
    assert.deepEqual(conn.calls, ['lost control handshake_done']);
  });

  it('lost CRYPTO data is sent again; not once its space is discarded (RFC 9001 §4.9)', () => {
    const conn = fakeConnection();
    const initial = conn.spaces[PnSpace.Initial];
    const handshake = conn.spaces[PnSpace.Handshake];
    const lostInitial = sendCrypto(conn, PnSpace.Initial, 0, 100);
    const lostHandshake = sendCrypto(conn, PnSpace.Handshake, 0, 100);
    assert.equal(initial.hasCryptoToSend, false);
    handshake.discard();
    onFramesLost(ctx(conn), [...lostInitial, ...lostHandshake]);
    assert.equal(initial.hasCryptoToSend, true, 'the Initial CRYPTO data goes again');
    assert.equal(handshake.hasCryptoToSend, false, 'a discarded space sends nothing');
    assert.equal(handshake.holdsState, false, 'and keeps no buffer for it');
  });

  it('acknowledged CRYPTO data is released from the send buffer', () => {
    const conn = fakeConnection();
    const frames = sendCrypto(conn, PnSpace.Initial, 0, 100);
    const buf = conn.spaces[PnSpace.Initial].cryptoSend;
    assert.equal(buf.ackedOffset, 0);
    onFramesAcked(ctx(conn), frames);
    assert.equal(buf.ackedOffset, 100);
    // Acknowledged data is never sent again, even if a later loss report names it.
    onFramesLost(ctx(conn), frames);
    assert.equal(conn.spaces[PnSpace.Initial].hasCryptoToSend, false);
  });

  it('an acknowledged ACK frame stops acknowledging the packets it covered (RFC 9000 §13.2.4)', () => {
    const conn = fakeConnection();
    const tracker = conn.spaces[PnSpace.Application].tracker;
    for (let pn = 0; pn <= 5; pn++) tracker.onPacketReceived(pn, true, 0);
    assert.equal(tracker.minimumTracked, 0);
    onFramesAcked(ctx(conn), [{ k: 'ack', space: PnSpace.Application, largest: 3 }] as SentFrame[]);
    assert.equal(tracker.minimumTracked, 4, 'packets up to 3 are no longer acknowledged');
  });

  it('an acknowledged RETIRE_CONNECTION_ID completes the retirement; STREAM acks go to streams', () => {
    const conn = fakeConnection();
    onFramesAcked(ctx(conn), [
      { k: 'control', frame: { kind: 'retire_connection_id', sequenceNumber: 1 } },
      { k: 'control', frame: { kind: 'handshake_done' } },
      { k: 'stream', streamId: 0, offset: 0, length: 5, fin: false },
      {
        k: 'stream_control',
        frame: { kind: 'reset_stream', streamId: 0, errorCode: 1, finalSize: 5 },
      },
    ] as SentFrame[]);
    assert.deepEqual(conn.calls, [
      'retirement acked',
      'acked stream 0 0+5',
      'acked stream_control reset_stream',
    ]);
  });

  it('a PTO owes probes carrying the CRYPTO data in flight (RFC 9002 §6.2.4)', () => {
    const conn = fakeConnection();
    sendCrypto(conn, PnSpace.Initial, 0, 100);
    const initial = conn.spaces[PnSpace.Initial];
    armProbes(ctx(conn), PnSpace.Initial, 2);
    assert.equal(initial.probes, 2);
    assert.equal(initial.hasCryptoToSend, true);
    // A smaller count never lowers what is owed.
    armProbes(ctx(conn), PnSpace.Initial, 1);
    assert.equal(initial.probes, 2);
  });

  it('a PTO also owes one probe in each other space with ack-eliciting packets in flight and keys (RFC 9002 §6.2.4)', () => {
    const conn = fakeConnection();
    sendCrypto(conn, PnSpace.Initial, 0, 100);
    sendCrypto(conn, PnSpace.Handshake, 0, 100);
    armProbes(ctx(conn), PnSpace.Initial, 2);
    assert.equal(conn.spaces[PnSpace.Handshake].probes, 0, 'no Handshake keys: no probe there');
    conn.sealers[PnSpace.Handshake] = true;
    conn.sealers[PnSpace.Application] = true;
    armProbes(ctx(conn), PnSpace.Initial, 2);
    assert.equal(conn.spaces[PnSpace.Handshake].probes, 1);
    assert.equal(conn.spaces[PnSpace.Handshake].hasCryptoToSend, true, 'with its CRYPTO data');
    assert.equal(conn.spaces[PnSpace.Application].probes, 0, 'nothing in flight there');
  });

  it('no probes in a discarded space (RFC 9002 §6.4)', () => {
    const conn = fakeConnection();
    conn.spaces[PnSpace.Handshake].discard();
    armProbes(ctx(conn), PnSpace.Handshake, 2);
    assert.equal(conn.spaces[PnSpace.Handshake].probes, 0);
  });

  it('after a Retry: fresh recovery state, and 0-RTT data is sent again (RFC 9002 §6.3, RFC 9000 §17.2.5.3)', () => {
    const conn = fakeConnection();
    const old = conn.path;
    const zeroRtt: SentFrame[] = [{ k: 'stream', streamId: 0, offset: 0, length: 50, fin: true }];
    old.sendControl.onPacketSent(
      PnSpace.Application,
      new SentPacket(0, 0, 1200, true, true, zeroRtt),
    );
    assert.ok(old.sendControl.bytesInFlight > 0);
    resetRecovery(ctx(conn), 7);
    assert.notEqual(conn.path, old, 'a new path state');
    assert.notEqual(conn.path.sendControl, old.sendControl, 'with a new send control');
    assert.equal(conn.path.sendControl.bytesInFlight, 0);
    assert.deepEqual(conn.path.remote, B);
    assert.deepEqual(conn.calls, ['replace active at 7', 'lost stream 0 0+50 fin']);
  });
});
