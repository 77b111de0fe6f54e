import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { SentPacket } from '../../src/ack/sent.js';
import type { ConnectionContext } from '../../src/conn/context.js';
import { resolveOptions } from '../../src/conn/options.js';
import { PathState } from '../../src/conn/path-state.js';
import { onLossDetectionTimer } from '../../src/conn/path-timers.js';
import { newSendControl } from '../../src/conn/send-controls.js';
import type { SentFrame } from '../../src/conn/sent-frames.js';
import { CouplingGroup } from '../../src/cc/coupling.js';
import { SpaceState } from '../../src/conn/space.js';
import { ConnectionStats } from '../../src/conn/stats.js';
import { SendRange } from '../../src/stream/send-buffer.js';

const A = { address: '10.0.0.1', port: 1000 };
const B = { address: '10.0.0.2', port: 2000 };

/** A client connection as the timer sees it: one path, the three spaces, keys, counters. */
function fakeConnection() {
  const sc = newSendControl(
    resolveOptions({ alpn: ['t'], initialRtt: 100 }),
    true,
    true,
    new CouplingGroup(),
  );
  const path = new PathState(A, B, sc, true, { sequence: 0, cid: new Uint8Array(8), sentTo: null });
  return {
    path,
    spaces: [
      new SpaceState(PnSpace.Initial, 25_000),
      new SpaceState(PnSpace.Handshake, 25_000),
      new SpaceState(PnSpace.Application, 25_000),
    ] as [SpaceState, SpaceState, SpaceState],
    stats: new ConnectionStats(),
    // Initial keys only: a PTO owes no probe in another space (RFC 9002 §6.2.4).
    keys: { sealer: (space: PnSpace) => (space === PnSpace.Initial ? {} : null) },
    multipath: null,
    qlog: undefined,
  };
}

function sendCrypto(conn: ReturnType<typeof fakeConnection>, pn: number, at: number): void {
  const frames: SentFrame[] = [
    { k: 'crypto', space: PnSpace.Initial, offset: pn * 100, length: 100 },
  ];
  const buf = conn.spaces[PnSpace.Initial].cryptoSend;
  buf.write(new Uint8Array(100));
  // The bytes leave in this packet.
  assert.ok(buf.nextRange(100, Infinity, new SendRange()));
  conn.path.sendControl.onPacketSent(
    PnSpace.Initial,
    new SentPacket(pn, at, 1200, true, true, frames),
  );
}

describe('conn/path-timers: the loss detection timer of the active path (RFC 9002 §6.2)', () => {
  it('does nothing before its deadline', () => {
    const conn = fakeConnection();
    sendCrypto(conn, 0, 0);
    const deadline = conn.path.sendControl.timerDeadline();
    assert.ok(deadline > 0 && deadline < Infinity);
    onLossDetectionTimer(conn as unknown as ConnectionContext, deadline - 1);
    assert.equal(conn.spaces[PnSpace.Initial].probes, 0);
    assert.equal(conn.path.sendControl.ptoCount, 0);
  });

  it('a PTO owes probes in the space, carrying the CRYPTO data in flight (§6.2.4)', () => {
    const conn = fakeConnection();
    sendCrypto(conn, 0, 0);
    const initial = conn.spaces[PnSpace.Initial];
    assert.equal(initial.hasCryptoToSend, false, 'what was written has left');
    const deadline = conn.path.sendControl.timerDeadline();
    onLossDetectionTimer(conn as unknown as ConnectionContext, deadline);
    assert.ok(initial.probes > 0, 'probes owed');
    assert.equal(initial.hasCryptoToSend, true, 'the CRYPTO data in flight goes again');
    assert.equal(conn.path.sendControl.ptoCount, 1);
    assert.equal(conn.stats.packetsLost, 0, 'a PTO declares nothing lost');
    assert.ok(conn.path.sendControl.timerDeadline() > deadline, 'the timer backs off');
  });
});
