/**
 * Robustness against a hostile peer: with the real keys of an established pair, one side forges
 * packets carrying invalid frames (RFC 9000 §12.4, §19) and the other must close with the RFC's
 * error code in a CONNECTION_CLOSE that the forger receives, without anything escaping the
 * engine and without keeping the connection's state afterwards.
 */
import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import type { CloseInfo, Connection } from '../../src/conn/connection.js';
import type { ConnectionOptions } from '../../src/conn/options.js';
import type { Engine } from '../../src/engine/engine.js';
import { forgeLongPacket, forgeShortPacket } from '../../src/testing/forge.js';
import { Writer } from '../../src/util/cursor.js';
import { TransportError } from '../../src/wire/errors.js';
import { encodeFrame } from '../../src/wire/frames.js';
import { FrameType, type Frame } from '../../src/wire/frame-types.js';
import { writeShortHeader } from '../../src/wire/header.js';
import {
  type EnginePair,
  PAIR_CLIENT_ADDRESS,
  PAIR_SERVER_ADDRESS,
  createEnginePair,
} from '../../src/testing/index.js';

const E = TransportError;

/** What a forged packet carries: frames, raw bytes after them, or both. */
interface Body {
  frames?: Frame[];
  raw?: Uint8Array;
}

function bytes(...b: number[]): Uint8Array {
  return new Uint8Array(b);
}

function pairFor(cc: string, server: Partial<ConnectionOptions> = {}): EnginePair {
  return createEnginePair({
    client: { congestionControl: cc },
    serverEngine: { connection: { congestionControl: cc, ...server } },
  });
}

function establish(p: EnginePair): Connection {
  let done = false;
  p.conn.on('handshakeDone', () => (done = true));
  assert.ok(
    p.net.runUntil(() => done && p.conn.handshakeConfirmed, 10_000_000),
    'handshake completes',
  );
  const sc = p.serverConn();
  assert.ok(sc, 'the server accepted the connection');
  assert.ok(sc.handshakeConfirmed);
  return sc;
}

/** A 1-RTT packet from `from` with its current keys, DCID and next packet number. */
function forge1Rtt(from: Connection, body: Body): Uint8Array {
  const keys = from.keys.oneRtt!;
  return forgeShortPacket({
    dcid: from.path.dcid.cid,
    packetNumber: from.spaces[PnSpace.Application].nextPn++,
    keyPhase: keys.sendKeyPhase,
    frames: body.frames ?? [],
    ...(body.raw ? { rawPayload: body.raw } : {}),
    protector: keys.write,
  });
}

/** A 1-RTT packet whose header has `reserved` in its Reserved Bits (RFC 9000 §17.3.1). */
function forge1RttReserved(from: Connection, frames: Frame[], reserved: number): Uint8Array {
  const keys = from.keys.oneRtt!;
  const pn = from.spaces[PnSpace.Application].nextPn++;
  const w = new Writer(new Uint8Array(256));
  const pnOffset = writeShortHeader(w, from.path.dcid.cid, pn, 4, keys.sendKeyPhase);
  w.buf[0] = w.buf[0]! | (reserved << 3);
  for (const f of frames) encodeFrame(w, f);
  const end = keys.write.protect(w.buf, 0, pnOffset, w.pos, pn);
  return w.buf.slice(0, end);
}

/** Long-header packet of `from` at `level` with its keys and CIDs. */
function forgeLong(from: Connection, level: 'initial' | 'handshake', body: Body): Uint8Array {
  const space = level === 'initial' ? PnSpace.Initial : PnSpace.Handshake;
  const s = from.spaces[space];
  const keys = from.keys.sealer(space);
  return forgeLongPacket({
    type: level,
    dcid: from.path.dcid.cid,
    scid: from.localCids.all()[0]!.cid,
    packetNumber: s.nextPn++,
    frames: body.frames ?? [],
    ...(body.raw ? { rawPayload: body.raw } : {}),
    protector: keys!,
    ...(level === 'initial' && from.isClient ? { minSize: 1200 } : {}),
  });
}

