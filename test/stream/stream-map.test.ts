import assert from 'node:assert/strict';
import type { StreamControlFrame } from '../../src/stream/frame-size.js';
import { StreamChunk, type Stream } from '../../src/stream/stream.js';
import {
  StreamMap,
  type StreamMapEvents,
  type StreamTransportParams,
} from '../../src/stream/stream-map.js';
import { TransportError } from '../../src/wire/errors.js';
import type { StreamFrame } from '../../src/wire/frame-types.js';
import { bytes, quicError } from './helpers.js';
import { Rng } from './rng.js';

class Events implements StreamMapEvents {
  readonly log: string[] = [];
  readonly opened: Stream[] = [];
  sendPending = 0;
  onStreamOpened(s: Stream): void {
    this.opened.push(s);
    this.log.push(`opened ${s.id}`);
  }
  onStreamReadable(s: Stream): void {
    this.log.push(`readable ${s.id}`);
  }
  onStreamWritable(s: Stream): void {
    this.log.push(`writable ${s.id}`);
  }
  onStreamReset(s: Stream, code: number): void {
    this.log.push(`reset ${s.id} ${code}`);
  }
  onStreamStopSending(s: Stream, code: number): void {
    this.log.push(`stop ${s.id} ${code}`);
  }
  onStreamClosed(s: Stream): void {
    this.log.push(`closed ${s.id}`);
  }
  onStreamAcked(s: Stream): void {
    this.log.push(`acked ${s.id}`);
  }
  onStreamsAvailable(bidi: boolean): void {
    this.log.push(`available ${bidi ? 'bidi' : 'uni'}`);
  }
  onSendPending(): void {
    this.sendPending++;
  }
  take(): string[] {
    return this.log.splice(0);
  }
}

const PARAMS: StreamTransportParams = {
  initialMaxData: 1 << 20,
  initialMaxStreamDataBidiLocal: 1 << 16,
  initialMaxStreamDataBidiRemote: 1 << 16,
  initialMaxStreamDataUni: 1 << 16,
  initialMaxStreamsBidi: 4,
  initialMaxStreamsUni: 2,
};

/** The connection's default buffer and window caps (src/conn/options.ts). */
const SIZES = { sendBufferLimit: 1 << 20, maxStreamWindow: 8 << 20, maxConnectionWindow: 16 << 20 };

function makeMap(
  isClient: boolean,
  local: Partial<StreamTransportParams> = {},
  peer: Partial<StreamTransportParams> | null = {},
): [StreamMap, Events] {
  const events = new Events();
  const map = new StreamMap({ isClient, local: { ...PARAMS, ...local }, ...SIZES }, events);
  if (peer !== null) map.setPeerTransportParams({ ...PARAMS, ...peer });
  return [map, events];
}

function sf(streamId: number, offset: number, data: Uint8Array, fin = false): StreamFrame {
  return { kind: 'stream', streamId, offset, data, fin };
}

function controls(map: StreamMap, now = 0, rtt = 0): StreamControlFrame[] {
  const out: StreamControlFrame[] = [];
  for (
    let f = map.pollControlFrame(100, now, rtt);
    f !== null;
    f = map.pollControlFrame(100, now, rtt)
  ) {
    out.push(f);
  }
  return out;
}

/** Polls all STREAM frames: [streamId, offset, length, fin]. */
function dataFrames(map: StreamMap, maxFrameBytes = 1200): [number, number, number, boolean][] {
  const out: [number, number, number, boolean][] = [];
  const chunk = new StreamChunk();
  while (map.pollStreamData(maxFrameBytes, chunk)) {
    out.push([chunk.streamId, chunk.offset, chunk.length, chunk.fin]);
  }
  return out;
}

