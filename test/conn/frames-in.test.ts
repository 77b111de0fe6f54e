import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { SentPacket } from '../../src/ack/sent.js';
import { CouplingGroup } from '../../src/cc/coupling.js';
import { PeerCids } from '../../src/conn/cids.js';
import type { ConnectionContext } from '../../src/conn/context.js';
import { handleFrame } from '../../src/conn/frames-in.js';
import { resolveOptions } from '../../src/conn/options.js';
import { PathState } from '../../src/conn/path-state.js';
import { newSendControl } from '../../src/conn/send-controls.js';
import type { SentFrame } from '../../src/conn/sent-frames.js';
import { MAX_CRYPTO_BUFFER, SpaceState } from '../../src/conn/space.js';
import { ConnectionStats } from '../../src/conn/stats.js';
import type { CloseInfo } from '../../src/conn/state.js';
import { SendRange } from '../../src/stream/send-buffer.js';
import { Level } from '../../src/tls/types.js';
import { utf8 } from '../../src/util/bytes.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';
import { FrameType, type Frame } from '../../src/wire/frame-types.js';
import { SentFrameList } from '../../src/conn/sent-frames.js';

const A = { address: '10.0.0.1', port: 1000 };
const B = { address: '10.0.0.2', port: 2000 };

/** A connection as the frame handlers see it, recording what they hand on. */
function fakeConnection(isClient: boolean, opts: { maxDatagramFrameSize?: number } = {}) {
  const options = resolveOptions({ alpn: ['t'], initialRtt: 100, ...opts });
  const cid = { sequence: 0, cid: new Uint8Array(8), sentTo: null };
  const events: [string, unknown][] = [];
  const crypto: [Level, Uint8Array][] = [];
  const closes: CloseInfo[] = [];
  return {
    isClient,
    opts: options,
    rx: { space: PnSpace.Initial as PnSpace, pathId: 0, dcid: new Uint8Array(8) },
    stats: new ConnectionStats(),
    path: new PathState(
      A,
      B,
      newSendControl(options, isClient, true, new CouplingGroup()),
      true,
      cid,
    ),
    spaces: [
      new SpaceState(PnSpace.Initial, 25_000),
      new SpaceState(PnSpace.Handshake, 25_000),
      new SpaceState(PnSpace.Application, 25_000),
    ] as [SpaceState, SpaceState, SpaceState],
    peerCids: { current: cid },
    peerParams: null,
    multipath: null,
    handshakeComplete: false,
    qlog: undefined,
    /** Where acknowledged packets' descriptor arrays go back (retransmit.ts onPacketsAcked). */
    builder: { frames: new SentFrameList() },
    events,
    emit(name: string, value: unknown) {
      events.push([name, value]);
    },
    crypto,
    receiveCrypto(level: Level, data: Uint8Array) {
      crypto.push([level, data]);
    },
    closes,
    onPeerClose(info: CloseInfo) {
      closes.push(info);
    },
  };
}
type Fake = ReturnType<typeof fakeConnection>;
const ctx = (c: Fake) => c as unknown as ConnectionContext;

/** Runs the handler and returns the QuicError it threw (fails the test if it threw none). */
function violation(conn: Fake, frame: Frame): QuicError {
  try {
    handleFrame(ctx(conn), frame, 1000);
  } catch (e) {
    assert.ok(e instanceof QuicError, `a QuicError, not ${String(e)}`);
    return e;
  }
  assert.fail(`${frame.kind} was accepted`);
}

/** Sends packet `pn` of `space` at time 0 carrying 100 bytes of CRYPTO data. */
function sendCrypto(conn: Fake, space: PnSpace, pn: number): void {
  const buf = conn.spaces[space].cryptoSend;
  const offset = buf.written;
  buf.write(new Uint8Array(100));
  assert.ok(buf.nextRange(100, Infinity, new SendRange()));
  const frames: SentFrame[] = [{ k: 'crypto', space, offset, length: 100 }];
  conn.path.sendControl.onPacketSent(space, new SentPacket(pn, 0, 1200, true, true, frames));
}

