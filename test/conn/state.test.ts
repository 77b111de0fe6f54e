import assert from 'node:assert/strict';
import { ConnectionLifecycle, type CloseInfo } from '../../src/conn/state.js';

const LOCAL: CloseInfo = { source: 'local', errorCode: 0, application: true, reason: 'bye' };
const PEER: CloseInfo = { source: 'peer', errorCode: 1, application: false, reason: 'x' };
const IDLE: CloseInfo = { source: 'idle_timeout', errorCode: 0, application: false, reason: '' };

describe('conn/state: the connection lifecycle (RFC 9000 §10)', () => {
  it('handshake -> established -> closing -> closed, keeping our close reason', () => {
    const l = new ConnectionLifecycle();
    assert.equal(l.kind, 'handshake');
    assert.ok(l.isOpen);
    assert.equal(l.closeInfo, null);
    l.establish();
    assert.equal(l.kind, 'established');
    assert.ok(l.startClosing(LOCAL, 1000));
    assert.equal(l.kind, 'closing');
    assert.equal(l.isOpen, false);
    assert.equal(l.deadline, 1000);
    assert.equal(l.startClosing(PEER, 5), false, 'the first close wins');
    // The peer's CONNECTION_CLOSE while closing: draining, our reason stays.
    const d = l.startDraining(PEER, 2000);
    assert.deepEqual(d, { info: LOCAL, wasOpen: false });
    assert.equal(l.deadline, 2000);
    const f = l.finish(IDLE);
    assert.deepEqual(f, { info: LOCAL, wasEnding: true });
    assert.equal(l.kind, 'closed');
    assert.equal(l.finish(IDLE), null);
    assert.equal(l.startDraining(PEER, 1), null);
  });

  it('handshake confirmation (RFC 9001 §4.1.2) happens once and is kept through the end', () => {
    const l = new ConnectionLifecycle();
    assert.equal(l.handshakeConfirmed, false);
    l.establish();
    assert.equal(l.handshakeConfirmed, false, 'a client is complete before HANDSHAKE_DONE');
    assert.ok(l.confirm());
    assert.equal(l.kind, 'established');
    assert.ok(l.handshakeConfirmed);
    assert.equal(l.confirm(), false, 'only once');
    l.establish();
    assert.ok(l.handshakeConfirmed, 'establish does not undo it');
    // The close is sent with 1-RTT keys only and the PTO counts max_ack_delay: it stays.
    l.startClosing(LOCAL, 1000);
    assert.ok(l.handshakeConfirmed);
    l.startDraining(PEER, 2000);
    assert.ok(l.handshakeConfirmed);
    l.finish(IDLE);
    assert.ok(l.handshakeConfirmed);
  });

  it('a connection that closes unconfirmed stays unconfirmed', () => {
    const l = new ConnectionLifecycle();
    l.establish();
    l.startClosing(LOCAL, 1000);
    assert.equal(l.confirm(), false, 'no confirmation while closing');
    assert.equal(l.handshakeConfirmed, false);
    // A server's handshake is confirmed as it completes: confirm() from the handshake state.
    const s = new ConnectionLifecycle();
    assert.ok(s.confirm());
    assert.equal(s.kind, 'established');
    assert.ok(s.handshakeConfirmed);
  });

  it('a close without a now is armed later, once', () => {
    const l = new ConnectionLifecycle();
    l.startClosing(LOCAL, NaN);
    assert.equal(l.deadline, Infinity, 'no deadline until armed');
    assert.ok(l.armClosing(500));
    assert.equal(l.deadline, 500);
    assert.equal(l.armClosing(900), false);
    assert.equal(l.deadline, 500);
  });

  it('resends CONNECTION_CLOSE after 1, 2, 4, 8 ... datagrams (RFC 9000 §10.2.1)', () => {
    const l = new ConnectionLifecycle();
    l.startClosing(LOCAL, 1000);
    assert.ok(l.takeCloseResend(), 'the first CONNECTION_CLOSE');
    assert.equal(l.takeCloseResend(), false);
    const resentAfter: number[] = [];
    for (let n = 1; n <= 16; n++) {
      l.onDatagramWhileClosing();
      if (l.takeCloseResend()) resentAfter.push(n);
    }
    assert.deepEqual(resentAfter, [1, 2, 4, 8, 16]);
  });

  it('ends without closing first: the given reason, and draining from open', () => {
    const a = new ConnectionLifecycle();
    assert.deepEqual(a.finish(IDLE), { info: IDLE, wasEnding: false });
    const b = new ConnectionLifecycle();
    assert.deepEqual(b.startDraining(PEER, 10), { info: PEER, wasOpen: true });
    assert.equal(b.closeInfo, PEER);
    assert.equal(b.closeResendDue, false);
  });
});