/** Delivers a datagram forged by `from` straight into the other side's engine. */
function inject(p: EnginePair, from: 'client' | 'server', datagram: Uint8Array): void {
  if (from === 'client')
    p.server.handleDatagram(datagram, PAIR_SERVER_ADDRESS, PAIR_CLIENT_ADDRESS, p.net.now);
  else p.client.handleDatagram(datagram, PAIR_CLIENT_ADDRESS, PAIR_SERVER_ADDRESS, p.net.now);
}

/**
 * Runs until `forger` learns of the close, and checks both ends: the victim closed locally with
 * `code`, the forger received that code in CONNECTION_CLOSE, and the victim's engine dropped it.
 */
function expectClose(
  p: EnginePair,
  victim: Connection,
  victimEngine: Engine,
  forger: Connection,
  code: number,
  frameType?: number,
): void {
  let seen: CloseInfo | null = null;
  forger.on('close', (i) => (seen = i));
  p.net.runUntil(() => seen !== null && victim.state === 'closed', 10_000_000);
  assert.equal(victim.closeInfo?.source, 'local', 'the victim closed the connection');
  assert.equal(
    victim.closeInfo.errorCode,
    code,
    `victim closed with 0x${victim.closeInfo.errorCode.toString(16)}: ${victim.closeInfo.reason}`,
  );
  assert.ok(seen, 'the forger received CONNECTION_CLOSE');
  const info = seen as CloseInfo;
  assert.equal(info.source, 'peer');
  assert.equal(info.application, false);
  assert.equal(info.errorCode, code, `peer saw 0x${info.errorCode.toString(16)}: ${info.reason}`);
  if (frameType !== undefined) assert.equal(info.frameType, frameType);
  assert.equal(victim.state, 'closed');
  assert.equal(victimEngine.connectionCount, 0, 'the victim engine forgot the connection');
}

interface OneRttCase {
  name: string;
  /** Which side breaks the rules. */
  from: 'client' | 'server';
  code: number;
  frameType?: number;
  server?: Partial<ConnectionOptions>;
  body: (forger: Connection, victim: Connection) => Body;
}

const random8 = (n: number): Uint8Array => new Uint8Array(8).fill(n);
const token = (n: number): Uint8Array => new Uint8Array(16).fill(n);

