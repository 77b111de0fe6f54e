/**
 * The engine keeps no clock (docs/ARCHITECTURE.md §1.1): every deadline comes from the `now` of
 * a call, and callback mode asks the host's clock (EngineCallbacks.now) when no `now` is given.
 */
import assert from 'node:assert/strict';
import { Engine, type EngineCallbacks } from '../../src/engine/engine.js';
import type { Transmit } from '../../src/util/address.js';

const SERVER = { address: '127.0.0.1', port: 4433 };

describe('engine: no clock of its own', () => {
  it('nextTimeout is due at any time while datagrams wait for pollTransmit', () => {
    const engine = new Engine();
    engine.handleTimeout(9_000_000);
    engine.connect(SERVER, { alpn: ['t'] }, 1_000_000);
    // Due now, whatever the clock of the caller: not the time of an earlier call.
    const due = engine.nextTimeout();
    assert.ok(due <= 1_000_000, `due at ${due}`);
    const t = engine.pollTransmit(1_000_000);
    assert.ok(t !== null && t.data.length >= 1200, 'the client Initial');
    while (engine.pollTransmit(1_000_000) !== null);
    // Then the connection's own timer: armed from the connect time, not from 9 s.
    const next = engine.nextTimeout();
    assert.ok(next > 1_000_000 && next < 9_000_000, `next timer at ${next}`);
  });

  it('callback mode without a `now` takes the host clock', () => {
    let clock = 50_000_000;
    const sent: Transmit[] = [];
    const timers: number[] = [];
    const callbacks: EngineCallbacks = {
      sendto: (d) => sent.push(d),
      setTimer: (delay) => timers.push(delay),
      now: () => clock,
    };
    const engine = new Engine({}, callbacks);
    engine.connect(SERVER, { alpn: ['t'] }, clock);
    engine.finishRecv();
    assert.ok(sent.length > 0, 'the first flight left');
    const delay = timers.at(-1)!;
    const deadline = engine.nextTimeout();
    assert.equal(delay, deadline - clock, 'the timer delay is measured from the host clock');
    // The timer fires late: onTimer() reads the clock again and retransmits (PTO, RFC 9002 §6.2).
    clock = deadline + 1000;
    const before = sent.length;
    engine.onTimer();
    assert.ok(sent.length > before, 'a probe was sent when the timer fired');
    assert.ok(engine.nextTimeout() > clock, 'the next deadline lies after the host clock');
  });
});
