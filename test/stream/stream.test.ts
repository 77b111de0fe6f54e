import assert from 'node:assert/strict';
import { Stream } from '../../src/stream/stream.js';
import { TransportError } from '../../src/wire/errors.js';
import type { StreamFrame } from '../../src/wire/frame-types.js';
import { LIMITS, RecordingOwner, bytes, drainControl, drainData, quicError } from './helpers.js';

// Seen from a client: 0 local bidi, 2 local uni (send-only), 1 peer bidi, 3 peer uni (receive-only).
const LOCAL_BIDI = 0;
const LOCAL_UNI = 2;
const PEER_BIDI = 1;
const PEER_UNI = 3;

function make(id: number, limits: Partial<typeof LIMITS> = {}): [Stream, RecordingOwner] {
  const owner = new RecordingOwner();
  return [new Stream(id, true, owner, { ...LIMITS, ...limits }), owner];
}

function frame(id: number, offset: number, data: Uint8Array, fin = false): StreamFrame {
  return { kind: 'stream', streamId: id, offset, data, fin };
}

function ackAll(s: Stream, chunks: { offset: number; length: number; fin: boolean }[]): void {
  for (const c of chunks) s.onStreamDataAcked(c.offset, c.length, c.fin);
}

/** Brings a fresh send-capable stream to the given sending state. */
function sendTo(state: 'ready' | 'send' | 'data_sent' | 'data_recvd'): [Stream, RecordingOwner] {
  const [s, o] = make(LOCAL_UNI);
  if (state === 'ready') return [s, o];
  s.write(bytes(100));
  const sent = drainData(s, 60);
  if (state === 'send') return [s, o];
  s.end();
  sent.push(...drainData(s));
  if (state === 'data_sent') return [s, o];
  ackAll(s, sent);
  return [s, o];
}