const ONE_RTT_CASES: OneRttCase[] = [
  // ---- malformed frames: FRAME_ENCODING_ERROR (RFC 9000 §12.4, §19) ----
  {
    name: 'a STREAM frame whose Length runs past the packet',
    from: 'client',
    code: E.FRAME_ENCODING_ERROR,
    frameType: 0x0a,
    body: () => ({ raw: bytes(0x0a, 0x00, 0x40, 0x64, 1, 2, 3, 4) }),
  },
  {
    name: 'an unknown frame type',
    from: 'client',
    code: E.FRAME_ENCODING_ERROR,
    frameType: 0x21,
    body: () => ({ raw: bytes(0x21, 0, 0, 0) }),
  },
  {
    name: 'MAX_STREAMS above 2^60',
    from: 'client',
    code: E.FRAME_ENCODING_ERROR,
    frameType: FrameType.MAX_STREAMS_BIDI,
    body: () => ({ raw: bytes(0x12, 0xd0, 0, 0, 0, 0, 0, 0, 1) }),
  },
  {
    name: 'NEW_TOKEN with an empty token',
    from: 'server',
    code: E.FRAME_ENCODING_ERROR,
    frameType: FrameType.NEW_TOKEN,
    body: () => ({ raw: bytes(0x07, 0x00, 0x01, 0x01) }),
  },
  {
    name: 'NEW_CONNECTION_ID with Retire Prior To above its sequence number',
    from: 'client',
    code: E.FRAME_ENCODING_ERROR,
    frameType: FrameType.NEW_CONNECTION_ID,
    body: () => ({ raw: concat(bytes(0x18, 0x05, 0x06, 0x08), random8(0xaa), token(1)) }),
  },
  {
    name: 'an ACK frame claiming 2^62-1 ranges',
    from: 'client',
    code: E.FRAME_ENCODING_ERROR,
    frameType: FrameType.ACK,
    // Largest 1 000 000, delay 0, Range Count 2^62-1, First Range 0, then 600 (gap 0, length 0)
    // ranges and the payload ends: the decoder must read, not allocate, what the count claims.
    body: () => ({
      raw: concat(
        bytes(0x02, 0x80, 0x0f, 0x42, 0x40, 0x00),
        bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00),
        new Uint8Array(1200),
      ),
    }),
  },
  {
    name: 'a STREAM frame ending beyond 2^62-1',
    from: 'client',
    code: E.FRAME_ENCODING_ERROR,
    frameType: 0x0c,
    body: () => ({ raw: bytes(0x0c, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 7) }),
  },
  // ---- frame type rules (RFC 9000 §12.4, §19.7, §19.20; RFC 9221 §3) ----
  {
    name: 'a frame type in a non-minimal encoding',
    from: 'client',
    code: E.PROTOCOL_VIOLATION,
    body: () => ({ raw: bytes(0x40, 0x01, 0x01, 0x01) }),
  },
  {
    name: 'HANDSHAKE_DONE from a client',
    from: 'client',
    code: E.PROTOCOL_VIOLATION,
    frameType: FrameType.HANDSHAKE_DONE,
    body: () => ({ frames: [{ kind: 'handshake_done' }] }),
  },
  {
    name: 'NEW_TOKEN from a client',
    from: 'client',
    code: E.PROTOCOL_VIOLATION,
    frameType: FrameType.NEW_TOKEN,
    body: () => ({ frames: [{ kind: 'new_token', token: token(3) }] }),
  },
  {
    name: 'DATAGRAM when none were advertised',
    from: 'client',
    code: E.PROTOCOL_VIOLATION,
    frameType: FrameType.DATAGRAM,
    body: () => ({ frames: [{ kind: 'datagram', data: bytes(1, 2, 3) }] }),
  },
  // ---- stream limits and states (RFC 9000 §4.6, §19.4, §19.5, §19.8, §19.10) ----
  {
    name: 'a bidirectional stream beyond the stream limit',
    from: 'client',
    code: E.STREAM_LIMIT_ERROR,
    server: { maxStreamsBidi: 10 },
    body: () => ({ frames: [stream(40, 0, 1)] }),
  },
  {
    name: 'a unidirectional stream beyond the stream limit',
    from: 'client',
    code: E.STREAM_LIMIT_ERROR,
    server: { maxStreamsUni: 3 },
    body: () => ({ frames: [stream(14, 0, 1)] }),
  },
  {
    name: 'STREAM for a server-initiated bidirectional stream never opened',
    from: 'client',
    code: E.STREAM_STATE_ERROR,
    body: () => ({ frames: [stream(1, 0, 5)] }),
  },
  {
    name: 'STREAM for a client-initiated stream the client never opened',
    from: 'server',
    code: E.STREAM_STATE_ERROR,
    body: () => ({ frames: [stream(0, 0, 5)] }),
  },
  {
    name: "STREAM on the server's own unidirectional (send-only) stream",
    from: 'client',
    code: E.STREAM_STATE_ERROR,
    body: () => ({ frames: [stream(3, 0, 5)] }),
  },
  {
    name: 'MAX_STREAM_DATA for a receive-only stream',
    from: 'client',
    code: E.STREAM_STATE_ERROR,
    body: () => ({
      frames: [stream(2, 0, 5), { kind: 'max_stream_data', streamId: 2, maximum: 100_000 }],
    }),
  },
  {
    name: 'MAX_STREAM_DATA for a locally initiated stream never opened',
    from: 'client',
    code: E.STREAM_STATE_ERROR,
    body: () => ({ frames: [{ kind: 'max_stream_data', streamId: 5, maximum: 100_000 }] }),
  },
  {
    name: 'STOP_SENDING for a receive-only stream',
    from: 'client',
    code: E.STREAM_STATE_ERROR,
    body: () => ({
      frames: [stream(2, 0, 5), { kind: 'stop_sending', streamId: 2, errorCode: 1 }],
    }),
  },
  {
    name: 'RESET_STREAM for a send-only stream',
    from: 'client',
    code: E.STREAM_STATE_ERROR,
    body: () => ({ frames: [{ kind: 'reset_stream', streamId: 3, errorCode: 1, finalSize: 0 }] }),
  },
  // ---- final size (RFC 9000 §4.5) ----
  {
    name: 'data beyond a known final size',
    from: 'client',
    code: E.FINAL_SIZE_ERROR,
    body: () => ({ frames: [stream(0, 10, 0, true), stream(0, 0, 20)] }),
  },
  {
    name: 'a second FIN with another final size',
    from: 'client',
    code: E.FINAL_SIZE_ERROR,
    body: () => ({ frames: [stream(4, 0, 10, true), stream(4, 5, 0, true)] }),
  },
  {
    name: 'RESET_STREAM with a final size below the data received',
    from: 'client',
    code: E.FINAL_SIZE_ERROR,
    body: () => ({
      frames: [
        stream(0, 0, 100),
        { kind: 'reset_stream', streamId: 0, errorCode: 7, finalSize: 50 },
      ],
    }),
  },
  // ---- flow control (RFC 9000 §4.1) ----
  {
    name: 'stream data beyond the stream window',
    from: 'client',
    code: E.FLOW_CONTROL_ERROR,
    server: { initialMaxStreamData: 4000, initialMaxData: 100_000 },
    body: () => ({ frames: [stream(0, 3999, 1), stream(4, 4000, 1)] }),
  },
  {
    name: 'stream data beyond the connection window',
    from: 'client',
    code: E.FLOW_CONTROL_ERROR,
    server: { initialMaxStreamData: 4000, initialMaxData: 12_000 },
    // Three streams fill the connection window exactly; the fourth byte elsewhere exceeds it.
    body: () => ({
      frames: [stream(0, 3999, 1), stream(4, 3999, 1), stream(8, 3999, 1), stream(12, 0, 1)],
    }),
  },
  {
    name: 'stream data at an offset of 2^53',
    from: 'client',
    code: E.FLOW_CONTROL_ERROR,
    body: () => ({ raw: bytes(0x0e, 0x00, 0xc0, 0x20, 0, 0, 0, 0, 0, 0, 0x01, 7) }),
  },
  // ---- acknowledgments (RFC 9000 §13.1) ----
  {
    name: 'an ACK of a packet number never sent',
    from: 'client',
    code: E.PROTOCOL_VIOLATION,
    frameType: FrameType.ACK,
    body: (_f, victim) => {
      const next = victim.spaces[PnSpace.Application].nextPn;
      return {
        frames: [{ kind: 'ack', ackDelay: 0, ranges: [{ smallest: 0, largest: next + 10 }] }],
      };
    },
  },
  // ---- connection IDs (RFC 9000 §5.1.1, §19.15, §19.16) ----
  {
    name: 'NEW_CONNECTION_ID beyond active_connection_id_limit',
    from: 'client',
    code: E.CONNECTION_ID_LIMIT_ERROR,
    body: () => ({
      frames: Array.from({ length: 9 }, (_, i) => ({
        kind: 'new_connection_id' as const,
        sequenceNumber: 50 + i,
        retirePriorTo: 0,
        connectionId: random8(0x60 + i),
        statelessResetToken: token(0x60 + i),
      })),
    }),
  },
  {
    name: 'NEW_CONNECTION_ID reusing a sequence number for another CID',
    from: 'server',
    code: E.PROTOCOL_VIOLATION,
    body: (forger) => {
      const cid = forger.localCids.all().find((c) => c.sequence === 1)!;
      return {
        frames: [
          {
            kind: 'new_connection_id',
            sequenceNumber: 1,
            retirePriorTo: 0,
            connectionId: cid.cid.map((b) => b ^ 0xff),
            statelessResetToken: token(9),
          },
        ],
      };
    },
  },
  {
    name: 'RETIRE_CONNECTION_ID of a sequence number never issued',
    from: 'client',
    code: E.PROTOCOL_VIOLATION,
    frameType: FrameType.RETIRE_CONNECTION_ID,
    body: () => ({ frames: [{ kind: 'retire_connection_id', sequenceNumber: 1000 }] }),
  },
  {
    name: 'RETIRE_CONNECTION_ID of the CID the packet is addressed to',
    from: 'client',
    code: E.PROTOCOL_VIOLATION,
    frameType: FrameType.RETIRE_CONNECTION_ID,
    body: (forger) => ({
      frames: [{ kind: 'retire_connection_id', sequenceNumber: forger.path.dcid.sequence }],
    }),
  },
  // ---- CRYPTO (RFC 9000 §7.5) ----
  {
    name: 'CRYPTO data far beyond the buffer',
    from: 'client',
    code: E.CRYPTO_BUFFER_EXCEEDED,
    frameType: FrameType.CRYPTO,
    body: () => ({ frames: [{ kind: 'crypto', offset: 1 << 20, data: bytes(1, 2, 3) }] }),
  },
];

