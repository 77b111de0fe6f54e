import assert from 'node:assert/strict';
import { RecvWindow, SendCredit } from '../../src/stream/flow-control.js';
import { QuicError, TransportError } from '../../src/wire/errors.js';
import { FrameType } from '../../src/wire/frame-types.js';

const MS = 1000;

describe('stream/flow-control', () => {
  describe('SendCredit', () => {
    it('only increases (RFC 9000 §4.1)', () => {
      const c = new SendCredit(100);
      assert.equal(c.raise(50), false);
      assert.equal(c.limit, 100);
      assert.equal(c.raise(150), true);
      assert.equal(c.raise(150), false);
      assert.equal(c.limit, 150);
    });

    it('reports available credit and blocking', () => {
      const c = new SendCredit(100);
      c.consume(60);
      assert.equal(c.available, 40);
      assert.equal(c.blocked, false);
      c.consume(40);
      assert.equal(c.available, 0);
      assert.equal(c.blocked, true);
    });

    it('signals BLOCKED once per limit', () => {
      const c = new SendCredit(100);
      assert.equal(c.shouldSignalBlocked(), false, 'not blocked yet');
      c.consume(100);
      assert.equal(c.blockedSignalDue, true);
      assert.equal(c.shouldSignalBlocked(), true);
      assert.equal(c.shouldSignalBlocked(), false);
      c.raise(200);
      assert.equal(c.shouldSignalBlocked(), false);
      c.consume(100);
      assert.equal(c.shouldSignalBlocked(), true, 'blocked again at the new limit');
    });

    it('resends a lost BLOCKED only while blocked at that limit', () => {
      const c = new SendCredit(100);
      c.consume(100);
      assert.equal(c.stillBlockedAt(100), true);
      c.raise(200);
      assert.equal(c.stillBlockedAt(100), false);
      c.consume(100);
      assert.equal(c.stillBlockedAt(100), false);
      assert.equal(c.stillBlockedAt(200), true);
    });
  });

  describe('RecvWindow', () => {
    it('raises FLOW_CONTROL_ERROR past the advertised limit', () => {
      const w = new RecvWindow(1000, 1000, FrameType.STREAM);
      w.onReceived(600);
      w.onReceived(400);
      assert.throws(
        () => w.onReceived(1),
        (e) =>
          e instanceof QuicError &&
          e.code === TransportError.FLOW_CONTROL_ERROR &&
          e.frameType === FrameType.STREAM,
      );
      assert.equal(w.received, 1000);
    });

    it('makes an update due once half the window is consumed', () => {
      const w = new RecvWindow(1000, 1000, FrameType.STREAM);
      w.onReceived(1000);
      assert.equal(w.onConsumed(499), false);
      assert.equal(w.updatePending, false);
      assert.equal(w.onConsumed(1), true);
      assert.equal(w.onConsumed(100), false, 'already pending');
      assert.equal(w.takeUpdate(0, 0), 1600);
      assert.equal(w.limit, 1600);
      assert.equal(w.updatePending, false);
    });

    it('resends a lost update only if it was the latest, with the current value', () => {
      const w = new RecvWindow(1000, 1000, FrameType.STREAM);
      w.onConsumed(500);
      const first = w.takeUpdate(0, 0);
      w.onConsumed(500);
      const second = w.takeUpdate(1, 0);
      assert.equal(w.onUpdateLost(first), false, 'superseded');
      w.onConsumed(100);
      assert.equal(w.onUpdateLost(second), true);
      assert.equal(w.takeUpdate(2, 0), 2100);
    });

    it('auto-tunes: updates within 2 RTTs double the window, up to the maximum', () => {
      const rtt = 10 * MS;
      const w = new RecvWindow(1000, 4000, FrameType.STREAM);
      let consumed = 0;
      let now = 0;
      const consumeHalf = (): void => {
        const n = w.limit - consumed - Math.floor(w.window / 2);
        consumed += n;
        assert.equal(w.onConsumed(n), true);
      };
      consumeHalf();
      w.takeUpdate(now, rtt); // first update: no history yet
      assert.equal(w.window, 1000);
      now += 5 * MS; // fast consumer
      consumeHalf();
      w.takeUpdate(now, rtt);
      assert.equal(w.window, 2000);
      now += 19 * MS;
      consumeHalf();
      w.takeUpdate(now, rtt);
      assert.equal(w.window, 4000);
      now += 1 * MS;
      consumeHalf();
      w.takeUpdate(now, rtt);
      assert.equal(w.window, 4000, 'capped at the maximum');
      assert.equal(w.limit, consumed + 4000);
    });

    it('does not grow the window for a slow consumer or on loss retransmissions', () => {
      const rtt = 10 * MS;
      const w = new RecvWindow(1000, 8000, FrameType.STREAM);
      w.onConsumed(500);
      w.takeUpdate(0, rtt);
      w.onConsumed(500);
      const limit = w.takeUpdate(20 * MS, rtt); // exactly 2 RTTs later: not faster
      assert.equal(w.window, 1000);
      assert.equal(w.onUpdateLost(limit), true);
      w.takeUpdate(21 * MS, rtt);
      assert.equal(w.window, 1000, 'a resend is not a new update');
    });

    it('cancels a pending update and grows on request', () => {
      const w = new RecvWindow(1000, 3000, FrameType.STREAM);
      w.onConsumed(600);
      assert.equal(w.updatePending, true);
      w.cancelUpdate();
      assert.equal(w.updatePending, false);
      w.ensureWindow(2500);
      assert.equal(w.window, 2500);
      w.ensureWindow(10_000);
      assert.equal(w.window, 3000);
      w.ensureWindow(100);
      assert.equal(w.window, 3000);
    });

    it('never caps below the initial window', () => {
      const w = new RecvWindow(5000, 1000, FrameType.STREAM);
      assert.equal(w.maxWindow, 5000);
    });
  });
});
