import assert from 'node:assert/strict';
import { ControlFrames } from '../../src/conn/control-frames.js';
import { SentFrameList, type SentFrame } from '../../src/conn/sent-frames.js';
import { Reader, Writer } from '../../src/util/cursor.js';
import { decodeFrame } from '../../src/wire/frames.js';
import type { Frame } from '../../src/wire/frame-types.js';

function decodeAll(w: Writer): Frame[] {
  const r = new Reader(w.view());
  const out: Frame[] = [];
  while (r.remaining > 0) out.push(decodeFrame(r));
  return out;
}

function sent(list: SentFrameList): SentFrame[] {
  return list.take();
}

function writer(size: number): Writer {
  return new Writer(new Uint8Array(size));
}

describe('conn/control-frames: frames waiting for a 1-RTT packet (RFC 9000 §13.3)', () => {
  it('writes control frames in order, as many as fit, and records them for loss', () => {
    const c = new ControlFrames();
    assert.equal(c.hasPending, false);
    c.queue({ kind: 'handshake_done' });
    c.queue({ kind: 'new_token', token: new Uint8Array(40).fill(7) });
    c.retireCids([3, 4]);
    assert.ok(c.hasPending);
    assert.equal(c.queued('retire_connection_id'), 2);
    const w = writer(100);
    const frames = new SentFrameList();
    // Room for HANDSHAKE_DONE (1) and NEW_TOKEN (1 + 1 + 40) only.
    assert.ok(c.writeControl(w, 43, frames));
    assert.deepEqual(
      decodeAll(w).map((f) => f.kind),
      ['handshake_done', 'new_token'],
    );
    assert.deepEqual(
      sent(frames).map((f) => (f.k === 'control' ? f.frame.kind : f.k)),
      ['handshake_done', 'new_token'],
    );
    assert.equal(c.queued('retire_connection_id'), 2, 'what did not fit waits');
    const w2 = writer(100);
    assert.ok(c.writeControl(w2, 100, new SentFrameList()));
    assert.deepEqual(
      decodeAll(w2).map((f) => (f.kind === 'retire_connection_id' ? f.sequenceNumber : -1)),
      [3, 4],
    );
    assert.equal(c.hasPending, false);
    assert.equal(c.writeControl(writer(100), 100, new SentFrameList()), false);
  });

  it('announces issued CIDs once, taking them from the pending list', () => {
    const c = new ControlFrames();
    const pending = [
      { sequence: 1, cid: new Uint8Array(8).fill(1), resetToken: new Uint8Array(16) },
    ];
    c.announceCids(pending);
    assert.equal(pending.length, 0);
    c.announceCids(pending);
    assert.equal(c.queued('new_connection_id'), 1);
    const retire: number[] = [];
    c.retireCids(retire);
    assert.equal(c.queued('retire_connection_id'), 0);
  });

  it('requeues a lost frame unless it is a NEW_CONNECTION_ID for a retired CID', () => {
    const c = new ControlFrames();
    const active = { isActive: (seq: number): boolean => seq === 2 };
    const ncid = (seq: number): Frame => ({
      kind: 'new_connection_id',
      sequenceNumber: seq,
      retirePriorTo: 0,
      connectionId: new Uint8Array(8),
      statelessResetToken: new Uint8Array(16),
    });
    c.onLost(ncid(1), active);
    c.onLost(ncid(2), active);
    c.onLost({ kind: 'handshake_done' }, active);
    c.onLost({ kind: 'retire_connection_id', sequenceNumber: 5 }, active);
    c.onLost({ kind: 'ping' }, active);
    assert.equal(c.queued('new_connection_id'), 1);
    assert.equal(c.queued('handshake_done'), 1);
    assert.equal(c.queued('retire_connection_id'), 1);
    assert.equal(c.queued('ping'), 0);
  });

  it('keeps at most 64 DATAGRAMs, dropping the oldest; copies what it keeps', () => {
    const c = new ControlFrames();
    for (let i = 0; i < 70; i++) c.queueDatagram(Uint8Array.of(i, i));
    const data = Uint8Array.of(99);
    c.queueDatagram(data);
    data[0] = 0;
    const w = writer(2000);
    const frames = new SentFrameList();
    assert.ok(c.writeDatagrams(w, 2000, frames, 1452));
    const got = decodeAll(w).map((f) => (f.kind === 'datagram' ? f.data[0]! : -1));
    assert.equal(got.length, 64);
    assert.equal(got[0], 7, 'the 7 oldest went');
    assert.equal(got[63], 99, 'a copy, not the caller array');
    assert.ok(
      sent(frames).every((f) => f.k === 'none'),
      'DATAGRAMs are not retransmitted',
    );
  });

  it('drops a queued DATAGRAM that no longer fits the path (the PMTU fell), not the ones after it', () => {
    const c = new ControlFrames();
    c.queueDatagram(new Uint8Array(1300).fill(1));
    c.queueDatagram(Uint8Array.of(2));
    const w = writer(2000);
    const frames = new SentFrameList();
    assert.ok(c.writeDatagrams(w, 2000, frames, 1200));
    const got = decodeAll(w).map((f) => (f.kind === 'datagram' ? f.data.length : -1));
    assert.deepEqual(got, [1]);
    assert.equal(c.hasPending, false);
  });

  it('a PING is owed until sent; closing drops control frames, DATAGRAMs and the PING', () => {
    const c = new ControlFrames();
    c.requestPing();
    assert.ok(c.pingPending && c.hasPending);
    c.pingSent();
    assert.equal(c.hasPending, false);
    c.queue({ kind: 'handshake_done' });
    c.queueDatagram(Uint8Array.of(1));
    c.requestPing();
    c.clear();
    // RFC 9000 §10.2: a closing endpoint sends nothing but CONNECTION_CLOSE.
    assert.equal(c.pingPending, false, 'the owed PING is dropped too');
    assert.equal(c.hasPending, false);
  });
});

describe('conn/control-frames: a queued DATAGRAM is a copy', () => {
  it('a Node Buffer the caller reuses after queueing leaves the frame unchanged', () => {
    const c = new ControlFrames();
    const b = Buffer.from('hello datagram');
    c.queueDatagram(b);
    b.fill(0x21); // the caller reuses its buffer (Buffer#slice would have been a view)
    const w = writer(200);
    assert.ok(c.writeDatagrams(w, 200, new SentFrameList(), 1452));
    const [f] = decodeAll(w);
    assert.equal(f!.kind, 'datagram');
    assert.equal(Buffer.from((f as { data: Uint8Array }).data).toString(), 'hello datagram');
  });
});
