/**
 * Frame codec micro-benchmark: STREAM and ACK frames encoded and decoded per CPU-second, the way
 * the packet path uses them (src/conn/assemble.ts writes a STREAM header then copies the data
 * into the packet buffer; the receive path decodes every frame of a decrypted payload).
 */
import { Reader, Writer } from '../src/util/cursor.js';
import { decodeFrame, encodeFrame, encodeStreamFrameHeader } from '../src/wire/frames.js';
import type { AckFrame } from '../src/wire/frame-types.js';
import { timeRates, type RateCase } from './lib/timing.js';
import type { Summary } from './lib/stats.js';
import { summarize } from './lib/stats.js';

export interface FrameBenchOptions {
  /** CPU time of one timed run, ms (default 150). */
  durationMs?: number;
  /** Timed runs (default 5). */
  runs?: number;
}

export interface FrameRate {
  /** "encode STREAM 1200 B", ... */
  operation: string;
  perSec: Summary;
}

/** STREAM frame data size: a full 1452-byte datagram's worth after headers. */
const STREAM_DATA = 1200;

function ackFrame(ranges: number): AckFrame {
  const out: AckFrame = { kind: 'ack', ackDelay: 100, ranges: [] };
  // Descending ranges of 10 packets with gaps of 2, starting high enough for 4-byte varints.
  let top = 1_000_000;
  for (let i = 0; i < ranges; i++) {
    out.ranges.push({ smallest: top - 9, largest: top });
    top -= 12;
  }
  return out;
}

export function runFrameBench(opts: FrameBenchOptions = {}): FrameRate[] {
  const buf = new Uint8Array(2048);
  const w = new Writer(buf);
  const r = new Reader(buf);
  const data = new Uint8Array(STREAM_DATA).fill(7);
  const named: { operation: string; c: RateCase }[] = [];
  const add = (operation: string, op: () => void): void => {
    named.push({ operation, c: { op, rates: [] } });
  };

  // Offsets cycle within 4-byte varints (2^14 .. 2^30), as in a long transfer.
  let offset = 1 << 20;
  add(`encode STREAM ${STREAM_DATA} B`, () => {
    w.reset(buf);
    encodeStreamFrameHeader(w, 4, offset, STREAM_DATA, false, true);
    w.bytes(data);
    offset = offset >= 2 ** 30 - 2 * STREAM_DATA ? 1 << 20 : offset + STREAM_DATA;
  });
  const encoded = new Uint8Array(2048);
  const ew = new Writer(encoded);
  encodeStreamFrameHeader(ew, 4, 1 << 20, STREAM_DATA, false, true);
  ew.bytes(data);
  const streamEnd = ew.pos;
  add(`decode STREAM ${STREAM_DATA} B`, () => {
    r.reset(encoded, 0, streamEnd);
    const f = decodeFrame(r);
    if (f.kind !== 'stream') throw new Error('decoded the wrong frame');
  });

  for (const n of [1, 8]) {
    const ack = ackFrame(n);
    add(`encode ACK ${n} range${n > 1 ? 's' : ''}`, () => {
      w.reset(buf);
      encodeFrame(w, ack);
    });
    const enc = new Uint8Array(256);
    const aw = new Writer(enc);
    encodeFrame(aw, ack);
    const end = aw.pos;
    add(`decode ACK ${n} range${n > 1 ? 's' : ''}`, () => {
      r.reset(enc, 0, end);
      const f = decodeFrame(r);
      if (f.kind !== 'ack') throw new Error('decoded the wrong frame');
    });
  }

  timeRates(
    named.map((x) => x.c),
    opts.durationMs ?? 150,
    opts.runs ?? 5,
  );
  return named.map((x) => ({ operation: x.operation, perSec: summarize(x.c.rates) }));
}