describe('conn/frames-in: handling received frames (RFC 9000 §19)', () => {
  describe('frames a peer in that role may not send: PROTOCOL_VIOLATION', () => {
    it('NEW_TOKEN received by a server (RFC 9000 §19.7)', () => {
      const e = violation(fakeConnection(false), { kind: 'new_token', token: new Uint8Array(4) });
      assert.equal(e.code, TransportError.PROTOCOL_VIOLATION);
      assert.equal(e.frameType, FrameType.NEW_TOKEN);
    });

    it('a client hands the NEW_TOKEN token on, as a copy (RFC 9000 §19.7)', () => {
      const conn = fakeConnection(true);
      const token = new Uint8Array([1, 2, 3]);
      handleFrame(ctx(conn), { kind: 'new_token', token }, 0);
      assert.equal(conn.events.length, 1);
      const [name, value] = conn.events[0]!;
      assert.equal(name, 'newToken');
      assert.deepEqual(value, token);
      token[0] = 9;
      assert.equal((value as Uint8Array)[0], 1, 'not a view of the packet buffer');
    });

    it('HANDSHAKE_DONE received by a server (RFC 9000 §19.20)', () => {
      const e = violation(fakeConnection(false), { kind: 'handshake_done' });
      assert.equal(e.code, TransportError.PROTOCOL_VIOLATION);
      assert.equal(e.frameType, FrameType.HANDSHAKE_DONE);
    });

    it('NEW_CONNECTION_ID from a peer using a zero-length CID (RFC 9000 §19.15)', () => {
      const conn = fakeConnection(true);
      conn.peerCids.current.cid = new Uint8Array(0);
      const e = violation(conn, {
        kind: 'new_connection_id',
        sequenceNumber: 1,
        retirePriorTo: 0,
        connectionId: new Uint8Array(8),
        statelessResetToken: new Uint8Array(16),
      });
      assert.equal(e.code, TransportError.PROTOCOL_VIOLATION);
      assert.equal(e.frameType, FrameType.NEW_CONNECTION_ID);
    });

    it('PATH_ACK without negotiated multipath (RFC 10069 §2)', () => {
      const e = violation(fakeConnection(true), {
        kind: 'path_ack',
        pathId: 0,
        ackDelay: 0,
        ranges: [{ smallest: 0, largest: 0 }],
      } as Frame);
      assert.equal(e.code, TransportError.PROTOCOL_VIOLATION);
      assert.equal(e.frameType, FrameType.PATH_ACK);
    });
  });

  it('NEW_CONNECTION_ID with Retire Prior To moves the path off the retired CID and retires it (RFC 9000 §5.1.2)', () => {
    const conn = fakeConnection(true);
    const peerCids = new PeerCids(new Uint8Array(8).fill(0xa0), 8);
    const retired: number[] = [];
    let tokenUpdates = 0;
    const c = Object.assign(conn, {
      peerCids,
      paths: { probe: null },
      controlFrames: { retireCids: (seqs: number[]) => retired.push(...seqs.splice(0)) },
      onPeerResetTokens: () => tokenUpdates++,
    });
    c.path.dcid = peerCids.current;
    handleFrame(
      ctx(c),
      {
        kind: 'new_connection_id',
        sequenceNumber: 1,
        retirePriorTo: 1,
        connectionId: new Uint8Array(8).fill(0xa1),
        statelessResetToken: new Uint8Array(16).fill(1),
      },
      0,
    );
    assert.equal(c.path.dcid.sequence, 1, 'the path uses the new CID');
    assert.deepEqual(c.path.dcid.cid, new Uint8Array(8).fill(0xa1));
    assert.deepEqual(retired, [0], 'RETIRE_CONNECTION_ID for sequence 0');
    assert.equal(tokenUpdates, 1, 'the reset tokens to watch for change');
  });

  describe('DATAGRAM (RFC 9221 §3)', () => {
    it('without our max_datagram_frame_size: PROTOCOL_VIOLATION', () => {
      const e = violation(fakeConnection(true), { kind: 'datagram', data: new Uint8Array(1) });
      assert.equal(e.code, TransportError.PROTOCOL_VIOLATION);
      assert.equal(e.frameType, FrameType.DATAGRAM);
    });

    it('larger than our max_datagram_frame_size: PROTOCOL_VIOLATION; up to it: delivered', () => {
      const conn = fakeConnection(true, { maxDatagramFrameSize: 100 });
      const e = violation(conn, { kind: 'datagram', data: new Uint8Array(101) });
      assert.equal(e.code, TransportError.PROTOCOL_VIOLATION);
      handleFrame(ctx(conn), { kind: 'datagram', data: new Uint8Array(100).fill(5) }, 0);
      assert.equal(conn.events.length, 1);
      assert.equal(conn.events[0]![0], 'datagram');
      assert.deepEqual(conn.events[0]![1], new Uint8Array(100).fill(5));
    });
  });

  describe('CRYPTO (RFC 9000 §19.6)', () => {
    it('contiguous data goes to TLS at the level of its space (RFC 9001 §4.1.3)', () => {
      const conn = fakeConnection(true);
      conn.rx.space = PnSpace.Handshake;
      handleFrame(ctx(conn), { kind: 'crypto', offset: 3, data: new Uint8Array([4, 5]) }, 0);
      assert.equal(conn.crypto.length, 0, 'a gap: nothing for TLS yet');
      handleFrame(ctx(conn), { kind: 'crypto', offset: 0, data: new Uint8Array([1, 2, 3]) }, 0);
      assert.deepEqual(conn.crypto, [[Level.Handshake, new Uint8Array([1, 2, 3, 4, 5])]]);
    });

    it('data beyond the buffer is CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5)', () => {
      const conn = fakeConnection(true);
      const e = violation(conn, {
        kind: 'crypto',
        offset: MAX_CRYPTO_BUFFER,
        data: new Uint8Array(1),
      });
      assert.equal(e.code, TransportError.CRYPTO_BUFFER_EXCEEDED);
    });
  });

  describe('ACK (RFC 9000 §19.3, RFC 9002 §6)', () => {
    it('acknowledged CRYPTO data is released; the ACK is counted', () => {
      const conn = fakeConnection(true);
      sendCrypto(conn, PnSpace.Initial, 0);
      assert.ok(conn.path.sendControl.bytesInFlight > 0);
      handleFrame(
        ctx(conn),
        { kind: 'ack', ackDelay: 0, ranges: [{ smallest: 0, largest: 0 }] },
        50_000,
      );
      assert.equal(conn.spaces[PnSpace.Initial].cryptoSend.ackedOffset, 100);
      assert.equal(conn.path.sendControl.bytesInFlight, 0);
      assert.equal(conn.stats.acksReceived, 1);
      assert.equal(conn.stats.packetsLost, 0);
    });

    it('a packet three below the largest acknowledged is lost and its CRYPTO data requeued (RFC 9002 §6.1.1)', () => {
      const conn = fakeConnection(true);
      for (let pn = 0; pn < 4; pn++) sendCrypto(conn, PnSpace.Initial, pn);
      handleFrame(
        ctx(conn),
        { kind: 'ack', ackDelay: 0, ranges: [{ smallest: 3, largest: 3 }] },
        50_000,
      );
      assert.equal(conn.stats.packetsLost, 1);
      assert.equal(conn.stats.lossEvents, 1);
      const buf = conn.spaces[PnSpace.Initial].cryptoSend;
      assert.equal(conn.spaces[PnSpace.Initial].hasCryptoToSend, true);
      const again = new SendRange();
      assert.ok(buf.nextRange(1000, Infinity, again));
      assert.equal(again.offset, 0, 'the lost packet 0 goes first');
    });

    it('an ACK of a packet never sent is PROTOCOL_VIOLATION (RFC 9000 §13.1)', () => {
      const conn = fakeConnection(true);
      sendCrypto(conn, PnSpace.Initial, 0);
      const e = violation(conn, {
        kind: 'ack',
        ackDelay: 0,
        ranges: [{ smallest: 5, largest: 5 }],
      });
      assert.equal(e.code, TransportError.PROTOCOL_VIOLATION);
      assert.equal(e.frameType, FrameType.ACK);
    });
  });

  it('CONNECTION_CLOSE hands the peer close on, with the frame type of a transport close only (RFC 9000 §19.19)', () => {
    const conn = fakeConnection(true);
    handleFrame(
      ctx(conn),
      {
        kind: 'connection_close',
        application: false,
        errorCode: TransportError.FLOW_CONTROL_ERROR,
        frameType: FrameType.NEW_TOKEN,
        reason: utf8('too much'),
      },
      0,
    );
    handleFrame(
      ctx(conn),
      {
        kind: 'connection_close',
        application: true,
        errorCode: 7,
        frameType: 0,
        reason: utf8('bye'),
      },
      0,
    );
    assert.deepEqual(conn.closes, [
      {
        source: 'peer',
        errorCode: TransportError.FLOW_CONTROL_ERROR,
        application: false,
        reason: 'too much',
        frameType: FrameType.NEW_TOKEN,
      },
      { source: 'peer', errorCode: 7, application: true, reason: 'bye' },
    ]);
  });

  it('PADDING and PING change nothing (RFC 9000 §19.1, §19.2)', () => {
    const conn = fakeConnection(false);
    handleFrame(ctx(conn), { kind: 'padding', length: 10 } as Frame, 0);
    handleFrame(ctx(conn), { kind: 'ping' }, 0);
    assert.equal(conn.events.length + conn.crypto.length + conn.closes.length, 0);
  });
});
