/**
 * RFC 9002 §7: "An endpoint MUST NOT send a packet if it would cause bytes_in_flight to be
 * larger than the congestion window, unless the packet is sent on a PTO timer expiration or when
 * entering recovery." Transfers over the in-memory pair, through a bottleneck whose queue
 * overflows (so the window grows, collapses and recovers), with every ack-eliciting in-flight
 * packet that any endpoint records checked against its path's window right after it is sent.
 */
import assert from 'node:assert/strict';
import type { SentPacket } from '../../src/ack/sent.js';
import type { PnSpace } from '../../src/ack/pn-space.js';
import type { Connection } from '../../src/conn/connection.js';
import { SendControl } from '../../src/path/send-control.js';
import { createEnginePair, type EnginePair } from '../../src/testing/index.js';
import { transfer } from './transfer-kit.js';

/** What the watch saw: packets checked, and those that took bytes in flight above the window. */
interface WindowWatch {
  checked: number;
  /** Probes and recovery-entry packets, which may go above the window (§6.2, §7.3.2). */
  exempt: number;
  overruns: string[];
}

/**
 * Checks, for every ack-eliciting in-flight packet any SendControl records while `run` runs,
 * that bytes in flight are within the window after it, unless the packet used a PTO or
 * recovery allowance (`pendingProbes` before it).
 */
function watchWindow(run: () => void): WindowWatch {
  const watch: WindowWatch = { checked: 0, exempt: 0, overruns: [] };
  const proto = SendControl.prototype;
  const original = proto.onPacketSent;
  proto.onPacketSent = function (this: SendControl, space: PnSpace, packet: SentPacket) {
    const exempt = this.pendingProbes > 0;
    original.call(this, space, packet);
    if (!packet.ackEliciting || !packet.inFlight) return;
    if (exempt) {
      watch.exempt++;
      return;
    }
    watch.checked++;
    if (this.bytesInFlight > this.cwnd && watch.overruns.length < 5) {
      watch.overruns.push(
        `pn ${packet.pn} of ${packet.size} B: in flight ${this.bytesInFlight} > cwnd ${this.cwnd}`,
      );
    }
  };
  try {
    run();
  } finally {
    proto.onPacketSent = original;
  }
  return watch;
}

/** A 10 ms link with a 20 Mbit/s bottleneck whose 40 kB queue overflows. */
const BOTTLENECK = { delay: 10_000, rate: 20_000_000, queueBytes: 40_000 };

function pairWith(cc: string, multipath = false): EnginePair {
  const mp = multipath ? { multipath: true } : {};
  return createEnginePair({
    seed: 5,
    conditions: BOTTLENECK,
    client: { congestionControl: cc, ...mp },
    serverEngine: { connection: { congestionControl: cc, ...mp } },
  });
}

describe('scenario: bytes in flight stay within the congestion window (RFC 9002 §7)', () => {
  for (const cc of ['newreno', 'cubic', 'bbr']) {
    it(`${cc}: no ack-eliciting packet but a probe takes bytes in flight above cwnd`, function () {
      this.timeout(120_000);
      const p = pairWith(cc);
      let done = false;
      const watch = watchWindow(() => {
        done = transfer(p, 300_000, 3_000_000, 60_000_000).done;
      });
      assert.ok(done, 'the transfer completed');
      assert.deepEqual(watch.overruns, []);
      assert.ok(watch.checked > 2000, `${watch.checked} packets checked`);
    });
  }

  it('lia on two paths: every path keeps within its own window', function () {
    this.timeout(120_000);
    const p = pairWith('lia', true);
    const second = { address: '10.0.0.3', port: 50001 };
    let done = false;
    let secondBytes = 0;
    const watch = watchWindow(() => {
      assert.ok(p.handshake(), 'handshake');
      const sc: Connection = p.serverConn()!;
      let id = -1;
      assert.ok(
        p.runUntil(() => (id = p.conn.openPath(second)) >= 0, 2_000_000),
        'path ID',
      );
      done = transfer(p, 100_000, 3_000_000, 60_000_000).done;
      secondBytes = sc.multipath?.get(id)?.bytesSent ?? 0;
    });
    assert.ok(done, 'the transfer completed');
    assert.ok(secondBytes > 100_000, `the second path carried ${secondBytes} bytes`);
    assert.deepEqual(watch.overruns, []);
    assert.ok(watch.checked > 2000, `${watch.checked} packets checked`);
  });
});