function stream(id: number, offset: number, length: number, fin = false): Frame {
  return { kind: 'stream', streamId: id, offset, data: new Uint8Array(length).fill(7), fin };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

/** Runs until the server holds the client's first flight, before the client heard anything. */
function serverMidHandshake(p: EnginePair): Connection {
  assert.ok(p.net.runUntil(() => p.serverConn() !== null, 1_000_000));
  return p.serverConn()!;
}

for (const cc of ['newreno', 'cubic']) {
  describe(`scenario: robustness against invalid frames (${cc})`, function () {
    this.timeout(30_000);

    for (const c of ONE_RTT_CASES) {
      it(`${c.name} → 0x${c.code.toString(16)}`, () => {
        const p = pairFor(cc, c.server);
        const sc = establish(p);
        const [forger, victim, victimEngine] =
          c.from === 'client' ? [p.conn, sc, p.server] : [sc, p.conn, p.client];
        inject(p, c.from, forge1Rtt(forger, c.body(forger, victim)));
        expectClose(p, victim, victimEngine, forger, c.code, c.frameType);
      });
    }

    it('an ACK Delay of 2^62-1 does not disturb the RTT estimate', () => {
      const p = pairFor(cc);
      const sc = establish(p);
      const largest = sc.spaces[PnSpace.Application].nextPn - 1;
      const w = new Writer(new Uint8Array(32));
      w.u8(0x02).varint(largest).bytes(new Uint8Array(8).fill(0xff)).varint(0).varint(0);
      inject(p, 'client', forge1Rtt(p.conn, { raw: w.buf.slice(0, w.pos) }));
      p.net.runFor(100_000);
      assert.equal(sc.state, 'established');
      const st = sc.getStats();
      assert.ok(st.srttMs > 0 && st.srttMs < 1000, `smoothed RTT ${st.srttMs} ms`);
      assert.ok(Number.isFinite(sc.ptoPeriod()));
      // Data still flows both ways.
      const s = p.conn.openStream(true)!;
      s.write(new Uint8Array(50_000).fill(1), true);
      let got = 0;
      sc.on('readable', (st2) => {
        for (let r = st2.read(); r; r = st2.read()) got += r.data.length;
      });
      assert.ok(p.net.runUntil(() => got === 50_000, 5_000_000));
    });

    it('a 1-RTT packet with reserved bits set → PROTOCOL_VIOLATION', () => {
      const p = pairFor(cc);
      const sc = establish(p);
      inject(p, 'client', forge1RttReserved(p.conn, [{ kind: 'ping' }, pad(8)], 0b10));
      expectClose(p, sc, p.server, p.conn, E.PROTOCOL_VIOLATION);
    });

    it('a 1-RTT packet without frames → PROTOCOL_VIOLATION', () => {
      const p = pairFor(cc);
      const sc = establish(p);
      const d = forge1Rtt(p.conn, {});
      // 1 + CID + 4-byte packet number + 16-byte tag: nothing in between.
      assert.equal(d.length, 1 + p.conn.path.dcid.cid.length + 4 + 16);
      inject(p, 'client', d);
      expectClose(p, sc, p.server, p.conn, E.PROTOCOL_VIOLATION);
    });

    it('STREAM in an Initial packet → PROTOCOL_VIOLATION', () => {
      const p = pairFor(cc);
      const sc = serverMidHandshake(p);
      inject(p, 'client', forgeLong(p.conn, 'initial', { frames: [stream(0, 0, 10)] }));
      expectClose(p, sc, p.server, p.conn, E.PROTOCOL_VIOLATION);
    });

    it('CRYPTO beyond the buffer in an Initial packet → CRYPTO_BUFFER_EXCEEDED', () => {
      const p = pairFor(cc);
      const sc = serverMidHandshake(p);
      const frames: Frame[] = [{ kind: 'crypto', offset: 200_000, data: bytes(1) }];
      inject(p, 'client', forgeLong(p.conn, 'initial', { frames }));
      expectClose(p, sc, p.server, p.conn, E.CRYPTO_BUFFER_EXCEEDED);
    });

    for (const f of [
      { name: 'HANDSHAKE_DONE', frame: { kind: 'handshake_done' } as Frame },
      { name: 'STREAM', frame: stream(0, 0, 10) },
      { name: 'NEW_TOKEN', frame: { kind: 'new_token', token: token(1) } as Frame },
    ]) {
      it(`${f.name} in a Handshake packet → PROTOCOL_VIOLATION`, () => {
        const p = pairFor(cc);
        const sc = serverMidHandshake(p);
        // The client has its Handshake keys; its Finished has not reached the server yet.
        assert.ok(p.net.runUntil(() => p.conn.keys.sealer(PnSpace.Handshake) !== null, 1_000_000));
        assert.equal(sc.state, 'handshake');
        inject(p, 'client', forgeLong(p.conn, 'handshake', { frames: [f.frame] }));
        expectClose(p, sc, p.server, p.conn, E.PROTOCOL_VIOLATION);
      });
    }

    it('an Initial packet with reserved bits set → PROTOCOL_VIOLATION', () => {
      const p = pairFor(cc);
      const sc = serverMidHandshake(p);
      const s = p.conn.spaces[PnSpace.Initial];
      const pn = s.nextPn++;
      // Build the packet unprotected, set a Reserved Bit, then protect it (RFC 9000 §17.2).
      const w = new Writer(new Uint8Array(1200));
      const dcid = p.conn.path.dcid.cid;
      const scid = p.conn.localCids.all()[0]!.cid;
      w.u8(0xc3).u32(1).u8(dcid.length).bytes(dcid).u8(scid.length).bytes(scid).u8(0);
      const lengthOffset = w.pos;
      w.u16(0);
      const pnOffset = w.pos;
      w.u32(pn);
      w.u8(0x01);
      w.zeros(1200 - 16 - w.pos);
      w.buf[0] = w.buf[0]! | 0x04;
      const len = 1200 - pnOffset;
      w.buf[lengthOffset] = 0x40 | (len >> 8);
      w.buf[lengthOffset + 1] = len & 0xff;
      p.conn.keys.sealer(PnSpace.Initial)!.protect(w.buf, 0, pnOffset, w.pos, pn);
      inject(p, 'client', w.buf);
      expectClose(p, sc, p.server, p.conn, E.PROTOCOL_VIOLATION);
    });
  });
}

function pad(n: number): Frame {
  return { kind: 'padding', length: n };
}
