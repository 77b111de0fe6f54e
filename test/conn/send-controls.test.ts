import assert from 'node:assert/strict';
import { PnSpace } from '../../src/ack/pn-space.js';
import { SentPacket } from '../../src/ack/sent.js';
import { CouplingGroup } from '../../src/cc/coupling.js';
import { resolveOptions } from '../../src/conn/options.js';
import { newPathSendControl, newSendControl } from '../../src/conn/send-controls.js';
import type { SentFrame } from '../../src/conn/sent-frames.js';
import { defaultTransportParameters } from '../../src/wire/transport-params.js';

describe('conn/send-controls: recovery and congestion state per path (RFC 9002)', () => {
  it('takes the initial RTT from the options', () => {
    const sc = newSendControl(
      resolveOptions({ alpn: ['t'], initialRtt: 50 }),
      true,
      false,
      new CouplingGroup(),
    );
    assert.equal(sc.rtt.smoothed, 50_000);
  });

  it('binds an unvalidated server by the amplification limit (RFC 9000 §8.1), not a client', () => {
    const opts = resolveOptions({ alpn: ['t'] });
    const group = new CouplingGroup();
    assert.equal(newSendControl(opts, false, false, group).amplification.validated, false);
    assert.equal(newSendControl(opts, false, true, group).amplification.validated, true);
    assert.equal(newSendControl(opts, true, false, group).amplification.validated, true);
  });

  it('a path other than 0 is past the handshake: 1-RTT only (RFC 10069 §3.1)', () => {
    const peer = defaultTransportParameters();
    peer.maxAckDelay = 40;
    const sc = newPathSendControl(
      resolveOptions({ alpn: ['t'] }),
      true,
      true,
      peer,
      new CouplingGroup(),
      0,
    );
    assert.equal(sc.rtt.maxAckDelay, 40_000, "the peer's max_ack_delay");
    // A 1-RTT packet in flight arms the PTO, which includes max_ack_delay once confirmed.
    const frames: SentFrame[] = [];
    sc.onPacketSent(PnSpace.Application, new SentPacket(0, 0, 1200, true, true, frames));
    const deadline = sc.timerDeadline();
    assert.equal(deadline, sc.rtt.ptoPeriod(true));
    // Initial and Handshake are gone: nothing sent there counts.
    assert.equal(sc.hasAckElicitingInFlight(PnSpace.Initial), false);
    assert.equal(sc.hasAckElicitingInFlight(PnSpace.Handshake), false);
  });

  it('without the peer parameters keeps the default max_ack_delay (25 ms)', () => {
    const sc = newPathSendControl(
      resolveOptions({ alpn: ['t'] }),
      true,
      true,
      null,
      new CouplingGroup(),
      0,
    );
    assert.equal(sc.rtt.maxAckDelay, 25_000);
  });

  it("gives every path's controller the connection's coupling group (RFC 6356, 'lia')", () => {
    const opts = resolveOptions({ alpn: ['t'], congestionControl: 'lia' });
    const group = new CouplingGroup();
    const first = newSendControl(opts, true, true, group);
    newPathSendControl(opts, true, true, null, group, 0);
    assert.equal(group.size, 2);
    first.cc.close?.();
    assert.equal(group.size, 1, 'a replaced controller leaves the group');
  });
});