describe('stream/stream', () => {
  describe('identity', () => {
    it('derives direction, initiator and parts from the ID', () => {
      const cases: [number, boolean, boolean, boolean, boolean][] = [
        // id, bidi, local, canSend, canReceive (client's view)
        [LOCAL_BIDI, true, true, true, true],
        [PEER_BIDI, true, false, true, true],
        [LOCAL_UNI, false, true, true, false],
        [PEER_UNI, false, false, false, true],
      ];
      for (const [id, bidi, local, canSend, canReceive] of cases) {
        const [s] = make(id);
        assert.deepEqual(
          [s.bidirectional, s.locallyInitiated, s.canSend, s.canReceive],
          [bidi, local, canSend, canReceive],
          `stream ${id}`,
        );
        assert.equal(s.sendState, canSend ? 'ready' : null);
        assert.equal(s.recvState, canReceive ? 'recv' : null);
      }
      const [server] = make(5);
      assert.equal(server.clientInitiated, false);
    });
  });

  describe('sending part (RFC 9000 §3.1)', () => {
    it('Ready -> Send -> Data Sent -> Data Recvd', () => {
      const [s, o] = make(LOCAL_UNI);
      assert.equal(s.write(bytes(100)), 100);
      assert.equal(s.sendState, 'ready', 'buffered data alone does not leave Ready');
      const first = drainData(s, 60);
      assert.equal(s.sendState, 'send');
      assert.deepEqual(
        first.map((c) => [c.offset, c.length, c.fin]),
        [
          [0, 56, false], // 1 type + 1 ID + 1 offset + 1 length + 56 data = 60
          [56, 44, false],
        ],
      );
      assert.deepEqual(Uint8Array.from(first.flatMap((c) => [...c.data])), bytes(100));
      s.end();
      const fin = drainData(s);
      assert.deepEqual(
        fin.map((c) => [c.offset, c.length, c.fin]),
        [[100, 0, true]],
      );
      assert.equal(s.sendState, 'data_sent');
      ackAll(s, first);
      assert.equal(s.sendState, 'data_sent', 'FIN not acknowledged yet');
      ackAll(s, fin);
      assert.equal(s.sendState, 'data_recvd');
      assert.deepEqual(o.take(), [`closed ${LOCAL_UNI}`]);
    });

    it('Ready -> Data Sent when the first frame carries the FIN', () => {
      const [s] = make(LOCAL_UNI);
      s.write(bytes(10), true);
      const sent = drainData(s);
      assert.deepEqual(
        sent.map((c) => [c.offset, c.length, c.fin]),
        [[0, 10, true]],
      );
      assert.equal(s.sendState, 'data_sent');
    });

    it('retransmits lost data in Data Sent, and reaches Data Recvd after all acks', () => {
      const [s] = make(LOCAL_UNI);
      s.write(bytes(50), true);
      const [c] = drainData(s);
      s.onStreamDataLost(c!.offset, c!.length, c!.fin);
      const again = drainData(s);
      assert.deepEqual(
        again.map((x) => [x.offset, x.length, x.fin]),
        [[0, 50, true]],
      );
      assert.deepEqual(again[0]!.data, bytes(50));
      ackAll(s, again);
      assert.equal(s.sendState, 'data_recvd');
    });

    it('Ready -> Send on STREAM_DATA_BLOCKED, once per limit', () => {
      const [s] = make(LOCAL_UNI, { sendCredit: 0 });
      s.write(bytes(100));
      assert.deepEqual(drainData(s), []);
      assert.deepEqual(drainControl(s), [
        { kind: 'stream_data_blocked', streamId: LOCAL_UNI, limit: 0 },
      ]);
      assert.equal(s.sendState, 'send');
      s.write(bytes(10));
      assert.deepEqual(drainControl(s), [], 'once per limit');
      s.onMaxStreamData({ kind: 'max_stream_data', streamId: LOCAL_UNI, maximum: 50 });
      assert.equal(s.sendLimit, 50);
      assert.equal(
        drainData(s).reduce((n, c) => n + c.length, 0),
        50,
      );
      const blocked = drainControl(s);
      assert.deepEqual(blocked, [{ kind: 'stream_data_blocked', streamId: LOCAL_UNI, limit: 50 }]);
      // Lost while still blocked at 50: sent again.
      s.onControlFrameLost(blocked[0]!);
      assert.deepEqual(drainControl(s), blocked);
      // A smaller MAX_STREAM_DATA is ignored; a larger one unblocks, so a late loss is moot.
      s.onMaxStreamData({ kind: 'max_stream_data', streamId: LOCAL_UNI, maximum: 40 });
      assert.equal(s.sendLimit, 50);
      s.onMaxStreamData({ kind: 'max_stream_data', streamId: LOCAL_UNI, maximum: 1000 });
      s.onControlFrameLost(blocked[0]!);
      assert.deepEqual(drainControl(s), []);
      assert.equal(
        drainData(s).reduce((n, c) => n + c.length, 0),
        60,
      );
    });

    for (const state of ['ready', 'send', 'data_sent'] as const) {
      it(`reset in ${state}: Reset Sent, then Reset Recvd when RESET_STREAM is acknowledged`, () => {
        const [s, o] = sendTo(state);
        const sentBefore = s.bytesSent;
        s.reset(7);
        assert.equal(s.sendState, 'reset_sent');
        assert.equal(s.resetCode, 7);
        assert.equal(s.writable, false);
        const frames = drainControl(s);
        assert.deepEqual(frames, [
          { kind: 'reset_stream', streamId: LOCAL_UNI, errorCode: 7, finalSize: sentBefore },
        ]);
        // No STREAM frames after RESET_STREAM, not even retransmissions (RFC 9000 §13.3).
        s.onStreamDataLost(0, sentBefore, false);
        assert.deepEqual(drainData(s), []);
        // A lost RESET_STREAM is sent again unchanged.
        s.onControlFrameLost(frames[0]!);
        assert.deepEqual(drainControl(s), frames);
        s.reset(9);
        assert.deepEqual(drainControl(s), [], 'a second reset does nothing');
        s.onControlFrameAcked(frames[0]!);
        assert.equal(s.sendState, 'reset_recvd');
        s.reset(9);
        assert.equal(s.sendState, 'reset_recvd', 'reset in Reset Recvd does nothing');
        s.onControlFrameLost(frames[0]!);
        assert.deepEqual(drainControl(s), [], 'nothing to resend once acknowledged');
        assert.deepEqual(o.take(), [`closed ${LOCAL_UNI}`]);
      });
    }

    it('reset in Data Recvd does nothing', () => {
      const [s] = sendTo('data_recvd');
      s.reset(1);
      assert.equal(s.sendState, 'data_recvd');
      assert.deepEqual(drainControl(s), []);
    });

    for (const state of ['ready', 'send', 'data_sent'] as const) {
      it(`STOP_SENDING in ${state} is answered with RESET_STREAM carrying its code (§3.5)`, () => {
        const [s, o] = sendTo(state);
        s.onStopSending({ kind: 'stop_sending', streamId: LOCAL_UNI, errorCode: 42 });
        assert.equal(s.sendState, 'reset_sent');
        assert.equal(s.peerStopSendingCode, 42);
        assert.deepEqual(o.take(), [`stop ${LOCAL_UNI} 42`]);
        assert.deepEqual(drainControl(s), [
          { kind: 'reset_stream', streamId: LOCAL_UNI, errorCode: 42, finalSize: s.bytesSent },
        ]);
      });
    }

    it('STOP_SENDING after Data Recvd or Reset Sent changes nothing', () => {
      const [a, oa] = sendTo('data_recvd');
      oa.take();
      a.onStopSending({ kind: 'stop_sending', streamId: LOCAL_UNI, errorCode: 1 });
      assert.equal(a.sendState, 'data_recvd');
      assert.deepEqual(oa.take(), []);
      const [b, ob] = sendTo('send');
      b.reset(3);
      drainControl(b);
      b.onStopSending({ kind: 'stop_sending', streamId: LOCAL_UNI, errorCode: 1 });
      assert.deepEqual(drainControl(b), []);
      assert.deepEqual(ob.take(), []);
    });

    it('bounds writes by the send buffer and reports writable once room appears', () => {
      const [s, o] = make(LOCAL_UNI, { sendBufferLimit: 100 });
      assert.equal(s.write(bytes(150)), 100);
      assert.equal(s.writableLength, 0);
      assert.equal(s.write(bytes(10)), 0);
      const sent = drainData(s, 60);
      assert.deepEqual(o.take(), []);
      s.onStreamDataAcked(sent[0]!.offset, sent[0]!.length, false);
      assert.deepEqual(o.take(), [`writable ${LOCAL_UNI}`]);
      assert.equal(s.writableLength, sent[0]!.length);
      s.onStreamDataAcked(sent[1]!.offset, sent[1]!.length, false);
      assert.deepEqual(o.take(), [], 'writable is reported once per short write');
    });

    it('reportAcks: an open stream says when everything written so far is acknowledged', () => {
      const [quiet, oq] = make(LOCAL_UNI);
      quiet.write(bytes(10));
      ackAll(quiet, drainData(quiet));
      assert.deepEqual(oq.take(), [], 'not asked: no report');

      const [s, o] = make(LOCAL_UNI);
      s.reportAcks();
      s.write(bytes(100));
      const first = drainData(s, 60);
      s.onStreamDataAcked(first[1]!.offset, first[1]!.length, false);
      assert.deepEqual(o.take(), [], 'a gap below: not everything is acknowledged');
      s.onStreamDataAcked(first[0]!.offset, first[0]!.length, false);
      assert.deepEqual(o.take(), [`acked ${LOCAL_UNI}`]);
      s.write(bytes(20));
      const second = drainData(s);
      s.write(bytes(5)); // written after the frame left: still unacknowledged
      ackAll(s, second);
      assert.deepEqual(o.take(), []);
      ackAll(s, drainData(s));
      assert.deepEqual(o.take(), [`acked ${LOCAL_UNI}`]);
      assert.equal(s.sendState, 'send', 'the stream stays open');
    });

    it('does not end the stream when a write with fin is cut short', () => {
      const [s] = make(LOCAL_UNI, { sendBufferLimit: 10 });
      assert.equal(s.write(bytes(20), true), 10);
      assert.equal(s.writable, true);
    });

    it('throws on misuse', () => {
      const [s] = make(LOCAL_UNI);
      s.end();
      assert.throws(() => s.write(bytes(1)), TypeError);
      s.end(); // idempotent
      const [r] = make(LOCAL_BIDI);
      r.reset(0);
      assert.throws(() => r.write(bytes(1)), /reset/);
      assert.throws(() => r.reset(-1), RangeError);
      assert.throws(() => r.stopSending(1.5), RangeError);
      const [recvOnly] = make(PEER_UNI);
      assert.throws(() => recvOnly.write(bytes(1)), TypeError);
      assert.throws(() => recvOnly.reset(0), TypeError);
      const [sendOnly] = make(LOCAL_UNI);
      assert.throws(() => sendOnly.read(), TypeError);
      assert.throws(() => sendOnly.stopSending(0), TypeError);
      const [bidi] = make(LOCAL_BIDI);
      assert.throws(() => bidi.read(0), RangeError);
    });

    it('rejects STOP_SENDING and MAX_STREAM_DATA on a receive-only stream', () => {
      const [s] = make(PEER_UNI);
      assert.throws(
        () => s.onStopSending({ kind: 'stop_sending', streamId: PEER_UNI, errorCode: 0 }),
        quicError(TransportError.STREAM_STATE_ERROR),
      );
      assert.throws(
        () => s.onMaxStreamData({ kind: 'max_stream_data', streamId: PEER_UNI, maximum: 9 }),
        quicError(TransportError.STREAM_STATE_ERROR),
      );
    });
  });

  describe('receiving part (RFC 9000 §3.2)', () => {
    it('Recv -> Size Known -> Data Recvd -> Data Read', () => {
      const [s, o] = make(PEER_UNI);
      s.onStreamFrame(frame(PEER_UNI, 5, bytes(5).subarray(0, 5), true));
      assert.equal(s.recvState, 'size_known');
      assert.deepEqual(o.take(), []);
      assert.equal(s.read(), null);
      const data = bytes(10);
      s.onStreamFrame(frame(PEER_UNI, 0, data.subarray(0, 5)));
      assert.equal(s.recvState, 'data_recvd');
      assert.deepEqual(o.take(), [`readable ${PEER_UNI}`]);
      const r1 = s.read(3)!;
      assert.deepEqual([...r1.data, r1.fin], [...data.subarray(0, 3), false]);
      assert.equal(s.recvState, 'data_recvd');
      const r2 = s.read()!;
      assert.equal(r2.fin, true);
      assert.equal(s.recvState, 'data_read');
      assert.deepEqual(o.take(), [`closed ${PEER_UNI}`]);
      assert.equal(s.read(), null);
      assert.equal(o.received, 10);
      assert.equal(o.consumed, 10);
    });

    it('Recv -> Data Recvd with one frame, and a lone FIN reads as empty data with fin', () => {
      const [s, o] = make(PEER_UNI);
      s.onStreamFrame(frame(PEER_UNI, 0, new Uint8Array(0), true));
      assert.equal(s.recvState, 'data_recvd');
      assert.deepEqual(o.take(), [`readable ${PEER_UNI}`]);
      const r = s.read()!;
      assert.deepEqual([r.data.length, r.fin], [0, true]);
      assert.equal(s.recvState, 'data_read');
    });

    it('readInto copies into the caller buffer at an offset and ends in Data Read', () => {
      const [s, o] = make(PEER_UNI);
      const data = bytes(300);
      s.onStreamFrame(frame(PEER_UNI, 100, data.subarray(100, 300), true));
      const dest = new Uint8Array(128).fill(0xee);
      assert.equal(s.readInto(dest), 0, 'nothing contiguous yet');
      assert.equal(s.readFinished, false);
      s.onStreamFrame(frame(PEER_UNI, 0, data.subarray(0, 100)));
      const got: number[] = [];
      for (let guard = 0; guard < 10 && !s.readFinished; guard++) {
        const n = s.readInto(dest, 28);
        assert.ok(n <= 100);
        got.push(...dest.subarray(28, 28 + n));
        assert.ok(
          dest.subarray(0, 28).every((b) => b === 0xee),
          'nothing written before offset',
        );
      }
      assert.deepEqual(got, [...data]);
      assert.equal(s.readFinished, true);
      assert.equal(s.recvState, 'data_read');
      assert.equal(o.consumed, 300);
      assert.equal(s.readInto(dest), 0);
      assert.throws(() => s.readInto(dest, 129), RangeError);
      const [sendOnly] = make(LOCAL_UNI);
      assert.throws(() => sendOnly.readInto(dest), TypeError);
    });

    it('readInto of a lone FIN returns 0 and finishes the stream', () => {
      const [s] = make(PEER_UNI);
      s.onStreamFrame(frame(PEER_UNI, 0, new Uint8Array(0), true));
      assert.equal(s.readInto(new Uint8Array(8)), 0);
      assert.equal(s.readFinished, true);
    });

    it('reports readable only when read() would go from null to something', () => {
      const [s, o] = make(PEER_UNI);
      s.onStreamFrame(frame(PEER_UNI, 0, bytes(10)));
      s.onStreamFrame(frame(PEER_UNI, 10, bytes(10)));
      assert.deepEqual(o.take(), [`readable ${PEER_UNI}`]);
      s.read();
      s.onStreamFrame(frame(PEER_UNI, 30, bytes(10)));
      assert.deepEqual(o.take(), [], 'out of order: nothing readable yet');
      s.onStreamFrame(frame(PEER_UNI, 20, bytes(10), false));
      assert.deepEqual(o.take(), [`readable ${PEER_UNI}`]);
      s.read();
      s.onStreamFrame(frame(PEER_UNI, 40, new Uint8Array(0), true));
      assert.deepEqual(o.take(), [`readable ${PEER_UNI}`], 'the end of the stream is readable');
    });

    for (const state of ['recv', 'size_known'] as const) {
      it(`RESET_STREAM in ${state}: Reset Recvd, signalled, then Reset Read`, () => {
        const [s, o] = make(PEER_UNI);
        s.onStreamFrame(frame(PEER_UNI, 0, bytes(10)));
        if (state === 'size_known') s.onStreamFrame(frame(PEER_UNI, 20, bytes(5), true));
        assert.equal(s.recvState, state);
        let stateAtSignal = '';
        o.onReset = (x) => (stateAtSignal = String(x.recvState));
        s.read(4);
        s.onResetStream({ kind: 'reset_stream', streamId: PEER_UNI, errorCode: 77, finalSize: 25 });
        assert.equal(stateAtSignal, 'reset_recvd');
        assert.equal(s.recvState, 'reset_read');
        assert.equal(s.peerResetCode, 77);
        assert.equal(s.read(), null, 'buffered data is dropped');
        // Flow control: the final size is received and consumed in full (RFC 9000 §4.5).
        assert.equal(o.received, 25);
        assert.equal(o.consumed, 25);
        assert.deepEqual(o.take(), [
          `readable ${PEER_UNI}`,
          `reset ${PEER_UNI} 77`,
          `closed ${PEER_UNI}`,
        ]);
        // Late data within the final size is ignored; beyond it is an error.
        s.onStreamFrame(frame(PEER_UNI, 10, bytes(10)));
        s.onResetStream({ kind: 'reset_stream', streamId: PEER_UNI, errorCode: 77, finalSize: 25 });
        assert.deepEqual(o.take(), []);
        assert.throws(
          () => s.onStreamFrame(frame(PEER_UNI, 20, bytes(10))),
          quicError(TransportError.FINAL_SIZE_ERROR),
        );
        assert.throws(
          () =>
            s.onResetStream({
              kind: 'reset_stream',
              streamId: PEER_UNI,
              errorCode: 1,
              finalSize: 26,
            }),
          quicError(TransportError.FINAL_SIZE_ERROR),
        );
      });
    }

    it('RESET_STREAM in Data Recvd is suppressed: the data stays readable', () => {
      const [s, o] = make(PEER_UNI);
      s.onStreamFrame(frame(PEER_UNI, 0, bytes(10), true));
      s.onResetStream({ kind: 'reset_stream', streamId: PEER_UNI, errorCode: 5, finalSize: 10 });
      assert.equal(s.recvState, 'data_recvd');
      const r = s.read()!;
      assert.deepEqual([r.data, r.fin], [bytes(10), true]);
      assert.equal(s.recvState, 'data_read');
      assert.deepEqual(o.take(), [`readable ${PEER_UNI}`, `closed ${PEER_UNI}`]);
    });

    it('RESET_STREAM in Data Read is ignored, but its final size is still checked', () => {
      const [s] = make(PEER_UNI);
      s.onStreamFrame(frame(PEER_UNI, 0, bytes(10), true));
      s.read();
      assert.equal(s.recvState, 'data_read');
      s.onResetStream({ kind: 'reset_stream', streamId: PEER_UNI, errorCode: 5, finalSize: 10 });
      assert.equal(s.recvState, 'data_read');
      assert.throws(
        () =>
          s.onResetStream({
            kind: 'reset_stream',
            streamId: PEER_UNI,
            errorCode: 5,
            finalSize: 11,
          }),
        quicError(TransportError.FINAL_SIZE_ERROR),
      );
    });

    it('RESET_STREAM below received data is FINAL_SIZE_ERROR', () => {
      const [s] = make(PEER_UNI);
      s.onStreamFrame(frame(PEER_UNI, 0, bytes(10)));
      assert.throws(
        () =>
          s.onResetStream({ kind: 'reset_stream', streamId: PEER_UNI, errorCode: 5, finalSize: 9 }),
        quicError(TransportError.FINAL_SIZE_ERROR),
      );
    });

    it('rejects STREAM, RESET_STREAM and STREAM_DATA_BLOCKED on a send-only stream', () => {
      const [s] = make(LOCAL_UNI);
      assert.throws(
        () => s.onStreamFrame(frame(LOCAL_UNI, 0, bytes(1))),
        quicError(TransportError.STREAM_STATE_ERROR),
      );
      assert.throws(
        () =>
          s.onResetStream({
            kind: 'reset_stream',
            streamId: LOCAL_UNI,
            errorCode: 0,
            finalSize: 0,
          }),
        quicError(TransportError.STREAM_STATE_ERROR),
      );
      assert.throws(
        () => s.onStreamDataBlocked({ kind: 'stream_data_blocked', streamId: LOCAL_UNI, limit: 0 }),
        quicError(TransportError.STREAM_STATE_ERROR),
      );
    });

    it('enforces the stream limit and reports received bytes for the connection limit', () => {
      const [s, o] = make(PEER_UNI, { recvWindow: 100 });
      s.onStreamFrame(frame(PEER_UNI, 50, bytes(50)));
      assert.equal(o.received, 100);
      assert.throws(
        () => s.onStreamFrame(frame(PEER_UNI, 100, bytes(1))),
        quicError(TransportError.FLOW_CONTROL_ERROR),
      );
      const [t, p] = make(PEER_UNI);
      p.connLimit = 10;
      assert.throws(() => t.onStreamFrame(frame(PEER_UNI, 0, bytes(11))), quicError(3));
    });

    it('stopSending in Recv: STOP_SENDING, data dropped but counted, credit returned', () => {
      const [s, o] = make(PEER_UNI);
      s.onStreamFrame(frame(PEER_UNI, 0, bytes(10)));
      s.stopSending(9);
      assert.equal(s.stopSendingCode, 9);
      assert.equal(s.read(), null);
      assert.equal(o.consumed, 10);
      const frames = drainControl(s);
      assert.deepEqual(frames, [{ kind: 'stop_sending', streamId: PEER_UNI, errorCode: 9 }]);
      s.stopSending(9); // no-op
      assert.deepEqual(drainControl(s), []);
      s.onStreamFrame(frame(PEER_UNI, 10, bytes(10)));
      assert.equal(o.received, 20);
      assert.equal(o.consumed, 20);
      // Lost while the peer may still send: resent.
      s.onControlFrameLost(frames[0]!);
      assert.deepEqual(drainControl(s), frames);
      s.onResetStream({ kind: 'reset_stream', streamId: PEER_UNI, errorCode: 9, finalSize: 30 });
      assert.equal(s.recvState, 'reset_read');
      assert.equal(o.consumed, 30);
      s.onControlFrameLost(frames[0]!);
      assert.deepEqual(drainControl(s), [], 'not resent after the reset arrived');
    });

    it('stopSending in Size Known ends in Data Read once all data has arrived', () => {
      const [s, o] = make(PEER_UNI);
      s.onStreamFrame(frame(PEER_UNI, 10, bytes(10), true));
      s.stopSending(4);
      assert.equal(drainControl(s).length, 1);
      s.onStreamFrame(frame(PEER_UNI, 0, bytes(10)));
      assert.equal(s.recvState, 'data_read');
      assert.equal(o.consumed, 20);
      assert.ok(o.take().includes(`closed ${PEER_UNI}`));
    });

    it('stopSending after a reset or after Data Read does nothing', () => {
      const [a] = make(PEER_UNI);
      a.onResetStream({ kind: 'reset_stream', streamId: PEER_UNI, errorCode: 1, finalSize: 0 });
      a.stopSending(2);
      assert.equal(a.stopSendingCode, null);
      assert.deepEqual(drainControl(a), []);
      const [b] = make(PEER_UNI);
      b.onStreamFrame(frame(PEER_UNI, 0, bytes(1), true));
      b.read();
      b.stopSending(2);
      assert.equal(b.recvState, 'data_read');
      assert.deepEqual(drainControl(b), []);
    });

    it('accepts STREAM_DATA_BLOCKED on a receiving part as information only', () => {
      const [s] = make(PEER_UNI);
      s.onStreamDataBlocked({ kind: 'stream_data_blocked', streamId: PEER_UNI, limit: 0 });
      assert.equal(s.recvState, 'recv');
      assert.deepEqual(drainControl(s), []);
    });

    it('stopSending in Data Recvd skips to Data Read without STOP_SENDING', () => {
      const [s] = make(PEER_UNI);
      s.onStreamFrame(frame(PEER_UNI, 0, bytes(10), true));
      s.stopSending(4);
      assert.equal(s.recvState, 'data_read');
      assert.deepEqual(drainControl(s), []);
    });

    it('sends MAX_STREAM_DATA as data is read, resends it when lost, stops at Size Known', () => {
      const [s, o] = make(PEER_UNI, { recvWindow: 1000 });
      s.onStreamFrame(frame(PEER_UNI, 0, bytes(1000)));
      s.read(400);
      assert.deepEqual(drainControl(s), []);
      const before = o.sendable;
      s.read(100);
      assert.ok(o.sendable > before, 'owner told there is something to send');
      const frames = drainControl(s);
      assert.deepEqual(frames, [{ kind: 'max_stream_data', streamId: PEER_UNI, maximum: 1500 }]);
      assert.equal(s.recvLimit, 1500);
      s.read(100);
      s.onControlFrameLost(frames[0]!);
      assert.deepEqual(drainControl(s), [
        { kind: 'max_stream_data', streamId: PEER_UNI, maximum: 1600 },
      ]);
      s.onControlFrameLost(frames[0]!);
      assert.deepEqual(drainControl(s), [], 'a superseded update is not resent');
      s.onStreamFrame(frame(PEER_UNI, 1000, bytes(100), true));
      s.read();
      assert.equal(s.recvState, 'data_read');
      assert.deepEqual(drainControl(s), []);
    });

    it('auto-tunes the window when updates come faster than every 2 RTTs', () => {
      const [s] = make(PEER_UNI, { recvWindow: 1000, maxRecvWindow: 8000 });
      const rtt = 10_000;
      let offset = 0;
      let now = 0;
      for (let i = 0; i < 6; i++) {
        const n = s.recvLimit - offset;
        s.onStreamFrame(frame(PEER_UNI, offset, bytes(n)));
        offset += n;
        s.read();
        now += 1000;
        drainControl(s, now, rtt);
      }
      assert.equal(s.recvWindow, 8000);
      assert.equal(s.recvLimit, offset + 8000);
    });
  });

  describe('bidirectional streams', () => {
    it('close only when both parts are terminal', () => {
      const [s, o] = make(LOCAL_BIDI);
      s.write(bytes(5), true);
      const sent = drainData(s);
      ackAll(s, sent);
      assert.equal(s.sendState, 'data_recvd');
      assert.equal(s.isClosed, false);
      s.onStreamFrame(frame(LOCAL_BIDI, 0, bytes(3), true));
      s.read();
      assert.equal(s.isClosed, true);
      assert.deepEqual(o.take(), [`readable ${LOCAL_BIDI}`, `closed ${LOCAL_BIDI}`]);
    });

    it('resets one direction without touching the other (RFC 9000 §4.4)', () => {
      const [s] = make(PEER_BIDI);
      s.onResetStream({ kind: 'reset_stream', streamId: PEER_BIDI, errorCode: 1, finalSize: 0 });
      assert.equal(s.recvState, 'reset_read');
      assert.equal(s.sendState, 'ready');
      assert.equal(s.write(bytes(3)), 3);
    });

    it('orders control frames RESET_STREAM, STOP_SENDING, MAX_STREAM_DATA', () => {
      const [s] = make(PEER_BIDI, { recvWindow: 10 });
      s.onStreamFrame(frame(PEER_BIDI, 0, bytes(10)));
      s.read();
      s.stopSending(2);
      s.reset(1);
      assert.deepEqual(
        drainControl(s).map((f) => f.kind),
        ['reset_stream', 'stop_sending', 'max_stream_data'],
      );
    });

    it('leaves a control frame queued when it does not fit', () => {
      const [s] = make(LOCAL_BIDI);
      s.reset(1);
      assert.equal(s.pollControlFrame(2, 0, 0), null);
      assert.equal(s.hasPendingControl, true);
      assert.notEqual(s.pollControlFrame(4, 0, 0), null);
    });
  });

  describe('priority (RFC 9218)', () => {
    it('defaults to urgency 3, non-incremental, and validates changes', () => {
      const [s, o] = make(LOCAL_BIDI);
      assert.deepEqual([s.urgency, s.incremental], [3, false]);
      s.setPriority({ urgency: 0 });
      s.setPriority({ incremental: true });
      s.setPriority({ urgency: 0, incremental: true }); // unchanged: no event
      assert.deepEqual([s.urgency, s.incremental], [0, true]);
      assert.deepEqual(o.take(), [`priority ${LOCAL_BIDI}`, `priority ${LOCAL_BIDI}`]);
      assert.throws(() => s.setPriority({ urgency: 8 }), RangeError);
      assert.throws(() => s.setPriority({ urgency: 1.5 }), RangeError);
    });
  });
});
