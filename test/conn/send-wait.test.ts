import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { ControlFrames } from '../../src/conn/control-frames.js';
import { EncryptionLevels } from '../../src/conn/encryption-levels.js';
import {
  ackDeadline,
  framesWaiting,
  SendWait,
  type SendWaitSource,
} from '../../src/conn/send-wait.js';
import { SpaceState } from '../../src/conn/space.js';

/** A connection as the bookkeeping sees it, with a pacer release time and pending work set. */
function fakeConnection() {
  const state = { release: 0, pending: false, streamsPending: false, pathFrames: false };
  const conn = {
    spaces: [
      new SpaceState(PnSpace.Initial, 25_000),
      new SpaceState(PnSpace.Handshake, 25_000),
      new SpaceState(PnSpace.Application, 25_000),
    ] as [SpaceState, SpaceState, SpaceState],
    multipath: null,
    path: { sendControl: { nextSendTime: () => state.release } },
    paths: {
      get hasPendingSend() {
        return state.pathFrames;
      },
    },
    controlFrames: new ControlFrames(),
    keys: new EncryptionLevels(true),
    isClient: true,
    streams: {
      get hasPendingSend() {
        return state.streamsPending;
      },
    },
    hasPendingSend: () => state.pending,
  };
  return { state, conn, source: conn as unknown as SendWaitSource };
}

describe('conn/send-wait: what the sender waits for (RFC 9002 §7.7)', () => {
  it('with nothing received and nothing pending, needs no timer', () => {
    const { source } = fakeConnection();
    const w = new SendWait(source);
    assert.equal(w.nextTimeout(), Infinity);
    assert.equal(w.onNothingSent(1_000), true);
    assert.equal(w.nextTimeout(), Infinity);
  });

  it('held back by the pacer only: the release time is the deadline', () => {
    const { state, source } = fakeConnection();
    const w = new SendWait(source);
    state.release = 5_000;
    state.pending = true;
    assert.equal(w.onNothingSent(1_000), false, 'not idle: the pacer holds data back');
    assert.equal(w.nextTimeout(), 5_000);
    // Once nothing waits any more, the pacer's time is no deadline.
    state.pending = false;
    assert.equal(w.nextTimeout(), Infinity);
  });

  it('blocked by the window (no release time): idle until new input', () => {
    const { state, source } = fakeConnection();
    const w = new SendWait(source);
    state.release = Infinity;
    state.pending = true;
    assert.equal(w.onNothingSent(1_000), true);
    assert.equal(w.nextTimeout(), Infinity, 'only new input can help');
    w.reset();
    assert.equal(w.nextTimeout(), 0, 'after new input the next poll decides again: now');
  });

  it('idle: keeps the ACK deadlines ahead of the poll, not one already due', () => {
    const { state, conn, source } = fakeConnection();
    const w = new SendWait(source);
    const app = conn.spaces[PnSpace.Application];
    app.tracker.onPacketReceived(0, true, 1_000);
    const due = app.tracker.ackDeadline();
    assert.ok(due > 1_000 && due < Infinity, 'one ack-eliciting packet: an ACK is due later');
    assert.equal(ackDeadline(source, -Infinity), due);
    state.release = Infinity;
    // A poll before the deadline: the ACK deadline stays the timer.
    assert.equal(w.onNothingSent(1_000), true);
    assert.equal(w.nextTimeout(), due);
    // A poll after it that still sent nothing (amplification limit): only new input helps.
    assert.equal(w.onNothingSent(due), true);
    assert.equal(w.nextTimeout(), Infinity);
    w.reset();
    assert.equal(w.nextTimeout(), due);
  });

  it('ignores the ACK deadlines of discarded spaces', () => {
    const { conn, source } = fakeConnection();
    conn.spaces[PnSpace.Initial].tracker.onPacketReceived(0, true, 10);
    assert.ok(ackDeadline(source, -Infinity) < Infinity);
    conn.spaces[PnSpace.Initial].discard();
    assert.equal(ackDeadline(source, -Infinity), Infinity);
  });

  it('counts control frames, CRYPTO data, probes and path frames as waiting', () => {
    const { state, conn, source } = fakeConnection();
    assert.equal(framesWaiting(source), false);
    conn.controlFrames.requestPing();
    assert.equal(framesWaiting(source), true);
    conn.controlFrames.pingSent();
    conn.spaces[PnSpace.Handshake].cryptoSend.write(new Uint8Array(10));
    assert.equal(framesWaiting(source), true);
    conn.spaces[PnSpace.Handshake].discard();
    assert.equal(framesWaiting(source), false, 'a discarded space sends nothing');
    conn.spaces[PnSpace.Initial].probes = 1;
    assert.equal(framesWaiting(source), true);
    conn.spaces[PnSpace.Initial].probes = 0;
    state.pathFrames = true;
    assert.equal(framesWaiting(source), true);
  });

  it('counts stream data only once keys can carry it', () => {
    const { state, source } = fakeConnection();
    state.streamsPending = true;
    // No 1-RTT or 0-RTT keys yet: stream data cannot leave.
    assert.equal(framesWaiting(source), false);
  });
});
