/** Fixtures for the loss detection and send control tests. */
import { SentPacket } from '../../src/ack/sent.js';
import type { AckFrame, EcnCounts } from '../../src/wire/frame-types.js';

export const MS = 1000;
export const S = 1_000_000;

export interface PacketShape {
  size?: number;
  ackEliciting?: boolean;
  inFlight?: boolean;
  pmtuProbe?: boolean;
}

export function packet(pn: number, time: number, shape: PacketShape = {}): SentPacket<string> {
  const ackEliciting = shape.ackEliciting ?? true;
  return new SentPacket<string>(
    pn,
    time,
    shape.size ?? 1200,
    ackEliciting,
    shape.inFlight ?? ackEliciting,
    [`p${pn}`],
    shape.pmtuProbe ?? false,
  );
}

/** An ACK frame from inclusive [smallest, largest] pairs given in any order. */
export function ack(ranges: [number, number][], ecn?: EcnCounts): AckFrame {
  const sorted = [...ranges].sort((a, b) => b[1] - a[1]);
  const frame: AckFrame = {
    kind: 'ack',
    ackDelay: 0,
    ranges: sorted.map(([smallest, largest]) => ({ smallest, largest })),
  };
  if (ecn !== undefined) frame.ecn = ecn;
  return frame;
}

export function pns(packets: readonly SentPacket<string>[]): number[] {
  return packets.map((p) => p.pn);
}