describe('stream/stream-map', () => {
  describe('stream IDs and local limits', () => {
    it('numbers streams by initiator and direction (RFC 9000 §2.1)', () => {
      const [client] = makeMap(true);
      assert.deepEqual(
        [
          client.open(true)!.id,
          client.open(true)!.id,
          client.open(false)!.id,
          client.open(false)!.id,
        ],
        [0, 4, 2, 6],
      );
      const [server] = makeMap(false);
      assert.deepEqual(
        [
          server.open(true)!.id,
          server.open(true)!.id,
          server.open(false)!.id,
          server.open(false)!.id,
        ],
        [1, 5, 3, 7],
      );
    });

    it('cannot open streams before the peer allows any', () => {
      const [map] = makeMap(true, {}, null);
      assert.equal(map.open(true), null);
      assert.equal(map.openableStreams(true), 0);
    });

    it('opens within MAX_STREAMS, queues STREAMS_BLOCKED once, resumes when raised', () => {
      const [map, ev] = makeMap(true, {}, { initialMaxStreamsBidi: 2 });
      assert.equal(map.openableStreams(true), 2);
      map.open(true);
      map.open(true);
      assert.equal(map.open(true), null);
      assert.equal(map.open(true), null);
      const blocked = controls(map);
      assert.deepEqual(blocked, [{ kind: 'streams_blocked', bidi: true, limit: 2 }]);
      map.onControlFrameLost(blocked[0]!);
      assert.deepEqual(controls(map), blocked, 'resent while still blocked');
      map.onMaxStreams({ kind: 'max_streams', bidi: true, maximum: 1 });
      assert.deepEqual(ev.take(), [], 'a lower MAX_STREAMS is ignored');
      map.onMaxStreams({ kind: 'max_streams', bidi: true, maximum: 3 });
      assert.deepEqual(ev.take(), ['available bidi']);
      assert.equal(map.open(true)!.id, 8);
      map.onControlFrameLost(blocked[0]!);
      assert.deepEqual(controls(map), [], 'no longer blocked at that limit');
      assert.equal(map.open(true), null);
      assert.deepEqual(controls(map), [{ kind: 'streams_blocked', bidi: true, limit: 3 }]);
    });

    it('rejects MAX_STREAMS and STREAMS_BLOCKED above 2^60', () => {
      const [map] = makeMap(true);
      assert.throws(
        () => map.onMaxStreams({ kind: 'max_streams', bidi: false, maximum: 2 ** 60 + 2 ** 10 }),
        quicError(TransportError.FRAME_ENCODING_ERROR),
      );
      assert.throws(
        () => map.onStreamsBlocked({ kind: 'streams_blocked', bidi: true, limit: 2 ** 61 }),
        quicError(TransportError.FRAME_ENCODING_ERROR),
      );
      map.onMaxStreams({ kind: 'max_streams', bidi: false, maximum: 2 ** 60 });
      assert.throws(
        () => map.setPeerTransportParams({ ...PARAMS, initialMaxStreamsUni: 2 ** 61 }),
        quicError(TransportError.TRANSPORT_PARAMETER_ERROR),
      );
    });
  });

  describe('peer streams', () => {
    it('opens lower-numbered streams of the same type first (RFC 9000 §3.2)', () => {
      const [server, ev] = makeMap(false);
      server.onStreamFrame(sf(8, 0, bytes(3)));
      assert.deepEqual(ev.take(), ['opened 0', 'opened 4', 'opened 8', 'readable 8']);
      server.onStreamFrame(sf(4, 0, bytes(2)));
      assert.deepEqual(ev.take(), ['readable 4']);
      server.onStreamFrame(sf(2, 0, bytes(2)));
      assert.deepEqual(ev.take(), ['opened 2', 'readable 2']);
      assert.equal(server.size, 4);
    });

    it('opens a peer stream on RESET_STREAM or STREAM_DATA_BLOCKED', () => {
      const [server, ev] = makeMap(false);
      server.onStreamDataBlocked({ kind: 'stream_data_blocked', streamId: 2, limit: 0 });
      server.onResetStream({ kind: 'reset_stream', streamId: 0, errorCode: 8, finalSize: 3 });
      assert.deepEqual(ev.take(), ['opened 2', 'opened 0', 'reset 0 8']);
      assert.equal(server.get(0)!.recvState, 'reset_read');
      assert.equal(server.get(0)!.sendState, 'ready', 'the other direction stays open');
    });

    it('opens a peer bidirectional stream on MAX_STREAM_DATA or STOP_SENDING', () => {
      const [server, ev] = makeMap(false);
      server.onMaxStreamData({ kind: 'max_stream_data', streamId: 0, maximum: 1 << 17 });
      assert.equal(server.get(0)!.sendLimit, 1 << 17);
      server.onStopSending({ kind: 'stop_sending', streamId: 4, errorCode: 3 });
      assert.equal(server.get(4)!.sendState, 'reset_sent');
      assert.deepEqual(ev.take(), ['opened 0', 'opened 4', 'stop 4 3']);
    });

    it('raises STREAM_LIMIT_ERROR beyond the advertised limit', () => {
      const [server] = makeMap(false, { initialMaxStreamsBidi: 4, initialMaxStreamsUni: 1 });
      server.onStreamFrame(sf(12, 0, bytes(1)));
      assert.throws(
        () => server.onStreamFrame(sf(16, 0, bytes(1))),
        quicError(TransportError.STREAM_LIMIT_ERROR),
      );
      assert.throws(
        () =>
          server.onResetStream({ kind: 'reset_stream', streamId: 6, errorCode: 0, finalSize: 0 }),
        quicError(TransportError.STREAM_LIMIT_ERROR),
      );
      assert.throws(
        () => server.onStreamFrame(sf(2 ** 53, 0, bytes(1))),
        quicError(TransportError.STREAM_LIMIT_ERROR),
        'a saturated stream ID is beyond any limit',
      );
    });

    it('raises STREAM_STATE_ERROR for frames that do not fit the stream type or state', () => {
      const [client] = makeMap(true);
      const cases: [string, () => void][] = [
        ['STREAM on our unidirectional stream', () => client.onStreamFrame(sf(2, 0, bytes(1)))],
        [
          'RESET_STREAM on our unidirectional stream',
          () =>
            client.onResetStream({ kind: 'reset_stream', streamId: 6, errorCode: 0, finalSize: 0 }),
        ],
        [
          'STREAM_DATA_BLOCKED on our unidirectional stream',
          () => client.onStreamDataBlocked({ kind: 'stream_data_blocked', streamId: 2, limit: 0 }),
        ],
        [
          'STREAM on our bidirectional stream not opened yet',
          () => client.onStreamFrame(sf(0, 0, bytes(1))),
        ],
        [
          'STOP_SENDING on our stream not opened yet',
          () => client.onStopSending({ kind: 'stop_sending', streamId: 4, errorCode: 0 }),
        ],
        [
          'MAX_STREAM_DATA on our stream not opened yet',
          () => client.onMaxStreamData({ kind: 'max_stream_data', streamId: 2, maximum: 1 }),
        ],
        [
          'MAX_STREAM_DATA on a peer unidirectional stream',
          () => client.onMaxStreamData({ kind: 'max_stream_data', streamId: 3, maximum: 1 }),
        ],
        [
          'STOP_SENDING on a peer unidirectional stream',
          () => client.onStopSending({ kind: 'stop_sending', streamId: 7, errorCode: 0 }),
        ],
      ];
      for (const [name, f] of cases) {
        assert.throws(f, quicError(TransportError.STREAM_STATE_ERROR), name);
      }
      client.open(false);
      assert.throws(
        () => client.onStreamFrame(sf(2, 0, bytes(1))),
        quicError(TransportError.STREAM_STATE_ERROR),
        'also once opened',
      );
    });

    it('forgets closed streams, ignores their frames and never reuses their IDs', () => {
      const [server, ev] = makeMap(false);
      server.onStreamFrame(sf(2, 0, bytes(4), true));
      server.get(2)!.read();
      assert.deepEqual(ev.take(), ['opened 2', 'readable 2', 'closed 2']);
      assert.equal(server.get(2), undefined);
      server.onStreamFrame(sf(2, 0, bytes(4), true));
      server.onResetStream({ kind: 'reset_stream', streamId: 2, errorCode: 0, finalSize: 4 });
      server.onStreamDataAcked(2, 0, 4, false);
      assert.deepEqual(ev.take(), [], 'ignored');
      assert.equal(server.size, 0);
      // Our own closed stream: same.
      const s = server.open(false)!;
      s.write(bytes(3), true);
      const sent = dataFrames(server);
      for (const [id, off, len, fin] of sent) server.onStreamDataAcked(id, off, len, fin);
      assert.equal(server.get(3), undefined);
      server.onStopSending({ kind: 'stop_sending', streamId: 3, errorCode: 0 });
      assert.equal(server.open(false)!.id, 7);
    });

    it('issues MAX_STREAMS as peer streams close, keeping the concurrency', () => {
      const [server] = makeMap(false, { initialMaxStreamsUni: 2 });
      server.onStreamFrame(sf(2, 0, bytes(1), true));
      server.onStreamFrame(sf(6, 0, bytes(1)));
      assert.deepEqual(controls(server), []);
      server.get(2)!.read();
      const frames = controls(server);
      assert.deepEqual(frames, [{ kind: 'max_streams', bidi: false, maximum: 3 }]);
      server.onStreamFrame(sf(10, 0, bytes(1)));
      assert.throws(
        () => server.onStreamFrame(sf(14, 0, bytes(1))),
        quicError(TransportError.STREAM_LIMIT_ERROR),
      );
      // Lost: resent while it is the latest limit.
      server.onControlFrameLost(frames[0]!);
      assert.deepEqual(controls(server), frames);
      // Two more close: one frame with the newest limit.
      server.onResetStream({ kind: 'reset_stream', streamId: 6, errorCode: 0, finalSize: 1 });
      server.onResetStream({ kind: 'reset_stream', streamId: 10, errorCode: 0, finalSize: 1 });
      const next = controls(server);
      assert.deepEqual(next, [{ kind: 'max_streams', bidi: false, maximum: 5 }]);
      server.onControlFrameLost(frames[0]!);
      assert.deepEqual(controls(server), [], 'a superseded MAX_STREAMS is not resent');
      server.onStreamFrame(sf(18, 0, bytes(1)));
    });
    it('raises the limit only once the peer has at most half of its allowance left to open', () => {
      const [server] = makeMap(false, { initialMaxStreamsUni: 10 });
      // Streams 2, 6, 10 and 14 (uni, client-initiated) open and close one after another.
      for (const id of [2, 6, 10, 14]) {
        server.onStreamFrame(sf(id, 0, bytes(1), true));
        server.get(id)!.read();
      }
      assert.deepEqual(controls(server), [], 'six of ten left: no MAX_STREAMS');
      // The fifth opens: five left, half the allowance. The four closed ones raise it.
      server.onStreamFrame(sf(18, 0, bytes(1)));
      assert.deepEqual(controls(server), [{ kind: 'max_streams', bidi: false, maximum: 14 }]);
      // Closing the fifth leaves nine of 14: no frame again until half is used.
      server.get(18)!.read();
      server.onResetStream({ kind: 'reset_stream', streamId: 18, errorCode: 0, finalSize: 1 });
      assert.deepEqual(controls(server), []);
    });
  });

  describe('flow control (RFC 9000 §4)', () => {
    it('applies the per-type initial limits of both sides (RFC 9000 §18.2)', () => {
      const [client] = makeMap(
        true,
        {
          initialMaxStreamDataBidiLocal: 11,
          initialMaxStreamDataBidiRemote: 12,
          initialMaxStreamDataUni: 13,
        },
        {
          initialMaxStreamDataBidiLocal: 21,
          initialMaxStreamDataBidiRemote: 22,
          initialMaxStreamDataUni: 23,
        },
      );
      const localBidi = client.open(true)!;
      const localUni = client.open(false)!;
      client.onStreamFrame(sf(1, 0, bytes(1)));
      client.onStreamFrame(sf(3, 0, bytes(1)));
      const peerBidi = client.get(1)!;
      const peerUni = client.get(3)!;
      assert.deepEqual([localBidi.sendLimit, localBidi.recvLimit], [22, 11]);
      assert.deepEqual([localUni.sendLimit, localUni.recvLimit], [23, 0]);
      assert.deepEqual([peerBidi.sendLimit, peerBidi.recvLimit], [21, 12]);
      assert.deepEqual([peerUni.sendLimit, peerUni.recvLimit], [0, 13]);
    });

    it('raises existing streams when the peer parameters arrive (0-RTT)', () => {
      const [client, ev] = makeMap(
        true,
        {},
        { initialMaxStreamDataBidiRemote: 10, initialMaxStreamsBidi: 1 },
      );
      const s = client.open(true)!;
      assert.equal(client.open(true), null);
      client.setPeerTransportParams({
        ...PARAMS,
        initialMaxStreamDataBidiRemote: 100,
        initialMaxStreamsBidi: 2,
      });
      assert.equal(s.sendLimit, 100);
      assert.deepEqual(ev.take(), ['available bidi']);
      assert.ok(client.open(true));
    });

    it('raises FLOW_CONTROL_ERROR past the connection limit, summed over streams', () => {
      const [server] = makeMap(false, { initialMaxData: 100 });
      server.onStreamFrame(sf(0, 0, bytes(60)));
      server.onStreamFrame(sf(4, 0, bytes(40)));
      server.onStreamFrame(sf(4, 10, bytes(30))); // duplicate: no new credit used
      assert.throws(
        () => server.onStreamFrame(sf(8, 0, bytes(1))),
        quicError(TransportError.FLOW_CONTROL_ERROR),
      );
      const [s2] = makeMap(false, { initialMaxData: 100 });
      s2.onStreamFrame(sf(0, 0, bytes(60)));
      assert.throws(
        () => s2.onResetStream({ kind: 'reset_stream', streamId: 4, errorCode: 0, finalSize: 41 }),
        quicError(TransportError.FLOW_CONTROL_ERROR),
        'a RESET_STREAM final size counts too',
      );
    });

    it('issues MAX_DATA as the application reads, and resends it when lost', () => {
      const [server, ev] = makeMap(false, { initialMaxData: 100 });
      server.onStreamFrame(sf(0, 0, bytes(60)));
      server.onStreamFrame(sf(4, 0, bytes(40)));
      server.get(0)!.read(30);
      assert.deepEqual(controls(server), []);
      const before = ev.sendPending;
      server.get(4)!.read(20);
      assert.ok(ev.sendPending > before);
      const frames = controls(server);
      assert.deepEqual(frames, [{ kind: 'max_data', maximum: 150 }]);
      assert.equal(server.recvWindow.limit, 150);
      server.onStreamFrame(sf(8, 0, bytes(50)));
      server.onControlFrameLost(frames[0]!);
      assert.deepEqual(controls(server), frames);
    });

    it('grows the connection window with the stream windows', () => {
      const [server] = makeMap(false, {
        initialMaxData: 1000,
        initialMaxStreamDataBidiRemote: 1000,
      });
      const rtt = 10_000;
      let offset = 0;
      for (let i = 0; i < 5; i++) {
        const s = server.get(0);
        const n = (s === undefined ? 1000 : s.recvLimit) - offset;
        server.onStreamFrame(sf(0, offset, bytes(n)));
        offset += n;
        server.get(0)!.read();
        controls(server, i * 1000, rtt);
      }
      const stream = server.get(0)!;
      assert.ok(stream.recvWindow > 1000);
      assert.ok(server.recvWindow.window >= stream.recvWindow * 1.5);
    });

    it('limits STREAM data by connection credit and signals DATA_BLOCKED once per limit', () => {
      const [client] = makeMap(true, {}, { initialMaxData: 100 });
      const a = client.open(true)!;
      const b = client.open(true)!;
      a.write(bytes(80));
      b.write(bytes(80));
      const sent = dataFrames(client);
      assert.equal(
        sent.reduce((n, f) => n + f[2], 0),
        100,
      );
      const blocked = controls(client);
      assert.deepEqual(blocked, [{ kind: 'data_blocked', limit: 100 }]);
      assert.equal(client.hasPendingSend, false);
      // Lost data can still be retransmitted while blocked.
      const [id, off, len, fin] = sent[0]!;
      client.onStreamDataLost(id, off, len, fin);
      assert.equal(client.hasPendingSend, true);
      assert.deepEqual(dataFrames(client), [sent[0]]);
      client.onControlFrameLost(blocked[0]!);
      assert.deepEqual(controls(client), blocked, 'still blocked: resent');
      client.onMaxData({ kind: 'max_data', maximum: 1000 });
      client.onControlFrameLost(blocked[0]!);
      assert.deepEqual(controls(client), [], 'no longer blocked');
      assert.equal(
        dataFrames(client).reduce((n, f) => n + f[2], 0),
        60,
      );
      assert.equal(client.sendCredit.used, 160);
    });

    it('signals DATA_BLOCKED when new data is written while the connection is blocked', () => {
      const [client] = makeMap(true, {}, { initialMaxData: 10 });
      const a = client.open(false)!;
      a.write(bytes(10));
      dataFrames(client);
      assert.deepEqual(controls(client), [], 'credit used up, but nothing is waiting');
      const b = client.open(false)!;
      b.write(bytes(10));
      assert.deepEqual(controls(client), [{ kind: 'data_blocked', limit: 10 }]);
      client.open(true)!.write(bytes(10));
      assert.deepEqual(controls(client), [], 'once per limit');
      client.onMaxData({ kind: 'max_data', maximum: 15 });
      dataFrames(client);
      assert.deepEqual(controls(client), [{ kind: 'data_blocked', limit: 15 }]);
    });
  });

  describe('scheduling', () => {
    it('sends control frames and data by priority', () => {
      const [client] = makeMap(true);
      const a = client.open(true)!;
      const b = client.open(true)!;
      const c = client.open(true)!;
      a.write(bytes(3000));
      b.write(bytes(3000));
      c.write(bytes(3000));
      b.setPriority({ urgency: 0 });
      a.setPriority({ incremental: true });
      c.setPriority({ incremental: true });
      const order = dataFrames(client, 1000).map((f) => f[0]);
      assert.deepEqual(order.slice(0, 4), [4, 4, 4, 4]);
      assert.deepEqual(order.slice(4, 8), [0, 8, 0, 8]);
    });

    it('stops when the frame does not fit, keeping the data queued', () => {
      const [client] = makeMap(true);
      client.open(true)!.write(bytes(10));
      const chunk = new StreamChunk();
      assert.equal(client.pollStreamData(3, chunk), false);
      assert.equal(client.pollStreamData(5, chunk), true);
      assert.deepEqual([chunk.offset, chunk.length], [0, 1]);
      const dest = new Uint8Array(1);
      chunk.stream!.copyOut(chunk.offset, chunk.length, dest, 0);
      assert.deepEqual(dest, bytes(10).subarray(0, 1));
    });
  });

  for (const seed of [101, 102, 103]) {
    it(`transfers data over a lossy, reordering link, seed ${seed}`, () => {
      const rng = new Rng(seed);
      const small: Partial<StreamTransportParams> = {
        initialMaxData: 6000,
        initialMaxStreamDataBidiLocal: 3000,
        initialMaxStreamDataBidiRemote: 3000,
        initialMaxStreamDataUni: 3000,
        initialMaxStreamsBidi: 3,
        initialMaxStreamsUni: 2,
      };
      const [client, cev] = makeMap(true, small, small);
      const [server, sev] = makeMap(false, small, small);
      const requests = new Map<number, Uint8Array>();
      const responses = new Map<number, Uint8Array>();
      const got = new Map<Stream, number[]>();
      const toOpen: Uint8Array[] = [];
      for (let i = 0; i < 8; i++) toOpen.push(rng.bytes(rng.int(0, 20_000)));
      const done = new Set<number>();
      let pendingWrites: [Stream, Uint8Array, number][] = [];

      type Item =
        { kind: 'data'; frame: StreamFrame } | { kind: 'control'; frame: StreamControlFrame };
      interface Packet {
        items: Item[];
        from: StreamMap;
        to: StreamMap;
      }
      const wire: Packet[] = [];
      const chunk = new StreamChunk();
      const emit = (from: StreamMap, to: StreamMap, now: number): void => {
        for (let p = 0; p < 4; p++) {
          const items: Item[] = [];
          let room = 1200;
          for (
            let f = from.pollControlFrame(room, now, 20);
            f !== null;
            f = from.pollControlFrame(room, now, 20)
          ) {
            items.push({ kind: 'control', frame: f });
            room -= 30;
          }
          while (room > 20 && from.pollStreamData(room, chunk)) {
            const data = new Uint8Array(chunk.length);
            chunk.stream!.copyOut(chunk.offset, chunk.length, data, 0);
            items.push({
              kind: 'data',
              frame: {
                kind: 'stream',
                streamId: chunk.streamId,
                offset: chunk.offset,
                data,
                fin: chunk.fin,
              },
            });
            room -= chunk.length + 12;
          }
          if (items.length === 0) break;
          wire.push({ items, from, to });
        }
      };
      const seen = new Map<string, number>();
      const deliver = (p: Packet): void => {
        const lost = rng.chance(0.15);
        if (lost) seen.set('lost', (seen.get('lost') ?? 0) + 1);
        for (const it of p.items) seen.set(it.frame.kind, (seen.get(it.frame.kind) ?? 0) + 1);
        for (const it of p.items) {
          if (it.kind === 'data') {
            const f = it.frame;
            if (lost) p.from.onStreamDataLost(f.streamId, f.offset, f.data.length, f.fin);
            else {
              p.to.onStreamFrame({ ...f, data: f.data.slice() });
              p.from.onStreamDataAcked(f.streamId, f.offset, f.data.length, f.fin);
            }
          } else if (lost) {
            p.from.onControlFrameLost(it.frame);
          } else {
            const f = it.frame;
            switch (f.kind) {
              case 'max_data':
                p.to.onMaxData(f);
                break;
              case 'max_stream_data':
                p.to.onMaxStreamData(f);
                break;
              case 'max_streams':
                p.to.onMaxStreams(f);
                break;
              case 'data_blocked':
                p.to.onDataBlocked(f);
                break;
              case 'stream_data_blocked':
                p.to.onStreamDataBlocked(f);
                break;
              case 'streams_blocked':
                p.to.onStreamsBlocked(f);
                break;
              case 'reset_stream':
                p.to.onResetStream(f);
                break;
              case 'stop_sending':
                p.to.onStopSending(f);
                break;
            }
            p.from.onControlFrameAcked(f);
          }
        }
      };
      const pump = (): void => {
        const next: [Stream, Uint8Array, number][] = [];
        for (const [s, data, at] of pendingWrites) {
          const n = at < data.length ? s.write(data.subarray(at)) : 0;
          if (at + n === data.length) s.end();
          else next.push([s, data, at + n]);
        }
        pendingWrites = next;
      };
      const readAll = (map: StreamMap, isServer: boolean): void => {
        for (const s of [...map]) {
          if (!s.canReceive) continue;
          for (let r = s.read(rng.int(1, 5000)); r !== null; r = s.read(rng.int(1, 5000))) {
            const buf = got.get(s) ?? [];
            buf.push(...r.data);
            got.set(s, buf);
            if (!r.fin) continue;
            const data = Uint8Array.from(buf);
            if (isServer) {
              requests.set(s.id, data);
              if (s.bidirectional) {
                // Respond with the request reversed.
                const reply = data.slice().reverse();
                responses.set(s.id, reply);
                pendingWrites.push([s, reply, 0]);
              }
            } else {
              done.add(s.id);
              assert.deepEqual(data, responses.get(s.id));
            }
          }
        }
      };
      const sent = new Map<number, Uint8Array>();
      for (let round = 0; round < 5000; round++) {
        const now = round * 5;
        while (toOpen.length > 0) {
          const bidi = toOpen.length % 2 === 0;
          const s = client.open(bidi);
          if (s === null) break;
          const data = toOpen.pop()!;
          sent.set(s.id, data);
          pendingWrites.push([s, data, 0]);
        }
        pump();
        emit(client, server, now);
        emit(server, client, now);
        rng.shuffle(wire);
        for (const p of wire.splice(0, rng.int(0, wire.length))) deliver(p);
        readAll(server, true);
        readAll(client, false);
        if (toOpen.length === 0 && client.size === 0 && server.size === 0 && wire.length === 0)
          break;
      }
      assert.equal(toOpen.length, 0, 'all streams opened');
      assert.equal(client.size, 0, 'client streams all closed');
      assert.equal(server.size, 0, 'server streams all closed');
      assert.equal(requests.size, 8);
      for (const [id, data] of sent) assert.deepEqual(requests.get(id), data, `stream ${id}`);
      assert.equal(done.size, [...sent.keys()].filter((id) => id % 4 === 0).length);
      // The run went through loss and every kind of credit update.
      for (const kind of [
        'lost',
        'max_data',
        'max_stream_data',
        'max_streams',
        'streams_blocked',
      ]) {
        assert.ok((seen.get(kind) ?? 0) > 0, `${kind} seen`);
      }
      assert.ok(cev.log.includes('available bidi') || cev.log.includes('available uni'));
      assert.ok(sev.opened.length === 8);
    });
  }
});
